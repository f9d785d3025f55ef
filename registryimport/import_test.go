package registryimport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/registryclient"
)

// fillSource gives an eventlens what a registry that has been used for a while holds: several
// formats, references (Avro and Protobuf), one schema under two subjects, soft-deleted versions
// and a soft-deleted subject, a hard-deleted version (a hole in versions and ids), an id given in
// IMPORT mode, and configs and modes, global and per subject.
func fillSource(t *testing.T, src string) {
	t.Helper()
	avro := func(name string, fields ...string) string {
		fs := ""
		for i, f := range fields {
			if i > 0 {
				fs += ","
			}
			fs += fmt.Sprintf(`{"name":"%s","type":"string","default":""}`, f)
		}
		b, _ := json.Marshal(map[string]string{"schema": fmt.Sprintf(`{"type":"record","name":"%s","namespace":"shop","fields":[%s]}`, name, fs)})
		return string(b)
	}
	post := func(subject, body string) {
		must(t, src, "POST", "/subjects/"+url.PathEscape(subject)+"/versions", body)
	}
	for i := 1; i <= 4; i++ {
		post("orders-value", avro("Order", []string{"id", "total", "currency", "note"}[:i]...))
	}
	must(t, src, "DELETE", "/subjects/orders-value/versions/2", "")
	post("shared-value", avro("Order", "id")) // orders-value's version 1: the same id
	post("customer", avro("Customer", "name"))
	post("invoice-value", `{"schema":"{\"type\":\"record\",\"name\":\"Invoice\",\"namespace\":\"shop\",\"fields\":[{\"name\":\"to\",\"type\":\"shop.Customer\"}]}",
		"references":[{"name":"shop.Customer","subject":"customer","version":1}]}`)
	post("gone-value", avro("Gone", "a"))
	post("gone-value", avro("Gone", "a", "b"))
	must(t, src, "DELETE", "/subjects/gone-value", "")
	post("holes", avro("Hole", "a"))
	post("holes", avro("Hole", "a", "b"))
	must(t, src, "DELETE", "/subjects/holes/versions/1", "")
	must(t, src, "DELETE", "/subjects/holes/versions/1?permanent=true", "")
	post("json-value", `{"schemaType":"JSON","schema":"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}"}`)
	post("money", `{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";\npackage shop;\nmessage Money { int64 units = 1; string currency = 2; }\n"}`)
	post("payment-value", `{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";\npackage shop;\nimport \"money.proto\";\nmessage Payment { shop.Money amount = 1; }\n",
		"references":[{"name":"money.proto","subject":"money","version":1}]}`)
	post("with-metadata", `{"schema":"\"string\"","metadata":{"properties":{"owner":"team-a"}},"ruleSet":{"domainRules":[{"name":"r","kind":"CONDITION","type":"CEL","mode":"WRITE","expr":"true"}]}}`)
	must(t, src, "PUT", "/mode/imported", `{"mode":"IMPORT"}`)
	post("imported", `{"schema":"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}","id":1000,"version":5}`)
	must(t, src, "PUT", "/config/orders-value", `{"compatibility":"BACKWARD_TRANSITIVE","normalize":true}`)
	must(t, src, "PUT", "/config/json-value", `{"compatibility":"NONE"}`)
	must(t, src, "PUT", "/mode/customer", `{"mode":"READONLY"}`)
	must(t, src, "PUT", "/config", `{"compatibility":"FULL"}`)
}

// apiAnswers asks base every read of the registry API about everything it holds (subjects and
// ids as listed by list, another registry with the same contents) and returns status and body of
// each, without timestamps.
func apiAnswers(t *testing.T, base, list string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ask := func(path string) string {
		status, body := call(t, base, "GET", path, "")
		out[path] = strconv.Itoa(status) + " " + withoutTimestamps(body)
		return body
	}
	for _, p := range []string{"/subjects", "/config", "/mode", "/schemas", "/schemas?deleted=true", "/schemas?latestOnly=true"} {
		ask(p)
	}
	var subjects []string
	_, body := call(t, list, "GET", "/subjects?deleted=true", "")
	if err := json.Unmarshal([]byte(body), &subjects); err != nil {
		t.Fatalf("subjects: %v (%s)", err, body)
	}
	ask("/subjects?deleted=true")
	ids := map[int]bool{}
	for _, s := range subjects {
		p := "/subjects/" + url.PathEscape(s)
		for _, q := range []string{"/versions", "/versions?deleted=true", "/versions/latest"} {
			ask(p + q)
		}
		ask("/config/" + url.PathEscape(s))
		ask("/mode/" + url.PathEscape(s))
		var versions []int
		_, body := call(t, list, "GET", p+"/versions?deleted=true", "")
		json.Unmarshal([]byte(body), &versions)
		for _, v := range versions {
			vp := fmt.Sprintf("%s/versions/%d", p, v)
			var sv struct {
				ID   int    `json:"id"`
				GUID string `json:"guid"`
			}
			json.Unmarshal([]byte(ask(vp+"?deleted=true")), &sv)
			ask(vp)
			ask(vp + "/schema?deleted=true")
			ask(vp + "/referencedby")
			ids[sv.ID] = true
			if sv.GUID != "" {
				ask("/schemas/guids/" + sv.GUID)
			}
		}
	}
	for id := range ids {
		p := fmt.Sprintf("/schemas/ids/%d", id)
		for _, q := range []string{"", "/schema", "/subjects", "/subjects?deleted=true", "/versions", "/versions?deleted=true"} {
			ask(p + q)
		}
	}
	return out
}

// sameAnswers fails the test where target answers differently from source.
func sameAnswers(t *testing.T, source, target string) {
	t.Helper()
	want, got := apiAnswers(t, source, source), apiAnswers(t, target, source)
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if got[p] != want[p] {
			t.Errorf("GET %s:\n source: %s\n target: %s", p, want[p], got[p])
		}
	}
	if len(paths) < 100 {
		t.Fatalf("compared only %d answers", len(paths))
	}
}

func TestImportCopiesEveryAnswer(t *testing.T) {
	src, dst := startEventlens(t), startEventlens(t)
	fillSource(t, src)
	ctx := context.Background()
	opt := copyOptions(t, src, dst, 0)
	rep, err := Import(ctx, opt)
	if err != nil || len(rep.Refused) > 0 {
		t.Fatalf("import: %v, refused %v", err, rep.Refused)
	}
	// orders 4, shared 1, customer 1, invoice 1, gone 2, holes 1, json 1, money 1, payment 1, metadata 1, imported 1.
	if rep.Copied != 15 || rep.SoftDeleted != 3 || rep.Present != 0 || rep.Subjects != 11 {
		t.Errorf("first run: %+v, want 15 copied (3 soft-deleted) of 11 subjects", rep)
	}
	sameAnswers(t, src, dst)

	// Again: nothing is copied twice, and the answers stay the same.
	rep, err = Import(ctx, opt)
	if err != nil || len(rep.Refused) > 0 || rep.Copied != 0 || rep.Present != 15 || rep.SoftDeleted != 0 {
		t.Fatalf("second run: %+v, %v; want 15 present, none copied", rep, err)
	}
	sameAnswers(t, src, dst)
}

// TestImportResumes: a copy stopped halfway (the context ends, as on Ctrl-C) finishes when run
// again, with the same answers as one that was never stopped.
func TestImportResumes(t *testing.T) {
	src, dst := startEventlens(t), startEventlens(t)
	fillSource(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	opt := copyOptions(t, src, dst, 0)
	opt.Progress = func(p Progress) {
		if p.VersionsDone == 6 {
			cancel()
		}
	}
	rep, err := Import(ctx, opt)
	if !errors.Is(err, context.Canceled) || rep.Copied < 5 || rep.Copied >= 15 {
		t.Fatalf("stopped run: %+v, %v; want stopped after some versions", rep, err)
	}
	opt.Progress = nil
	rep, err = Import(context.Background(), opt)
	if err != nil || len(rep.Refused) > 0 || rep.Copied+rep.Present != 15 || rep.Present < 5 {
		t.Fatalf("resumed run: %+v, %v", rep, err)
	}
	sameAnswers(t, src, dst)
}

// TestImportPrefix copies the subjects under a prefix and the versions they reference, and
// leaves the global config and mode alone.
func TestImportPrefix(t *testing.T) {
	src, dst := startEventlens(t), startEventlens(t)
	fillSource(t, src)
	opt := copyOptions(t, src, dst, 0)
	opt.SubjectPrefix = "inv"
	rep, err := Import(context.Background(), opt)
	if err != nil || len(rep.Refused) > 0 || rep.Copied != 2 {
		t.Fatalf("import: %+v, %v; want invoice-value and the customer version it references", rep, err)
	}
	if got := must(t, dst, "GET", "/subjects", ""); got != `["customer","invoice-value"]` {
		t.Errorf("subjects: %s", got)
	}
	if got := must(t, dst, "GET", "/config", ""); got != `{"compatibilityLevel":"BACKWARD"}` {
		t.Errorf("global config: %s, want the target's own", got)
	}
}

// TestImportRefusesConflicts: a version the target holds already as another schema, or an id it
// gives another schema, is refused and left as the target has it.
func TestImportRefusesConflicts(t *testing.T) {
	src, dst := startEventlens(t), startEventlens(t)
	must(t, src, "POST", "/subjects/a/versions", `{"schema":"\"string\""}`)
	must(t, src, "POST", "/subjects/b/versions", `{"schema":"\"int\""}`)
	must(t, dst, "POST", "/subjects/a/versions", `{"schema":"\"long\""}`)    // a version 1, id 1
	must(t, dst, "POST", "/subjects/c/versions", `{"schema":"\"boolean\""}`) // id 2
	rep, err := Import(context.Background(), copyOptions(t, src, dst, 0))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rep.Refused {
		got[r.Item] = r.Reason
	}
	if !strings.Contains(got[`subject "a" version 1`], "the target holds this version already, as another schema") {
		t.Errorf("a's version 1: %q", got[`subject "a" version 1`])
	}
	if !strings.Contains(got[`subject "b" version 1`], "42207") {
		t.Errorf("b's version 1, whose id 2 the target gives another schema: %q", got[`subject "b" version 1`])
	}
	if len(rep.Refused) != 2 || rep.Copied != 0 {
		t.Errorf("report %+v, want the two refusals only", rep)
	}
	if s := must(t, dst, "GET", "/subjects/a/versions/1/schema", ""); s != `"long"` {
		t.Errorf("the target's a version 1 became %s", s)
	}
}

// TestImportContexts copies subjects of several contexts with their ids, which overlap between
// contexts, and references within a context.
func TestImportContexts(t *testing.T) {
	src, dst := startEventlens(t), startEventlens(t)
	schema := func(name string) string {
		b, _ := json.Marshal(map[string]string{"schema": fmt.Sprintf(`{"type":"record","name":"%s","fields":[]}`, name)})
		return string(b)
	}
	must(t, src, "POST", "/subjects/orders-value/versions", schema("A"))
	must(t, src, "POST", "/subjects/:.staging:orders-value/versions", schema("B"))
	must(t, src, "POST", "/subjects/:.staging:common/versions", schema("C"))
	must(t, src, "POST", "/subjects/:.staging:ref-value/versions", `{"schema":"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"c\",\"type\":\"C\"}]}",
		"references":[{"name":"C","subject":"common","version":1}]}`)
	must(t, src, "PUT", "/config/:.staging:orders-value", `{"compatibility":"NONE"}`)
	rep, err := Import(context.Background(), copyOptions(t, src, dst, 0))
	if err != nil || len(rep.Refused) > 0 || rep.Copied != 4 {
		t.Fatalf("import: %+v, %v", rep, err)
	}
	for _, p := range []string{"/contexts", "/subjects", "/schemas/ids/1", "/schemas/ids/1?subject=:.staging:", "/schemas/ids/2?subject=:.staging:",
		"/schemas/ids/3?subject=:.staging:ref-value", "/subjects/:.staging:ref-value/versions/1", "/config/:.staging:orders-value",
		"/subjects/:.staging:common/versions/1/referencedby"} {
		_, want := call(t, src, "GET", p, "")
		if _, got := call(t, dst, "GET", p, ""); withoutTimestamps(got) != withoutTimestamps(want) {
			t.Errorf("GET %s:\n source: %s\n target: %s", p, want, got)
		}
	}
}

// copyOptions copy src into dst with clients that retry quickly and read answers of up to
// maxAnswer bytes (0: the default).
func copyOptions(t testing.TB, src, dst string, maxAnswer int64) Options {
	t.Helper()
	var clients [2]*registryclient.Client
	for i, url := range []string{src, dst} {
		c, err := registryclient.New(url, registryclient.Options{Timeout: time.Minute, Retries: 3, MaxAnswer: maxAnswer})
		if err != nil {
			t.Fatal(err)
		}
		c.Backoff = 10 * time.Millisecond
		clients[i] = c
	}
	return Options{Source: clients[0], Target: clients[1]}
}
