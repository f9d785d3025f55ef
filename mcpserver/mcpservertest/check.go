package mcpservertest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Call calls tool and decodes its structured answer into T, failing the test on any error.
func Call[T any](t testing.TB, cs *mcp.ClientSession, tool string, args map[string]any) T {
	t.Helper()
	var out T
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	if res.IsError {
		t.Fatalf("%s: tool error %s", tool, text(res))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v in %s", tool, err, b)
	}
	// The text is the same answer, for clients that read only text.
	if txt := text(res); !json.Valid([]byte(txt)) || !strings.Contains(txt, `"`) {
		t.Errorf("%s: the text content is not the JSON answer: %.200s", tool, txt)
	}
	return out
}

// CallError calls tool expecting a refusal, and returns what the client learns: a protocol
// error's message or a tool error's text.
func CallError(t testing.TB, cs *mcp.ClientSession, tool string, args map[string]any) string {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		return err.Error()
	}
	if !res.IsError {
		t.Fatalf("%s %v: answered %.300s, want an error", tool, args, text(res))
	}
	return text(res)
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// ReadTools are the tools every caller gets; WriteTools only callers who may write.
var (
	ReadTools  = []string{"check_compatibility", "describe_channel", "describe_message", "describe_service", "describe_subject", "list_drift", "list_unhealthy_consumers", "schema_impact", "search_catalog"}
	WriteTools = []string{"register_schema"}
)

// CheckToolList checks that the session lists the read tools, and the writing ones exactly
// when writes is set.
func CheckToolList(t testing.TB, cs *mcp.ClientSession, writes bool) {
	t.Helper()
	var names []string
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tool.Name)
		if tool.Description == "" || tool.InputSchema == nil {
			t.Errorf("tool %s has no description or input schema", tool.Name)
		}
	}
	if res, err := cs.ListTools(context.Background(), nil); err != nil || res.CacheScope != "private" {
		t.Errorf("tools/list: cache scope %v %v, want private (the list depends on the key)", res, err)
	}
	want := slices.Clone(ReadTools)
	if writes {
		want = append(want, WriteTools...)
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("tools %v, want %v", names, want)
	}
}

type owner struct{ Name, Kind, Email string }

type flow struct {
	Direction, Service, Channel, Group string
}

type status struct {
	Service, Group, Channel, Status string
	Reasons                         []string
	ErrorRate                       float64
	Owner                           *owner
}

type subjectRef struct {
	Subject       string
	LatestVersion int
	Resource      string
}

// CheckReadTools asks every read tool about the shop Seed filled and compares the answers.
func CheckReadTools(t *testing.T, cs *mcp.ClientSession) {
	t.Run("search_catalog", func(t *testing.T) {
		res := Call[struct {
			Hits  []struct{ Kind, Name, Detail string }
			Total int
		}](t, cs, "search_catalog", map[string]any{"query": "orders"})
		var got []string
		for _, h := range res.Hits {
			got = append(got, h.Kind+" "+h.Name)
		}
		for _, want := range []string{"channel orders", "subject orders-value"} {
			if !slices.Contains(got, want) {
				t.Errorf("search orders: %v, want %q among them", got, want)
			}
		}
		one := Call[struct{ Hits []struct{ Kind, Name string } }](t, cs, "search_catalog", map[string]any{"query": "total", "kind": "field", "limit": 1})
		if len(one.Hits) != 1 || one.Hits[0].Name != Subject {
			t.Errorf("search the field total: %+v, want one hit in %s", one.Hits, Subject)
		}
	})

	t.Run("describe_service", func(t *testing.T) {
		type service struct {
			Name       string
			Documented bool
			Owner      *owner
			Operations []struct{ Action, Channel string }
			Observed   []flow
			Health     []status
		}
		s := Call[service](t, cs, "describe_service", map[string]any{"name": "checkout"})
		if !s.Documented || s.Owner == nil || s.Owner.Name != "team-checkout" || s.Owner.Email != "team-checkout@shop.example" {
			t.Errorf("checkout: documented %v, owner %+v", s.Documented, s.Owner)
		}
		if len(s.Operations) != 1 || s.Operations[0].Action != "send" || s.Operations[0].Channel != Channel {
			t.Errorf("checkout operations: %+v", s.Operations)
		}
		if len(s.Observed) != 1 || s.Observed[0] != (flow{"produce", "checkout", Channel, ""}) {
			t.Errorf("checkout observed: %+v", s.Observed)
		}
		s = Call[service](t, cs, "describe_service", map[string]any{"name": "shipping"})
		if len(s.Health) != 1 || s.Health[0].Status != "failing" || s.Health[0].ErrorRate != 1 || s.Health[0].Owner == nil || s.Health[0].Owner.Name != "team-shipping" {
			t.Errorf("shipping health: %+v", s.Health)
		}
		s = Call[service](t, cs, "describe_service", map[string]any{"name": "fraud"})
		if s.Documented || len(s.Observed) != 1 || s.Observed[0] != (flow{"consume", "fraud", Channel, "fraud"}) || len(s.Health) != 1 || s.Health[0].Status != "healthy" {
			t.Errorf("fraud, seen in traces only: %+v", s)
		}
	})

	t.Run("describe_channel", func(t *testing.T) {
		c := Call[struct {
			Name       string
			Documented bool
			Messages   []struct {
				Message string
				Subject subjectRef
			}
			DocumentedProducers, DocumentedConsumers []string
			Observed                                 []flow
			Health                                   []status
		}](t, cs, "describe_channel", map[string]any{"name": Channel})
		if !c.Documented || len(c.Messages) != 1 || c.Messages[0].Message != Message || c.Messages[0].Subject.Subject != Subject || c.Messages[0].Subject.LatestVersion != 2 {
			t.Errorf("orders: documented %v, messages %+v", c.Documented, c.Messages)
		}
		slices.Sort(c.DocumentedConsumers)
		if !slices.Equal(c.DocumentedProducers, []string{"checkout"}) || !slices.Equal(c.DocumentedConsumers, []string{"audit", "billing", "shipping"}) {
			t.Errorf("orders documented: producers %v, consumers %v", c.DocumentedProducers, c.DocumentedConsumers)
		}
		var observed []string
		for _, f := range c.Observed {
			observed = append(observed, f.Direction+" "+f.Service)
		}
		slices.Sort(observed)
		if !slices.Equal(observed, []string{"consume billing", "consume fraud", "consume shipping", "produce checkout"}) {
			t.Errorf("orders observed: %v", observed)
		}
		statuses := map[string]string{}
		for _, h := range c.Health {
			statuses[h.Service] = h.Status
		}
		if len(statuses) != 3 || statuses["shipping"] != "failing" || statuses["billing"] != "healthy" {
			t.Errorf("orders health: %v", statuses)
		}
	})

	t.Run("describe_message", func(t *testing.T) {
		m := Call[struct {
			Name, Kind, SchemaType, Payload string
			Owner                           *owner
			Channels                        []struct {
				Channel string
				Subject subjectRef
			}
			Senders, Receivers []string
		}](t, cs, "describe_message", map[string]any{"name": Message})
		slices.Sort(m.Receivers)
		if m.Kind != "event" || m.SchemaType != "AVRO" || !strings.Contains(m.Payload, `"Order"`) || !slices.Equal(m.Senders, []string{"checkout"}) ||
			!slices.Equal(m.Receivers, []string{"audit", "billing", "shipping"}) {
			t.Errorf("OrderPlaced: %+v", m)
		}
		if len(m.Channels) != 1 || m.Channels[0].Channel != Channel || m.Channels[0].Subject != (subjectRef{Subject, 2, "schema://subjects/orders-value/versions/2"}) {
			t.Errorf("OrderPlaced channels: %+v", m.Channels)
		}
	})

	t.Run("describe_subject", func(t *testing.T) {
		type subject struct {
			Subject, Compatibility, Schema, Channel, Resource string
			ShownVersion                                      int
			Versions                                          []struct {
				Version, ID int
				SchemaType  string
			}
			Messages  []string
			Owners    []owner
			Consumers []struct {
				Service, Group, Status string
				Version                int
				Latest                 bool
			}
		}
		s := Call[subject](t, cs, "describe_subject", map[string]any{"subject": Subject})
		if s.Compatibility != "BACKWARD" || len(s.Versions) != 2 || s.ShownVersion != 2 || !strings.Contains(s.Schema, "total") || s.Channel != Channel ||
			!slices.Equal(s.Messages, []string{Message}) || s.Resource != "schema://subjects/orders-value/versions/2" {
			t.Errorf("orders-value: %+v", s)
		}
		var owners []string
		for _, o := range s.Owners {
			owners = append(owners, o.Name)
		}
		if !slices.Contains(owners, "team-checkout") {
			t.Errorf("orders-value owners %v, want team-checkout among them", owners)
		}
		got := map[string]string{}
		for _, c := range s.Consumers {
			got[c.Service] = c.Status
			if (c.Service == "billing" && (c.Version != 2 || !c.Latest)) || (c.Service == "shipping" && (c.Version != 1 || c.Latest)) || (c.Service == "fraud" && c.Version != 0) {
				t.Errorf("orders-value consumer %+v", c)
			}
		}
		if len(got) != 3 || got["shipping"] != "failing" {
			t.Errorf("orders-value consumers: %v", got)
		}
		v1 := Call[subject](t, cs, "describe_subject", map[string]any{"subject": Subject, "version": 1})
		if v1.ShownVersion != 1 || strings.Contains(v1.Schema, "total") {
			t.Errorf("orders-value version 1: %d %s", v1.ShownVersion, v1.Schema)
		}
	})

	t.Run("schema_impact", func(t *testing.T) {
		im := Call[struct {
			Subject, Channel, Summary string
			LatestVersion             int
			Consumers                 []struct {
				Service, Group, Status string
				Version                int
				Latest                 bool
				Owner                  *owner
			}
			DocumentedReceivers []struct {
				Service  string
				Observed bool
				Owner    *owner
			}
		}](t, cs, "schema_impact", map[string]any{"subject": Subject})
		type consumer struct {
			group, status string
			version       int
			owner         string
		}
		got := map[string]consumer{}
		for _, c := range im.Consumers {
			o := ""
			if c.Owner != nil {
				o = c.Owner.Name
			}
			got[c.Service] = consumer{c.Group, c.Status, c.Version, o}
		}
		want := map[string]consumer{
			"billing":  {"billing", "healthy", 2, "team-billing"},
			"shipping": {"shipping", "failing", 1, "team-shipping"},
			"fraud":    {"fraud", "healthy", 0, ""},
		}
		if len(got) != len(want) {
			t.Errorf("impact consumers %+v, want %+v", got, want)
		}
		for s, w := range want {
			if got[s] != w {
				t.Errorf("impact consumer %s: %+v, want %+v", s, got[s], w)
			}
		}
		observed := map[string]bool{}
		for _, d := range im.DocumentedReceivers {
			observed[d.Service] = d.Observed
			if d.Owner == nil || d.Owner.Name != Owners[d.Service] {
				t.Errorf("documented receiver %s owner %+v", d.Service, d.Owner)
			}
		}
		if len(observed) != 3 || observed["audit"] || !observed["billing"] || !observed["shipping"] {
			t.Errorf("documented receivers: %v", observed)
		}
		if im.LatestVersion != 2 || !strings.Contains(im.Summary, "3 consumers seen on orders (1 on an older version, 1 whose spans name no version); 1 documented receivers not seen") {
			t.Errorf("impact: latest %d, summary %q", im.LatestVersion, im.Summary)
		}
	})

	t.Run("check_compatibility", func(t *testing.T) {
		type verdict struct {
			Compatible             bool
			Compatibility, Against string
			Breaks                 []string
		}
		ok := Call[verdict](t, cs, "check_compatibility", map[string]any{"subject": Subject, "schema": SchemaV3})
		if !ok.Compatible || len(ok.Breaks) != 0 || ok.Compatibility != "BACKWARD" || ok.Against != "latest" {
			t.Errorf("v3: %+v, want compatible", ok)
		}
		bad := Call[verdict](t, cs, "check_compatibility", map[string]any{"subject": Subject, "schema": Incompatible, "schemaType": "AVRO", "against": "all"})
		if bad.Compatible || len(bad.Breaks) == 0 || !strings.Contains(strings.Join(bad.Breaks, " "), "id") {
			t.Errorf("id as int: %+v, want incompatible, naming the field", bad)
		}
	})

	t.Run("list_unhealthy_consumers", func(t *testing.T) {
		u := Call[struct {
			Consumers []status
			Healthy   int
		}](t, cs, "list_unhealthy_consumers", nil)
		if len(u.Consumers) != 1 || u.Consumers[0].Service != "shipping" || u.Consumers[0].Status != "failing" || len(u.Consumers[0].Reasons) == 0 ||
			u.Consumers[0].Owner == nil || u.Consumers[0].Owner.Email != "team-shipping@shop.example" || u.Healthy != 2 {
			t.Errorf("unhealthy: %+v", u)
		}
	})

	t.Run("list_drift", func(t *testing.T) {
		d := Call[struct {
			Findings []struct{ Kind, Service, Channel, Group, Detail string }
		}](t, cs, "list_drift", nil)
		var got []string
		for _, f := range d.Findings {
			got = append(got, f.Kind+" "+f.Service)
		}
		for _, want := range []string{"undocumented_consumer fraud", "stale_consumer_schema shipping"} {
			if !slices.Contains(got, want) {
				t.Errorf("drift %v, want %q among them", got, want)
			}
		}
		only := Call[struct{ Findings []struct{ Kind string } }](t, cs, "list_drift", map[string]any{"kinds": []string{"undocumented_consumer"}})
		if len(only.Findings) != 1 {
			t.Errorf("drift of one kind: %+v", only.Findings)
		}
	})
}

// CheckResources reads the schemas as resources.
func CheckResources(t *testing.T, cs *mcp.ClientSession) {
	ctx := context.Background()
	var templates []string
	for rt, err := range cs.ResourceTemplates(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		templates = append(templates, rt.URITemplate)
	}
	if !slices.Equal(templates, []string{"schema://subjects/{subject}/versions/{version}"}) {
		t.Errorf("resource templates %v", templates)
	}
	for _, tt := range []struct{ uri, want, lacks string }{
		{"schema://subjects/orders-value/versions/1", `"id"`, "total"},
		{"schema://subjects/orders-value/versions/latest", `"total"`, ""},
	} {
		res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: tt.uri})
		if err != nil {
			t.Errorf("read %s: %v", tt.uri, err)
			continue
		}
		if len(res.Contents) != 1 || res.Contents[0].MIMEType != "application/vnd.apache.avro+json" || !strings.Contains(res.Contents[0].Text, tt.want) ||
			(tt.lacks != "" && strings.Contains(res.Contents[0].Text, tt.lacks)) {
			t.Errorf("read %s: %+v", tt.uri, res.Contents)
		}
	}
	for _, uri := range []string{"schema://subjects/nope-value/versions/1", "schema://subjects/orders-value/versions/9", "schema://subjects/orders-value/versions/-1", "file:///etc/passwd"} {
		_, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "not found") {
			t.Errorf("read %s: %v, want not found", uri, err)
		}
	}
}

// CheckHostileInput sends calls no tool should accept and checks each is refused with an error
// that says why.
func CheckHostileInput(t *testing.T, cs *mcp.ClientSession) {
	long := strings.Repeat("x", 100_000)
	for _, tt := range []struct {
		name, tool string
		args       map[string]any
		want       string
	}{
		{"unknown tool", "drop_tables", nil, `unknown tool "drop_tables"`},
		{"missing argument", "describe_service", map[string]any{}, "name"},
		{"empty argument", "describe_service", map[string]any{"name": "  "}, "name is required"},
		{"wrong type", "describe_subject", map[string]any{"subject": Subject, "version": "two"}, "version"},
		{"unknown argument", "search_catalog", map[string]any{"query": "orders", "drop": true}, "drop"},
		{"bad kind", "search_catalog", map[string]any{"query": "orders", "kind": "table"}, `kind "table"`},
		{"too many hits", "search_catalog", map[string]any{"query": "orders", "limit": 1_000_000}, "limit"},
		{"huge query", "search_catalog", map[string]any{"query": long}, "at most 1024"},
		{"huge name", "describe_channel", map[string]any{"name": long}, "at most 1024"},
		{"unknown service", "describe_service", map[string]any{"name": "nobody"}, "search_catalog finds"},
		{"unknown subject", "schema_impact", map[string]any{"subject": "nope-value"}, "not found"},
		{"no such version", "describe_subject", map[string]any{"subject": Subject, "version": 7}, "no version 7"},
		{"bad schema", "check_compatibility", map[string]any{"subject": Subject, "schema": "{not avro"}, "nvalid"},
		{"bad against", "check_compatibility", map[string]any{"subject": Subject, "schema": SchemaV3, "against": "yesterday"}, "against"},
		{"bad drift kind", "list_drift", map[string]any{"kinds": []string{"gossip"}}, "gossip"},
	} {
		msg := CallError(t, cs, tt.tool, tt.args)
		t.Logf("%s: %s", tt.name, msg)
		if !strings.Contains(msg, tt.want) {
			t.Errorf("%s: %q, want it to say %q", tt.name, msg, tt.want)
		}
	}
}

// CheckWrites registers a version through register_schema when writes is set, and otherwise
// checks that the tool is refused and nothing is registered.
func CheckWrites(t *testing.T, cs *mcp.ClientSession, writes bool) {
	args := map[string]any{"subject": Subject, "schema": SchemaV3}
	if !writes {
		if msg := CallError(t, cs, "register_schema", args); !strings.Contains(msg, "register_schema") {
			t.Errorf("register_schema without the write role: %q", msg)
		}
		s := Call[struct{ Versions []struct{ Version int } }](t, cs, "describe_subject", map[string]any{"subject": Subject})
		if len(s.Versions) != 2 {
			t.Errorf("after a refused registration the subject has %d versions, want 2", len(s.Versions))
		}
		return
	}
	if msg := CallError(t, cs, "register_schema", map[string]any{"subject": Subject, "schema": Incompatible}); !strings.Contains(msg, "ncompatible") {
		t.Errorf("registering an incompatible schema: %q", msg)
	}
	r := Call[struct {
		Version, ID int
		Resource    string
	}](t, cs, "register_schema", args)
	if r.Version != 3 || r.ID == 0 || r.Resource != "schema://subjects/orders-value/versions/3" {
		t.Errorf("register v3: %+v", r)
	}
	again := Call[struct{ Version int }](t, cs, "register_schema", args)
	if again.Version != 3 {
		t.Errorf("registering v3 again: version %d, want 3", again.Version)
	}
}
