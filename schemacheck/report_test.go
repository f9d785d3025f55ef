package schemacheck

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func sampleReport() Report {
	return Report{Checked: []Checked{
		{Subject: "orders-value", File: "schemas/orders-value.avsc", Against: "registry", Findings: []Finding{
			{Subject: "orders-value", File: "schemas/orders-value.avsc", Line: 7, Kind: "READER_FIELD_MISSING_DEFAULT_VALUE", Path: "/fields/2", Field: "Order.currency", NewType: "string", Message: "The field 'currency' at path '/fields/2' in the new schema has no default value and is missing in the old schema"},
			{Subject: "orders-value", File: "schemas/orders-value.avsc", Kind: "TYPE_MISMATCH", Path: "/fields/0/type", Message: "a message with: colons, commas\nand a newline 100%"},
		}},
		{Subject: "payments-value", File: "schemas/payments-value.json", Against: "nothing (new subject)"},
	}}
}

func TestReportGolden(t *testing.T) {
	for _, format := range Formats {
		for _, colour := range []bool{false, true} {
			if colour && format != "text" {
				continue
			}
			name := format
			if colour {
				name += "-colour"
			}
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := sampleReport().Write(&buf, format, colour); err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join("testdata", "report-"+name+".golden")
				if *update {
					if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if buf.String() != string(want) {
					t.Errorf("output differs from %s:\n%s", golden, buf.String())
				}
			})
		}
	}
}

func TestReportJUnitParses(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().Write(&buf, "junit", false); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name     string `xml:"name,attr"`
				Failures []struct {
					Type string `xml:"type,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit output is not XML: %v", err)
	}
	if doc.Tests != 2 || doc.Failures != 1 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 2 || len(doc.Suites[0].Cases[0].Failures) != 2 {
		t.Fatalf("unexpected JUnit structure: %+v", doc)
	}
}

// A GitHub workflow command is "::name key=value,key=value::message" on one line, with
// properties and data escaped as GitHub's toolkit escapes them.
var workflowCommand = regexp.MustCompile(`^::(error|warning|notice) ((file|line|title)=[^,:]*)(,(file|line|title)=[^,:]*)*::[^\r\n]*$`)

func TestReportGitHubSyntax(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().Write(&buf, "github", false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one annotation per finding, got %d lines:\n%s", len(lines), buf.String())
	}
	for _, l := range lines {
		if !workflowCommand.MatchString(l) {
			t.Errorf("not a workflow command: %q", l)
		}
	}
	if !strings.Contains(lines[0], "file=schemas/orders-value.avsc,line=7,") {
		t.Errorf("first annotation lacks file and line: %q", lines[0])
	}
	if !strings.Contains(lines[1], "colons, commas%0Aand a newline 100%25") {
		t.Errorf("message data not escaped: %q", lines[1])
	}
}

func TestFindingChange(t *testing.T) {
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{Field: "Payment.id", OldType: "string", NewType: "long"}, "field Payment.id changed type string → long"},
		{Finding{Field: "Payment.currency", NewType: "string"}, "field Payment.currency (string) added"},
		{Finding{Field: "Payment.note", OldType: "null | string"}, "field Payment.note (null | string) removed"},
		{Finding{Field: "Payment.status", OldType: "shop.Status", NewType: "shop.Status"}, "field Payment.status (shop.Status)"},
		{Finding{Field: "Order.payment"}, "field Order.payment"},
		{Finding{OldType: "string", NewType: "long"}, "schema changed type string → long"},
		{Finding{Path: "#/Refund"}, ""},
	}
	for _, tt := range tests {
		if got := tt.f.Change(); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := sampleReport().Write(&bytes.Buffer{}, "yaml", false); err == nil {
		t.Fatal("unknown format accepted")
	}
}
