package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/catalog/asyncapitest"
	"github.com/eventlens/eventlens/demo"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/storage/storagetest"
	"github.com/eventlens/eventlens/tracing"
)

// The demo shop's catalog: what its documents describe.
var (
	demoServices = []string{"fraud-check", "inventory", "notifications", "orders", "payments", "shipping"}
	demoChannels = map[string]string{ // channel → its subject's schema type
		"orders.placed": "AVRO", "payments.completed": "JSON", "inventory.reserved": "PROTOBUF",
		"shipments.created": "JSON", "emails": "JSON",
	}
	demoMessages = []string{"OrderPlaced", "PaymentCompleted", "SendEmail", "ShipmentCreated", "StockReserved"}
)

// demoSchemaStep is the demo's schema schedule in tests: its three changes to
// orders.placed-value within a second or so rather than within its first minute.
const demoSchemaStep = 300 * time.Millisecond

// demoLog is what the demo shop logged, safe to read while it runs.
type demoLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *demoLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *demoLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// runDemo runs the demo shop against ts until the test ends (or the returned stop is called),
// and returns what it logs.
func runDemo(t *testing.T, ts *testServer, key string) (stop func(), log *demoLog) {
	t.Helper()
	return runDemoOn(t, ts, key, nil)
}

// runDemoOn runs the demo shop as runDemo does, on a Kafka cluster of the test's (nil: its own).
func runDemoOn(t *testing.T, ts *testServer, key string, cluster *demo.Cluster) (stop func(), log *demoLog) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log = &demoLog{}
	go func() {
		done <- demo.Run(ctx, demo.Options{Endpoint: ts.URL, OrdersPerSecond: 20, SlowProcessing: 200 * time.Millisecond,
			SchemaStep: demoSchemaStep, APIKey: key, Cluster: cluster, Logger: slog.New(slog.NewTextHandler(log, nil))})
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop, log
}

// demoFlows are the edges of the shop's flow graph: direction, service, destination and group.
var demoFlows = []string{
	"produce orders orders.placed ",
	"consume payments orders.placed payments",
	"consume inventory orders.placed inventory",
	"produce payments payments.completed ",
	"produce inventory inventory.reserved ",
	"consume shipping payments.completed shipping",
	"consume notifications payments.completed notifications",
	"consume fraud-check payments.completed fraud-check",
	"produce shipping shipments.created ",
	"consume notifications shipments.created notifications",
	"produce notifications emails ",
	"produce payments orders.placed.DLT ", // declined payments, dead-lettered
}

// waitForDemoFlows waits until every edge of the shop was observed, and orders.placed-value's
// history is complete: three versions, orders and payments on the third (and the dead letters
// payments writes, the orders as they came), inventory still on the first. It returns the flows
// and the ids of the subject's versions (ids[1] is version 1's).
func waitForDemoFlows(t *testing.T, ts *testServer, key string, deadline time.Duration) ([]tracing.Flow, map[int]string) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		body := getWithKey(t, ts, "/api/flows?since=10m", key)
		var answer struct{ Flows []tracing.Flow }
		if err := json.Unmarshal([]byte(body), &answer); err != nil {
			t.Fatalf("flows: %v\n%s", err, body)
		}
		ids := orderVersions(t, ts, key)
		seen := map[string]bool{}
		for _, f := range answer.Flows {
			seen[strings.Join([]string{f.Direction, f.Service, f.Channel.Destination, f.ConsumerGroup}, " ")] = true
			if strings.HasPrefix(f.Channel.Destination, "orders.placed") && len(ids) == 3 {
				seen[strings.Join([]string{f.Direction, f.Service, f.Channel.Destination, "reads", f.SchemaVersion, f.SchemaID}, " ")] = true
			}
		}
		var missing []string
		for _, w := range append(demoFlows, "produce orders orders.placed reads 3 "+ids[3], "consume payments orders.placed reads 3 "+ids[3],
			"consume inventory orders.placed reads 1 "+ids[1], "produce payments orders.placed.DLT reads 3 "+ids[3]) {
			if !seen[w] {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return answer.Flows, ids
		}
		if time.Now().After(end) {
			t.Fatalf("after %s the demo's flows lack %q (orders.placed-value ids %v):\n%s", deadline, missing, ids, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// orderVersions are the ids of orders.placed-value's versions, by version; none before the demo
// imported its documents.
func orderVersions(t *testing.T, ts *testServer, key string) map[int]string {
	t.Helper()
	ids := map[int]string{}
	status, body := tryGet(t, ts, "/subjects/orders.placed-value/versions", key)
	if status == http.StatusNotFound { // not imported yet
		return ids
	}
	var versions []int
	if err := json.Unmarshal([]byte(body), &versions); err != nil {
		t.Fatalf("versions of orders.placed-value: %d %v\n%s", status, err, body)
	}
	for _, v := range versions {
		var s struct{ ID int }
		if err := json.Unmarshal([]byte(getWithKey(t, ts, fmt.Sprintf("/subjects/orders.placed-value/versions/%d", v), key)), &s); err != nil {
			t.Fatal(err)
		}
		ids[v] = fmt.Sprint(s.ID)
	}
	return ids
}

// getWithKey gets path with an API key ("id:secret") as HTTP Basic, or with none, and returns
// the body of a 200 answer.
func getWithKey(t *testing.T, ts *testServer, path, key string) string {
	t.Helper()
	status, body := tryGet(t, ts, path, key)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	return body
}

// tryGet gets path as getWithKey does, and returns whatever the answer is.
func tryGet(t *testing.T, ts *testServer, path, key string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id, secret, ok := strings.Cut(key, ":"); ok {
		req.SetBasicAuth(id, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestDemoDescribesItself runs the demo shop against a server: its documents fill the catalog
// and the registry, orders.placed-value evolves to three versions past one refused change, its
// spans name the schemas each service writes and reads, the drift shows the undocumented
// consumer and the consumer on an older version it keeps on purpose, and its export validates
// and re-imports.
func TestDemoDescribesItself(t *testing.T) {
	ts := startServer(t)
	stop, log := runDemo(t, ts, "")
	flows, orderIDs := waitForDemoFlows(t, ts, "", 90*time.Second)
	stop() // the shop flushes its last spans

	t.Run("the demo logs each schema change and the refusal", func(t *testing.T) {
		out := log.String()
		for _, want := range []string{
			`level=INFO msg="demo schema registered" subject=orders.placed-value version=2`,
			`level=WARN msg="demo schema change refused by the registry" subject=orders.placed-value change="adds field loyaltyTier without a default" error="409 Conflict: Schema being registered is incompatible`,
			`level=INFO msg="demo schema registered" subject=orders.placed-value version=3`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the demo's log lacks %s:\n%s", want, out)
			}
		}
	})

	t.Run("subject page: versions, consumers seen, the refusal", func(t *testing.T) {
		page := ts.page(t, "/schemas/orders.placed-value", http.StatusOK)
		if got := texts(page, "li", "version"); len(got) != 3 || !strings.HasPrefix(got[0], "v3 ") || !strings.HasPrefix(got[2], "v1 ") {
			t.Errorf("versions %q, want v3, v2, v1", got)
		}
		consumers := texts(page, "tr", "consumer")
		slices.Sort(consumers)
		want := []string{"inventory inventory v1 older " + orderIDs[1], "payments payments v3 latest " + orderIDs[3]}
		if len(consumers) != len(want) {
			t.Fatalf("consumers seen %q, want every consumer of orders.placed: %q", consumers, want)
		}
		for i := range want {
			if !strings.HasPrefix(consumers[i], want[i]+" ") {
				t.Errorf("consumer %q, want %q", consumers[i], want[i])
			}
		}
		refusals := texts(page, "tr", "refusal")
		if len(refusals) != 1 || !strings.Contains(refusals[0], "BACKWARD v2 READER_FIELD_MISSING_DEFAULT_VALUE /fields/6") || !strings.Contains(refusals[0], "loyaltyTier") {
			t.Errorf("refusals %q, want the one that added loyaltyTier without a default", refusals)
		}
	})

	t.Run("the diff of v1 and v3 names each change", func(t *testing.T) {
		page := ts.page(t, "/schemas/orders.placed-value/diff?from=1&to=3", http.StatusOK)
		if !strings.Contains(page, `data-verdict="compatible"`) {
			t.Errorf("v3 may not follow v1")
		}
		removed, added := strings.Join(texts(page, "td", "old-changed"), "\n"), strings.Join(texts(page, "td", "new-changed"), "\n")
		for _, change := range []struct{ side, text string }{
			{removed, "An order as the customer placed it."},             // the record's doc, reworded
			{added, "An order as the customer placed it: who, how much"}, // to this
			{added, `"storefront"`}, {added, `"web"`},                    // v2's field, with its default
			{added, `"couponCode"`}, {added, `"null"`}, // v3's optional field
		} {
			if !strings.Contains(change.side, change.text) {
				t.Errorf("the changed lines lack %s:\n--- v1\n%s\n--- v3\n%s", change.text, removed, added)
			}
		}
		rows := texts(page, "tr", "change")
		if got := changeRows(page); !slices.Equal(got, demoChanges) || len(rows) != len(demoChangeWords) {
			t.Fatalf("changes %q, want %q", got, demoChanges)
		}
		for i, words := range demoChangeWords {
			if !strings.Contains(rows[i], words) {
				t.Errorf("change %q does not say %s", rows[i], words)
			}
		}
	})

	t.Run("catalog", func(t *testing.T) {
		names := func(path string) []string {
			_, body := ts.do(t, http.MethodGet, path, "", nil)
			var list []struct{ Name string }
			if err := json.Unmarshal([]byte(body), &list); err != nil {
				t.Fatalf("%s: %v\n%s", path, err, body)
			}
			var out []string
			for _, e := range list {
				out = append(out, e.Name)
			}
			sort.Strings(out)
			return out
		}
		if got, want := names("/api/catalog/services"), demoServices[1:]; !slices.Equal(got, want) {
			t.Errorf("services %q, want %q (fraud-check is undocumented)", got, want)
		}
		var channels []string
		for c := range demoChannels {
			channels = append(channels, c)
		}
		sort.Strings(channels)
		if got := names("/api/catalog/channels"); !slices.Equal(got, channels) {
			t.Errorf("channels %q, want %q", got, channels)
		}
		if got := names("/api/catalog/messages"); !slices.Equal(got, demoMessages) {
			t.Errorf("messages %q, want %q", got, demoMessages)
		}
		if got, want := names("/api/catalog/domains"), []string{"customer", "fulfilment", "payments", "sales"}; !slices.Equal(got, want) {
			t.Errorf("domains %q, want %q", got, want)
		}
		_, body := ts.do(t, http.MethodGet, "/api/catalog/services/payments", "", nil)
		for _, want := range []string{`"team-payments"`, `"receiveOrderPlaced"`, `"sendPaymentCompleted"`} {
			if !strings.Contains(body, want) {
				t.Errorf("service payments lacks %s:\n%s", want, body)
			}
		}
	})

	ids := map[string]string{} // channel → the id of its subject's latest version
	t.Run("registry", func(t *testing.T) {
		_, body := ts.do(t, http.MethodGet, "/subjects", "", nil)
		var subjects []string
		if err := json.Unmarshal([]byte(body), &subjects); err != nil {
			t.Fatalf("subjects: %v\n%s", err, body)
		}
		sort.Strings(subjects)
		var want []string
		for c := range demoChannels {
			want = append(want, c+"-value")
		}
		sort.Strings(want)
		if !slices.Equal(subjects, want) {
			t.Fatalf("subjects %q, want %q", subjects, want)
		}
		for channel, schemaType := range demoChannels {
			subject := url.PathEscape(channel + "-value")
			// Each document that mentions a channel carries the same payload: one version
			// each, but for the subject the shop evolves.
			wantVersions := "[1]"
			if channel == "orders.placed" {
				wantVersions = "[1,2,3]"
			}
			_, body := ts.do(t, http.MethodGet, "/subjects/"+subject+"/versions", "", nil)
			if body != wantVersions {
				t.Errorf("%s versions %s, want %s", subject, body, wantVersions)
			}
			_, body = ts.do(t, http.MethodGet, "/subjects/"+subject+"/versions/latest", "", nil)
			var v struct {
				ID         int
				SchemaType string
			}
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatal(err)
			}
			if v.SchemaType == "" {
				v.SchemaType = "AVRO" // Confluent leaves out the default
			}
			if v.SchemaType != schemaType {
				t.Errorf("%s is %s, want %s", subject, v.SchemaType, schemaType)
			}
			ids[channel] = fmt.Sprint(v.ID)
		}
	})

	t.Run("spans name the schemas", func(t *testing.T) {
		for _, f := range flows {
			id, version := ids[f.Channel.Destination], "1"
			switch {
			case f.Service == "inventory" && f.Channel.Destination == "orders.placed":
				id = orderIDs[1] // it reads with the version it was built against
			case f.Channel.Destination == "orders.placed", f.Channel.Destination == "orders.placed.DLT": // a dead letter is the order as it came
				id, version = orderIDs[3], "3"
			}
			if f.SchemaID != id || f.SchemaVersion != version {
				t.Errorf("%s %s %s: schema id %q version %q, want %q and %s", f.Direction, f.Service, f.Channel.Destination, f.SchemaID, f.SchemaVersion, id, version)
			}
		}
	})

	t.Run("drift", func(t *testing.T) {
		_, body := ts.do(t, http.MethodGet, "/api/catalog/drift?since=10m", "", nil)
		var answer struct{ Findings []catalog.DriftFinding }
		if err := json.Unmarshal([]byte(body), &answer); err != nil {
			t.Fatalf("drift: %v\n%s", err, body)
		}
		var got []string
		for _, f := range answer.Findings {
			got = append(got, strings.Join([]string{f.Kind, f.Service, f.Channel, f.Group}, " "))
		}
		// The dead-letter topic is in no document, and the registry has no subject of its own
		// for it (its messages are orders.placed's, as they came).
		want := []string{
			"undocumented_producer payments orders.placed.DLT ",
			"undocumented_consumer fraud-check payments.completed fraud-check",
			"channel_without_schema  orders.placed.DLT ",
			"stale_consumer_schema inventory orders.placed inventory",
		}
		if !slices.Equal(got, want) {
			t.Errorf("drift findings %q, want %q:\n%s", got, want, body)
		}
		page := ts.page(t, "/drift", http.StatusOK)
		if refusals := texts(page, "tr", "refusal"); len(refusals) != 1 || !strings.Contains(refusals[0], "orders.placed-value BACKWARD v2") {
			t.Errorf("/drift lists refusals %q, want the demo's one of orders.placed-value", refusals)
		}
	})

	t.Run("export validates and re-imports", func(t *testing.T) {
		fresh := openTestCatalog(t)
		for _, doc := range demo.Documents() {
			_, out := ts.do(t, http.MethodGet, "/api/catalog/asyncapi?service="+url.QueryEscape(doc.Service), "", nil)
			asyncapitest.Validate(t, doc.Service, []byte(out))
			if _, err := fresh.ImportDocument(context.Background(), []byte(out), catalog.ImportOptions{Source: doc.Service + ".yaml"}); err != nil {
				t.Fatalf("re-import the export of %s: %v\n%s", doc.Service, err, out)
			}
		}
		_, whole := ts.do(t, http.MethodGet, "/api/catalog/asyncapi", "", nil)
		asyncapitest.Validate(t, "the whole catalog", []byte(whole))

		want, got := dumpCatalog(t, catalog.New(ts.DB, schemaregistry.New(ts.DB, schemaregistry.Formats()))), dumpCatalog(t, fresh)
		// payments' export also says what only traces know, that it dead-letters to
		// orders.placed.DLT, and re-importing the export documents it (docs/catalog.md).
		var kept []string
		observed := map[string]bool{}
		for _, line := range strings.Split(got, "\n") {
			for _, prefix := range []string{`operation "payments" "observed.send.orders.placed.DLT": send "orders.placed.DLT"`, `channel "orders.placed.DLT" `} {
				if strings.HasPrefix(line, prefix) {
					observed[prefix] = true
				}
			}
			if !strings.Contains(line, "orders.placed.DLT") {
				kept = append(kept, line)
			}
		}
		if len(observed) != 2 {
			t.Errorf("the export lacks payments' observed dead letters:\n%s", got)
		}
		if got = strings.Join(kept, "\n"); want != got {
			t.Errorf("the re-imported catalog differs:\n--- demo\n%s\n--- re-imported\n%s", want, got)
		}
	})
}

// TestDemoWithAPIKey runs the demo against a server that has API keys: with a write key it
// imports its documents and its spans get in.
func TestDemoWithAPIKey(t *testing.T) {
	ts := startServer(t)
	key, secret, err := ts.srv.svc.Keys.Create(context.Background(), "demo", apikeys.RoleWrite)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", bytes.NewReader(demo.Documents()[0].YAML)); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("import without a key: %s, want 401", resp.Status)
	}
	runDemo(t, ts, key.ID+":"+secret)
	waitForDemoFlows(t, ts, key.ID+":"+secret, 10*time.Second)
	if body := getWithKey(t, ts, "/subjects", key.ID+":"+secret); !strings.Contains(body, `"orders.placed-value"`) {
		t.Errorf("the demo's payloads are not in the registry: %s", body)
	}
}

// TestBrowserDemoSchemaHistory walks the demo's contract history in Chromium at 1440x900, the
// size of the README's screenshots: the subject page with its three versions, the consumers of
// its channel and the refused change; the diff of v1 and v3, reached through the page's form;
// and /drift. The screenshots land in test-artifacts/.
func TestBrowserDemoSchemaHistory(t *testing.T) {
	ts := startServer(t)
	b := newBrowser(t)
	runDemo(t, ts, "")
	_, ids := waitForDemoFlows(t, ts, "", 90*time.Second)

	// texts is the text of each element sel matches (a row's cells apart), spaces collapsed.
	texts := func(sel string) []string {
		t.Helper()
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('`+sel+`')].map(e =>
			(e.cells ? [...e.cells].map(c => c.textContent).join(' ') : e.textContent).replace(/\s+/g, ' ').trim())`))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return got
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(b.ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	do("set the window to 1440x900", chromedp.EmulateViewport(1440, 900))

	if status := b.open(t, ts.URL+"/schemas/orders.placed-value"); status != http.StatusOK {
		t.Fatalf("subject page: HTTP %d", status)
	}
	if got := texts(`[data-testid="version"]`); len(got) != 3 || !strings.HasPrefix(got[0], "v3 ") || !strings.HasPrefix(got[2], "v1 ") {
		t.Errorf("versions %q, want v3, v2, v1", got)
	}
	consumers := texts(`[data-testid="consumer"]`)
	slices.Sort(consumers)
	if len(consumers) != 2 || !strings.HasPrefix(consumers[0], "inventory inventory v1 older "+ids[1]) || !strings.HasPrefix(consumers[1], "payments payments v3 latest "+ids[3]) {
		t.Errorf("consumers seen %q, want inventory on v1 (older) and payments on v3 (latest)", consumers)
	}
	if got := texts(`[data-testid="refusal"]`); len(got) != 1 || !strings.Contains(got[0], "loyaltyTier") {
		t.Errorf("refused registrations %q, want the one adding loyaltyTier", got)
	}
	b.screenshot(t, "demo-subject")

	do("compare v1 with v3",
		chromedp.SetValue(chromedp.CSS(`[data-testid="diff-from"]`), "1"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="diff-to"]`), "3"),
		chromedp.Click(chromedp.CSS(`[data-testid="diff-form"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="diff-title"]`)))
	if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); !strings.HasSuffix(loc, "/schemas/orders.placed-value/diff?from=1&to=3") {
		t.Fatalf("the diff form went to %s", loc)
	}
	if got := texts(`[data-testid="verdict"]`); len(got) != 1 || !strings.HasPrefix(got[0], "✓ Compatible") {
		t.Errorf("verdict %q, want compatible", got)
	}
	removed, added := strings.Join(texts(`[data-testid="old-changed"]`), "\n"), strings.Join(texts(`[data-testid="new-changed"]`), "\n")
	for _, change := range []struct{ side, text string }{
		{removed, `"An order as the customer placed it."`}, {added, "who, how much, when and where"},
		{added, `"storefront"`}, {added, `"couponCode"`},
	} {
		if !strings.Contains(change.side, change.text) {
			t.Errorf("the changed lines lack %s:\n--- v1\n%s\n--- v3\n%s", change.text, removed, added)
		}
	}
	rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="change"]')].map(r =>
		r.dataset.field + ' ' + r.dataset.type + ' ' + r.dataset.verdict)`))
	if err != nil || !slices.Equal(rows, demoChanges) {
		t.Errorf("changes %q (%v), want %q", rows, err, demoChanges)
	}
	for i, words := range demoChangeWords {
		if got := texts(`[data-testid="change"] .chg-what`); len(got) != len(demoChangeWords) || got[i] != words {
			t.Errorf("the changes say %q, want %q", got, demoChangeWords)
			break
		}
	}
	b.screenshot(t, "demo-schema-diff")

	if status := b.open(t, ts.URL+"/drift"); status != http.StatusOK {
		t.Fatalf("/drift: HTTP %d", status)
	}
	var stale []string
	for _, f := range texts(`[data-testid="drift-finding"]`) {
		if strings.HasPrefix(f, "stale consumer schema ") {
			stale = append(stale, f)
		}
	}
	if len(stale) != 1 || !strings.Contains(stale[0], "inventory") {
		t.Errorf("stale consumer findings %q, want inventory's", stale)
	}
	if got := texts(`[data-testid="refusal"]`); len(got) != 1 || !strings.Contains(got[0], "orders.placed-value") {
		t.Errorf("/drift lists refusals %q, want the demo's one", got)
	}
	b.screenshot(t, "demo-drift")

	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}

// texts returns the text of each <tag data-testid="id"> element of page: tags dropped, entities
// decoded, spaces collapsed.
func texts(page, tag, id string) []string {
	element := regexp.MustCompile(`(?s)<` + tag + `\b[^>]*data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</` + tag + `>`)
	var out []string
	for _, m := range element.FindAllStringSubmatch(page, -1) {
		out = append(out, strings.Join(strings.Fields(html.UnescapeString(anyTag.ReplaceAllString(m[1], " "))), " "))
	}
	return out
}

var anyTag = regexp.MustCompile(`<[^>]*>`)

// demoChanges are the changes from orders.placed-value v1 to v3, by field, kind and verdict at
// the subject's level, and demoChangeWords what each says.
var (
	demoChanges = []string{
		"OrderPlaced DOC_CHANGED compatible",
		"OrderPlaced.storefront FIELD_ADDED compatible",
		"OrderPlaced.couponCode FIELD_ADDED compatible",
	}
	demoChangeWords = []string{
		`Record doc changed: "An order as the customer placed it." → "An order as the customer placed it: who, how much, when and where."`,
		`Field added: string, default "web"`,
		`Field added: null | string, default null`,
	}
)

var changeRow = regexp.MustCompile(`data-testid="change" data-field="([^"]*)" data-type="([^"]*)" data-verdict="([^"]*)"`)

// changeRows lists the rows of a diff page's changes as field, kind and verdict.
func changeRows(page string) []string {
	var out []string
	for _, m := range changeRow.FindAllStringSubmatch(page, -1) {
		out = append(out, html.UnescapeString(m[1])+" "+m[2]+" "+m[3])
	}
	return out
}

// TestDemoRestartKeepsItsHistory runs the demo twice on one database, as `eventlens serve
// --demo` does across restarts: the second run takes the versions the first registered at once
// rather than starting over from version 1, and only tries the refused change again.
func TestDemoRestartKeepsItsHistory(t *testing.T) {
	ts := startServer(t)
	stop, _ := runDemo(t, ts, "")
	waitForDemoFlows(t, ts, "", 90*time.Second)
	stop()

	stop, log := runDemo(t, ts, "")
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(log.String(), "demo schema change refused") {
		if time.Now().After(deadline) {
			t.Fatalf("the second run did not try the refused change again:\n%s", log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	out := log.String()
	for _, want := range []string{
		`msg="demo schema already registered" subject=orders.placed-value version=2`,
		`msg="demo schema already registered" subject=orders.placed-value version=3`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the second run's log lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, `msg="demo schema registered"`) {
		t.Errorf("the second run registered a version again:\n%s", out)
	}
	if got := getWithKey(t, ts, "/subjects/orders.placed-value/versions", ""); got != "[1,2,3]" {
		t.Errorf("versions after two runs %s, want [1,2,3]", got)
	}
	if got := texts(ts.page(t, "/schemas/orders.placed-value", http.StatusOK), "tr", "refusal"); len(got) != 2 {
		t.Errorf("refusals after two runs %q, want one a run", got)
	}
}

// openTestCatalog is a catalog on a fresh database, with its own registry.
func openTestCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	store := storagetest.Default(t)
	return catalog.New(store, schemaregistry.New(store, schemaregistry.Formats()))
}

// dumpCatalog writes what a re-import must keep, one fact a line: services with their
// operations, channels with their messages, messages with their payloads (JSON compared
// canonically), owners and domains.
func dumpCatalog(t *testing.T, c *catalog.Catalog) string {
	t.Helper()
	ctx := context.Background()
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	services, err := c.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range services {
		add("service %q version=%q domain=%q owner=%q tags=%q description=%q", s.Name, s.Version, s.Domain, s.Owner, s.Tags, s.Description)
		full, err := c.Service(ctx, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range full.Operations {
			add("operation %q %q: %s %q %q group=%q summary=%q", o.Service, o.Name, o.Action, o.Channel, o.Messages, o.ConsumerGroup, o.Summary)
		}
	}
	channels, err := c.Channels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range channels {
		bindings, _ := json.Marshal(ch.Bindings)
		add("channel %q topic=%q owner=%q tags=%q bindings=%s description=%q", ch.Name, ch.KafkaTopic, ch.Owner, ch.Tags, bindings, ch.Description)
		full, err := c.Channel(ctx, ch.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range full.Messages {
			add("channel %q carries %q as subject %q", ch.Name, m.Message, m.Subject)
		}
	}
	messages, err := c.Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range messages {
		payload := m.Payload
		if m.SchemaType != catalog.SchemaProtobuf && payload != "" {
			var v any
			if err := json.Unmarshal([]byte(payload), &v); err != nil {
				t.Fatalf("message %q payload: %v", m.Name, err)
			}
			b, _ := json.Marshal(v)
			payload = string(b)
		}
		add("message %q kind=%s type=%q subject=%q owner=%q tags=%q title=%q summary=%q contentType=%q payload=%s",
			m.Name, m.Kind, m.SchemaType, m.Subject, m.Owner, m.Tags, m.Title, m.Summary, m.ContentType, payload)
	}
	owners, err := c.Owners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range owners {
		add("owner %q kind=%s email=%q url=%q description=%q", o.Name, o.Kind, o.Email, o.URL, o.Description)
	}
	domains, err := c.Domains(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range domains {
		add("domain %q owner=%q description=%q", d.Name, d.Owner, d.Description)
	}
	return strings.Join(lines, "\n")
}
