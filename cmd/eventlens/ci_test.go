package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// ciRecipes reads the GitHub Actions workflow and the GitLab CI file from docs/ci.md: the
// first ```yaml block after each heading.
func ciRecipes(t *testing.T) (github, gitlab map[string]any) {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := func(heading string) map[string]any {
		_, after, ok := strings.Cut(string(doc), "\n## "+heading+"\n")
		if !ok {
			t.Fatalf("docs/ci.md has no %q section", heading)
		}
		m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(after)
		if m == nil {
			t.Fatalf("docs/ci.md: no yaml block under %q", heading)
		}
		var v map[string]any
		if err := yaml.Unmarshal([]byte(m[1]), &v); err != nil {
			t.Fatalf("docs/ci.md %q block is not YAML: %v", heading, err)
		}
		return v
	}
	return block("GitHub Actions"), block("GitLab CI")
}

// githubSteps returns the run: scripts of a job, in order.
func githubSteps(t *testing.T, workflow map[string]any, job string) []string {
	t.Helper()
	j, _ := workflow["jobs"].(map[string]any)[job].(map[string]any)
	var scripts []string
	for _, s := range j["steps"].([]any) {
		if run, ok := s.(map[string]any)["run"].(string); ok {
			scripts = append(scripts, run)
		}
	}
	if len(scripts) == 0 {
		t.Fatalf("job %s has no run steps", job)
	}
	return scripts
}

// gitlabScript returns a job's script lines as one script.
func gitlabScript(t *testing.T, file map[string]any, job string) string {
	t.Helper()
	j, _ := file[job].(map[string]any)
	var lines []string
	for _, l := range j["script"].([]any) {
		lines = append(lines, l.(string))
	}
	return strings.Join(lines, "\n")
}

// ciWorkspace is a git repository as a CI runner sees it: a main branch with the base schemas,
// pushed to an origin, and a feature branch with the proposed ones checked out.
type ciWorkspace struct {
	repo string
	env  []string
}

func newCIWorkspace(t *testing.T, registry, proposed string) *ciWorkspace {
	t.Helper()
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	// The recipes install eventlens with `go install …@latest`; here the binary under test
	// stands in for the published one: a `go` shim on PATH turns `go install` into a no-op and
	// `go env GOPATH` into the directory that holds the binary.
	bin := filepath.Join(root, "gopath", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(binary, filepath.Join(bin, "eventlens")); err != nil {
		t.Fatal(err)
	}
	realGo, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	shim := "#!/bin/sh\ncase \"$1 $2\" in\n  install*) exit 0 ;;\n  'env GOPATH') echo " + filepath.Dir(bin) + " ;;\n  *) exec " + realGo + " \"$@\" ;;\nesac\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	w := &ciWorkspace{repo: repo, env: append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"EVENTLENS_REGISTRY="+registry,
		"GITHUB_BASE_REF=main",
		"GIT_AUTHOR_NAME=ci", "GIT_AUTHOR_EMAIL=ci@example.com", "GIT_COMMITTER_NAME=ci", "GIT_COMMITTER_EMAIL=ci@example.com",
	)}
	copySchemas(t, filepath.Join("testdata", "check", "base", "schemas"), filepath.Join(repo, "schemas"))
	w.git(t, root, "init", "-q", "-b", "main", repo)
	w.git(t, repo, "add", ".")
	w.git(t, repo, "commit", "-q", "-m", "base schemas")
	w.git(t, root, "clone", "-q", "--bare", repo, filepath.Join(root, "origin.git"))
	w.git(t, repo, "remote", "add", "origin", "file://"+filepath.Join(root, "origin.git"))
	w.git(t, repo, "checkout", "-q", "-b", "feature")
	copySchemas(t, filepath.Join("testdata", "check", proposed, "schemas"), filepath.Join(repo, "schemas"))
	w.git(t, repo, "add", ".")
	w.git(t, repo, "commit", "-q", "--allow-empty", "-m", "proposed schemas")
	return w
}

func (w *ciWorkspace) git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Env = dir, w.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// run runs one recipe script as the CI runner would (bash -e) and returns its exit code and output.
func (w *ciWorkspace) run(t *testing.T, script string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", "-e", "-c", script)
	cmd.Dir, cmd.Env = w.repo, w.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return exitCode(err), out.String()
}

func copySchemas(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCIRecipes(t *testing.T) {
	github, gitlab := ciRecipes(t)
	p := startServe(t, filepath.Join(t.TempDir(), "eventlens.db"))

	// The register job on main publishes the base schemas.
	base := newCIWorkspace(t, p.URL, "base")
	base.git(t, base.repo, "checkout", "-q", "main")
	for _, script := range githubSteps(t, github, "register") {
		if code, out := base.run(t, script); code != 0 {
			t.Fatalf("GitHub register step %q: exit %d\n%s", script, code, out)
		}
	}
	if code, out := base.run(t, gitlabScript(t, gitlab, "schemas:register")); code != 0 || !strings.Contains(out, "unchanged  orders-value") {
		t.Fatalf("GitLab register job: exit %d\n%s", code, out)
	}

	// A compatible pull request passes every step of both check jobs.
	ok := newCIWorkspace(t, p.URL, "compatible")
	for _, script := range githubSteps(t, github, "check") {
		if code, out := ok.run(t, script); code != 0 {
			t.Fatalf("GitHub check step %q on a compatible change: exit %d\n%s", script, code, out)
		}
	}
	if code, out := ok.run(t, gitlabScript(t, gitlab, "schemas:check")); code != 0 {
		t.Fatalf("GitLab check job on a compatible change: exit %d\n%s", code, out)
	}

	// A breaking pull request fails at the registry step, with annotations on the file.
	bad := newCIWorkspace(t, p.URL, "breaking")
	steps := githubSteps(t, github, "check")
	var failed bool
	for _, script := range steps {
		code, out := bad.run(t, script)
		if code == 0 {
			continue
		}
		if code != 1 || !strings.Contains(out, "::error file=schemas/orders-value.avsc,line=") {
			t.Fatalf("GitHub check step %q on a breaking change: exit %d, want 1 with annotations\n%s", script, code, out)
		}
		failed = true
	}
	if !failed {
		t.Fatal("no GitHub check step failed on a breaking change")
	}
	code, out := bad.run(t, gitlabScript(t, gitlab, "schemas:check"))
	if code != 1 {
		t.Fatalf("GitLab check job on a breaking change: exit %d, want 1\n%s", code, out)
	}
	report, err := os.ReadFile(filepath.Join(bad.repo, "schemas-report.xml"))
	if err != nil || !bytes.Contains(report, []byte(`<failure type="READER_FIELD_MISSING_DEFAULT_VALUE"`)) {
		t.Fatalf("GitLab JUnit report (%v):\n%s", err, report)
	}
}
