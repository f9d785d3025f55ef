package alerts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadFileReadsTheSample(t *testing.T) {
	c, err := LoadFile("testdata/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 7 || len(c.Receivers) != 3 {
		t.Fatalf("%d rules, %d receivers; want 7 and 3", len(c.Rules), len(c.Receivers))
	}
	if c.Receivers[2].Format != FormatJSON {
		t.Errorf("a receiver without format is %q, want json", c.Receivers[2].Format)
	}
	lag := c.Rules[2]
	if lag.Lag != 10000 || lag.TimeLag != 5*time.Minute || lag.For != 10*time.Minute || lag.Match["service"] != "payments*" {
		t.Errorf("lagging rule read as %+v", lag)
	}
	if c.RetryInitial != 5*time.Second || c.RetryMax != 5*time.Minute || c.SendTimeout != 10*time.Second {
		t.Errorf("defaults: %+v", c)
	}
}

func TestParseRefusesBadFiles(t *testing.T) {
	const receiver = "receivers:\n  - name: r\n    url: http://127.0.0.1:9/hook\n"
	rule := func(extra string) string {
		return receiver + "rules:\n  - name: x\n    kind: consumer_failing\n    severity: critical\n" + extra
	}
	for _, tc := range []struct {
		name, file, want string
	}{
		{"empty", "  \n", "empty"},
		{"not YAML", "rules: [\n", "line 1"},
		{"no rules", receiver, "no rules"},
		{"unknown field", rule("    forr: 5m\n"), "line 8: field forr not found"},
		{"bad duration", rule("    for: 5 minutes\n"), "line 8"},
		{"negative for", rule("    for: -1m\n"), `line 8: rule "x": for -1m0s`},
		{"unknown kind", receiver + "rules:\n  - name: x\n    kind: cpu_high\n    severity: critical\n", `line 6: rule "x": kind "cpu_high"`},
		{"unknown severity", receiver + "rules:\n  - name: x\n    kind: drift\n    severity: urgent\n", `line 7: rule "x": severity "urgent"`},
		{"unknown receiver", rule("    receivers: [nobody]\n"), `line 8: rule "x": receiver "nobody"`},
		{"duplicate rule", rule("  - name: x\n    kind: drift\n    severity: info\n"), `line 8: rule "x": a second rule`},
		{"lag on the wrong kind", rule("    lag: 5\n"), `line 8: rule "x": lag: only for a rule of kind consumer_lagging`},
		{"lagging without threshold", receiver + "rules:\n  - name: x\n    kind: consumer_lagging\n    severity: info\n", "needs lag"},
		{"bad drift kind", receiver + "rules:\n  - name: x\n    kind: drift\n    severity: info\n    drift_kinds: [typo]\n", `line 8: rule "x": drift kind "typo"`},
		{"bad match key", rule("    match: {team: x}\n"), `line 8: rule "x": match "team"`},
		{"bad glob", rule("    match: {service: \"[\"}\n"), "not a glob pattern"},
		{"bad url", "receivers:\n  - name: r\n    url: file:///etc/passwd\nrules: []\n", "no rules"},
		{"bad url with a rule", "receivers:\n  - name: r\n    url: ftp://x/y\n" + "rules:\n  - name: x\n    kind: drift\n    severity: info\n", `line 3: receiver "r": url`},
		{"bad format", "receivers:\n  - name: r\n    format: teams\n    url: http://x/\nrules:\n  - name: x\n    kind: drift\n    severity: info\n", `line 3: receiver "r": format "teams"`},
		{"header injection", "receivers:\n  - name: r\n    url: http://x/\n    headers: {X-A: \"a\\r\\nHost: evil\"}\nrules:\n  - name: x\n    kind: drift\n    severity: info\n", `header "X-A"`},
		{"control character in a name", receiver + "rules:\n  - name: \"a\\u0007b\"\n    kind: drift\n    severity: info\n", "control character"},
		{"two documents", rule("---\nrules: []\n"), "more than one YAML document"},
		{"evaluate too often", "evaluate_every: 1ms\n" + rule(""), "line 1: evaluate_every"},
		{"alias bomb", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
			"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n" +
			"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.file))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.file)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestLoadFileRefusesAHugeFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "alerts.yaml")
	if err := os.WriteFile(file, []byte("# "+strings.Repeat("x", maxFileBytes)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(file)
	if err == nil || !strings.Contains(err.Error(), "larger than") || !strings.Contains(err.Error(), file) {
		t.Errorf("error %v, want one naming the file and its size", err)
	}
}

func TestErrorsHideWebhookSecrets(t *testing.T) {
	_, err := Parse([]byte("receivers:\n  - name: r\n    url: \"gopher://hooks.slack.com/services/T0/B0/SECRET\"\nrules:\n  - name: x\n    kind: drift\n    severity: info\n"))
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error %v: want one without the URL's path", err)
	}
}
