package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/eventlens/eventlens/pgdb/pgtest"
)

// The chart, and the values file CI renders it with for several replicas on PostgreSQL.
const (
	chartDir       = "../../deploy/helm/eventlens"
	postgresValues = chartDir + "/ci/postgres-values.yaml"
)

// The parts of Kubernetes objects the test reads.
type (
	object struct {
		Kind     string
		Metadata struct{ Name string }
		Spec     struct {
			Replicas             *int
			Template             struct{ Spec podSpec }
			VolumeClaimTemplates []struct{ Metadata struct{ Name string } } `yaml:"volumeClaimTemplates"`
			Ports                []servicePort                              // Service
			Endpoints            []scrapeEndpoint                           // ServiceMonitor
		}
		Data map[string]string // Secret, base64
	}
	podSpec struct {
		SecurityContext struct {
			RunAsUser    int  `yaml:"runAsUser"`
			RunAsGroup   int  `yaml:"runAsGroup"`
			RunAsNonRoot bool `yaml:"runAsNonRoot"`
		} `yaml:"securityContext"`
		TerminationGracePeriodSeconds int         `yaml:"terminationGracePeriodSeconds"`
		InitContainers                []container `yaml:"initContainers"`
		Containers                    []container
		Volumes                       []volume
	}
	container struct {
		Name, Image   string
		Command, Args []string
		Env           []envVar
		Ports         []struct {
			Name          string
			ContainerPort int `yaml:"containerPort"`
		}
		StartupProbe   *probe `yaml:"startupProbe"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		VolumeMounts   []struct {
			Name      string
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
		SecurityContext struct {
			ReadOnlyRootFilesystem   bool `yaml:"readOnlyRootFilesystem"`
			AllowPrivilegeEscalation bool `yaml:"allowPrivilegeEscalation"`
		} `yaml:"securityContext"`
	}
	envVar struct {
		Name, Value string
		ValueFrom   *struct {
			SecretKeyRef *secretKeyRef `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	}
	secretKeyRef struct{ Name, Key string }
	probe        struct {
		HTTPGet struct{ Path, Port string } `yaml:"httpGet"`
	}
	volume struct {
		Name   string
		Secret *struct {
			SecretName string `yaml:"secretName"`
			Items      []struct{ Key, Path string }
		}
	}
	servicePort struct {
		Name       string
		TargetPort string `yaml:"targetPort"`
	}
	scrapeEndpoint struct {
		Port, Path    string
		Authorization struct {
			Type        string
			Credentials secretKeyRef
		}
	}
)

// manifests are the objects one `helm template` rendered.
type manifests []object

func (m manifests) find(t *testing.T, kind, name string) object {
	t.Helper()
	for _, o := range m {
		if o.Kind == kind && (name == "" || o.Metadata.Name == name) {
			return o
		}
	}
	t.Fatalf("the chart rendered no %s %q", kind, name)
	return object{}
}

func (m manifests) count(kind string) int {
	n := 0
	for _, o := range m {
		if o.Kind == kind {
			n++
		}
	}
	return n
}

// secretValue is what the kubelet reads for a secretKeyRef, from a Secret the chart rendered.
func (m manifests) secretValue(t *testing.T, ref secretKeyRef) string {
	t.Helper()
	encoded, ok := m.find(t, "Secret", ref.Name).Data[ref.Key]
	if !ok {
		t.Fatalf("Secret %s has no %q", ref.Name, ref.Key)
	}
	b, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatalf("Secret %s, %s: %v", ref.Name, ref.Key, err)
	}
	return string(b)
}

// helmBinary finds helm on PATH or where `go install helm.sh/helm/v3/cmd/helm` puts it. The test
// skips without it, except in CI, which installs it (.ci/run).
func helmBinary(t *testing.T) string {
	t.Helper()
	if path, err := exec.LookPath("helm"); err == nil {
		return path
	}
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		path := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "helm")
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("helm is not installed: CI must check the chart (see .ci/run)")
	}
	t.Skip("the chart tests need helm: go install helm.sh/helm/v3/cmd/helm@v3.22.0")
	return ""
}

// helmTemplate renders the chart as release "el" with args added; it returns helm's error output
// when the render fails.
func helmTemplate(t *testing.T, helm string, args ...string) (manifests, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(helm, append([]string{"template", "el", chartDir}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, stderr.String())
	}
	var m manifests
	dec := yaml.NewDecoder(&stdout)
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			t.Fatalf("helm template printed YAML that does not decode: %v", err)
		}
		if o.Kind != "" {
			m = append(m, o)
		}
	}
}

func mustRender(t *testing.T, helm string, args ...string) manifests {
	t.Helper()
	m, err := helmTemplate(t, helm, args...)
	if err != nil {
		t.Fatalf("helm template %s: %v", strings.Join(args, " "), err)
	}
	return m
}

// flagDefault is the default kong gives the serverFlags field named field.
func flagDefault(t *testing.T, field string) string {
	t.Helper()
	f, ok := reflect.TypeFor[serverFlags]().FieldByName(field)
	if !ok {
		t.Fatalf("serverFlags has no field %s", field)
	}
	return f.Tag.Get("default")
}

func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return n
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (c container) port(t *testing.T, name string) int {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("container %s has no port named %q", c.Name, name)
	return 0
}

func (c container) env(name string) (envVar, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e, true
		}
	}
	return envVar{}, false
}

// pod is what the kubelet would make of a rendered pod template on this machine: each volume a
// directory (a Secret's holding its items), each container run as the image's entrypoint, the
// eventlens binary, with its args and env and its mount paths rewritten to those directories.
type pod struct {
	spec    podSpec
	objects manifests
	volumes map[string]string // volume name → directory
}

func newPod(t *testing.T, m manifests, spec podSpec) *pod {
	t.Helper()
	p := &pod{spec: spec, objects: m, volumes: map[string]string{}}
	root := t.TempDir()
	claims := map[string]bool{}
	for _, c := range m {
		for _, v := range c.Spec.VolumeClaimTemplates {
			claims[v.Metadata.Name] = true
		}
	}
	for _, v := range spec.Volumes {
		dir := filepath.Join(root, v.Name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		p.volumes[v.Name] = dir
		if v.Secret == nil {
			continue
		}
		for _, item := range v.Secret.Items {
			value := m.secretValue(t, secretKeyRef{Name: v.Secret.SecretName, Key: item.Key})
			if err := os.WriteFile(filepath.Join(dir, item.Path), []byte(value), 0o400); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name := range claims { // the StatefulSet's claims, one directory each
		if _, ok := p.volumes[name]; ok {
			continue
		}
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		p.volumes[name] = dir
	}
	return p
}

// command is container c as this machine runs it.
func (p *pod) command(t *testing.T, c container) *exec.Cmd {
	t.Helper()
	if len(c.Command) != 0 {
		t.Fatalf("container %s overrides the image's entrypoint (the eventlens binary): %q", c.Name, c.Command)
	}
	// Longest mount path first, so /data/x is not rewritten by a mount at /d.
	mounts := map[string]string{}
	var paths []string
	for _, m := range c.VolumeMounts {
		dir, ok := p.volumes[m.Name]
		if !ok {
			t.Fatalf("container %s mounts volume %q, which the pod does not have", c.Name, m.Name)
		}
		mounts[m.MountPath] = dir
		paths = append(paths, m.MountPath)
	}
	sort.Slice(paths, func(i, j int) bool { return len(paths[i]) > len(paths[j]) })
	// A path is a whole value, or what follows the = of a --flag=value.
	rewrite := func(s string) string {
		prefix, path := "", s
		if flag, value, ok := strings.Cut(s, "="); ok && strings.HasPrefix(flag, "--") {
			prefix, path = flag+"=", value
		}
		for _, mp := range paths {
			if rest, ok := strings.CutPrefix(path, mp); ok && (rest == "" || rest[0] == '/') {
				return prefix + mounts[mp] + rest
			}
		}
		return s
	}
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = rewrite(a)
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")} // only what the pod sets: none of this process's EVENTLENS_*
	for _, e := range c.Env {
		value := rewrite(e.Value)
		if e.ValueFrom != nil {
			if e.ValueFrom.SecretKeyRef == nil {
				t.Fatalf("container %s, %s: only secretKeyRef is emulated", c.Name, e.Name)
			}
			value = p.objects.secretValue(t, *e.ValueFrom.SecretKeyRef)
		}
		cmd.Env = append(cmd.Env, e.Name+"="+value)
	}
	return cmd
}

// initializer returns what a pod (re)start does first: run the init containers in order. It
// may run on another goroutine than the test's.
func (p *pod) initializer(t *testing.T) func() error {
	t.Helper()
	var cmds []*exec.Cmd
	for _, c := range p.spec.InitContainers {
		cmds = append(cmds, p.command(t, c))
	}
	return func() error {
		for i, cmd := range cmds {
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("init container %s: %v\n%s", p.spec.InitContainers[i].Name, err, out)
			}
		}
		return nil
	}
}

// serve starts the eventlens container and waits until it listens.
func (p *pod) serve(t *testing.T) (container, *process) {
	t.Helper()
	if len(p.spec.Containers) != 1 {
		t.Fatalf("the pod has %d containers, want 1", len(p.spec.Containers))
	}
	c := p.spec.Containers[0]
	return c, startCmd(t, p.command(t, c))
}

func authorizedGet(t *testing.T, url, bearer string) int {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// checkPod starts the pod the chart rendered and checks what Kubernetes would rely on: the
// ports it declares are those eventlens listens on, beyond loopback; each probe answers 200 on
// its port; the Services' target ports exist; the ServiceMonitor's key may read /metrics; it
// stops within its grace period.
func checkPod(t *testing.T, m manifests, spec podSpec) {
	p := newPod(t, m, spec)
	for range 2 { // a restarted pod provisions its keys again: nothing to do
		if err := p.initializer(t)(); err != nil {
			t.Fatal(err)
		}
	}
	c, proc := p.serve(t)

	httpPort, grpcPort := c.port(t, "http"), c.port(t, "otlp-grpc")
	if got := port(t, strings.TrimPrefix(proc.URL, "http://")); got != httpPort {
		t.Errorf("eventlens listens on %s, the container declares port %d", proc.URL, httpPort)
	}
	if proc.OTLPGRPC == "" || port(t, proc.OTLPGRPC) != grpcPort {
		t.Errorf("eventlens listens for OTLP/gRPC on %q, the container declares port %d", proc.OTLPGRPC, grpcPort)
	}
	for _, addr := range []string{proc.URL, proc.OTLPGRPC} {
		if !strings.Contains(addr, "0.0.0.0:") && !strings.Contains(addr, "[::]:") {
			t.Errorf("eventlens listens on %s, which other pods cannot reach", addr)
		}
	}

	probes := map[string]*probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe}
	want := map[string]string{"startup": "/healthz", "liveness": "/healthz", "readiness": "/readyz"}
	for name, pr := range probes {
		if pr == nil {
			t.Errorf("no %s probe", name)
			continue
		}
		if pr.HTTPGet.Path != want[name] {
			t.Errorf("%s probe on %s, want %s", name, pr.HTTPGet.Path, want[name])
		}
		// The kubelet sends no API key: the probe paths must answer without one.
		url := fmt.Sprintf("http://127.0.0.1:%d%s", c.port(t, pr.HTTPGet.Port), pr.HTTPGet.Path)
		if code := authorizedGet(t, url, ""); code != http.StatusOK {
			t.Errorf("%s probe: GET %s answers %d, want 200", name, url, code)
		}
	}

	for _, svc := range []string{"el-eventlens", "el-eventlens-headless"} {
		for _, sp := range m.find(t, "Service", svc).Spec.Ports {
			c.port(t, sp.TargetPort)
		}
	}

	if m.count("ServiceMonitor") > 0 {
		ep := m.find(t, "ServiceMonitor", "").Spec.Endpoints[0]
		var target string
		for _, sp := range m.find(t, "Service", "el-eventlens").Spec.Ports {
			if sp.Name == ep.Port {
				target = sp.TargetPort
			}
		}
		url := fmt.Sprintf("http://127.0.0.1:%d%s", c.port(t, target), ep.Path)
		if ep.Authorization.Type != "Bearer" {
			t.Errorf("the ServiceMonitor authorizes with %q, want Bearer", ep.Authorization.Type)
		}
		if code := authorizedGet(t, url, m.secretValue(t, ep.Authorization.Credentials)); code != http.StatusOK {
			t.Errorf("GET %s with the ServiceMonitor's key: %d, want 200", url, code)
		}
		if code := authorizedGet(t, url, ""); code != http.StatusUnauthorized {
			t.Errorf("GET %s without a key: %d, want 401 (API keys are on)", url, code)
		}
	}

	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-proc.done:
		if err != nil {
			t.Errorf("eventlens exited with %v on SIGTERM:\n%s", err, proc.logs)
		}
	case <-time.After(time.Duration(spec.TerminationGracePeriodSeconds) * time.Second):
		t.Errorf("eventlens did not stop within terminationGracePeriodSeconds (%ds)", spec.TerminationGracePeriodSeconds)
	}
}

// The chart names the image its appVersion tags, the ports and probe paths eventlens really has,
// runs as the image's user, and its pods really start: TestHelmChart renders it and runs what it
// rendered with the binary.
func TestHelmChart(t *testing.T) {
	helm := helmBinary(t)
	var chart struct {
		AppVersion string `yaml:"appVersion"`
	}
	var values struct {
		Image struct{ Repository string }
	}
	readYAML(t, chartDir+"/Chart.yaml", &chart)
	readYAML(t, chartDir+"/values.yaml", &values)
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("default: one replica on SQLite", func(t *testing.T) {
		m := mustRender(t, helm)
		if n := m.count("Deployment"); n != 0 {
			t.Errorf("%d Deployments on SQLite, want the StatefulSet alone", n)
		}
		sts := m.find(t, "StatefulSet", "el-eventlens")
		if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 1 {
			t.Errorf("replicas %v, want 1", sts.Spec.Replicas)
		}
		if len(sts.Spec.VolumeClaimTemplates) != 1 || sts.Spec.VolumeClaimTemplates[0].Metadata.Name != "data" {
			t.Errorf("volume claims %+v, want one named data", sts.Spec.VolumeClaimTemplates)
		}
		spec := sts.Spec.Template.Spec
		c := spec.Containers[0]

		if want := values.Image.Repository + ":" + chart.AppVersion; c.Image != want {
			t.Errorf("image %q, want %q", c.Image, want)
		}
		for _, ic := range spec.InitContainers {
			if ic.Image != c.Image {
				t.Errorf("init container %s runs %q, not %q", ic.Name, ic.Image, c.Image)
			}
		}
		// The ports are the binary's default ports, on every interface, and the image's.
		for _, tt := range []struct{ name, field, flag string }{{"http", "Addr", "--addr"}, {"otlp-grpc", "OTLPGRPCAddr", "--otlp-grpc-addr"}} {
			want := port(t, flagDefault(t, tt.field))
			if got := c.port(t, tt.name); got != want {
				t.Errorf("container port %s is %d, the binary's %s defaults to port %d", tt.name, got, tt.flag, want)
			}
			if arg := fmt.Sprintf("%s=0.0.0.0:%d", tt.flag, want); !slices.Contains(c.Args, arg) {
				t.Errorf("args %q lack %s", c.Args, arg)
			}
			if !regexp.MustCompile(`(?m)^EXPOSE .*\b` + strconv.Itoa(want) + `\b`).Match(dockerfile) {
				t.Errorf("the Dockerfile does not EXPOSE %d", want)
			}
		}
		if db, ok := c.env("EVENTLENS_DB"); !ok || db.Value != "/data/eventlens.db" {
			t.Errorf("EVENTLENS_DB %+v, want /data/eventlens.db on the data volume", db)
		}
		// The user the Dockerfile gives /data to, non-root, with a read-only root filesystem.
		owner := regexp.MustCompile(`--chown=(\d+):(\d+) /out/data /data`).FindSubmatch(dockerfile)
		if owner == nil {
			t.Fatal("the Dockerfile no longer gives /data to a user with --chown=uid:gid")
		}
		sc := spec.SecurityContext
		if got := fmt.Sprintf("%d:%d", sc.RunAsUser, sc.RunAsGroup); got != string(owner[1])+":"+string(owner[2]) || !sc.RunAsNonRoot {
			t.Errorf("pod runs as %s (non-root %v), the image's /data belongs to %s:%s", got, sc.RunAsNonRoot, owner[1], owner[2])
		}
		if !c.SecurityContext.ReadOnlyRootFilesystem || c.SecurityContext.AllowPrivilegeEscalation {
			t.Errorf("container security context %+v, want a read-only root and no privilege escalation", c.SecurityContext)
		}
	})

	t.Run("the SQLite pod starts and answers its probes", func(t *testing.T) {
		// Free ports instead of 8080 and 4317, which something else on this machine may hold.
		m := mustRender(t, helm, "--set", fmt.Sprintf("ports.http=%d,ports.otlpGrpc=%d,serviceMonitor.enabled=true", freePort(t), freePort(t)))
		checkPod(t, m, m.find(t, "StatefulSet", "el-eventlens").Spec.Template.Spec)
	})

	t.Run("insecureNoAuth: no keys, on purpose", func(t *testing.T) {
		m := mustRender(t, helm, "--set", fmt.Sprintf("insecureNoAuth=true,apiKeys.provision=null,ports.http=%d,ports.otlpGrpc=%d", freePort(t), freePort(t)))
		if m.count("Secret") != 0 {
			t.Errorf("%d Secrets rendered, want none", m.count("Secret"))
		}
		spec := m.find(t, "StatefulSet", "el-eventlens").Spec.Template.Spec
		if len(spec.InitContainers) != 0 || !slices.Contains(spec.Containers[0].Args, "--insecure-no-auth") {
			t.Errorf("init containers %d, args %q: want none and --insecure-no-auth", len(spec.InitContainers), spec.Containers[0].Args)
		}
		checkPod(t, m, spec)
	})

	t.Run("three replicas on PostgreSQL", func(t *testing.T) {
		m := mustRender(t, helm, "-f", postgresValues)
		if n := m.count("StatefulSet") + m.count("PersistentVolumeClaim"); n != 0 {
			t.Errorf("%d StatefulSets or claims on PostgreSQL, want none", n)
		}
		d := m.find(t, "Deployment", "el-eventlens")
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
			t.Errorf("replicas %v, want 3", d.Spec.Replicas)
		}
		spec := d.Spec.Template.Spec
		for _, v := range spec.Volumes {
			if v.Name == "data" {
				t.Errorf("a data volume on PostgreSQL: %+v", v)
			}
		}
		want := secretKeyRef{Name: "eventlens-db", Key: "EVENTLENS_DB"}
		for _, c := range append(spec.InitContainers, spec.Containers...) {
			db, ok := c.env("EVENTLENS_DB")
			if !ok || db.Value != "" || db.ValueFrom == nil || db.ValueFrom.SecretKeyRef == nil || *db.ValueFrom.SecretKeyRef != want {
				t.Errorf("container %s: EVENTLENS_DB %+v, want it from Secret %+v", c.Name, db, want)
			}
		}
		if len(spec.InitContainers) != 3 {
			t.Errorf("%d init containers, want one per key: admin, otel-collector, prometheus", len(spec.InitContainers))
		}
		m.find(t, "PodDisruptionBudget", "el-eventlens")
	})

	t.Run("three PostgreSQL pods start together", func(t *testing.T) {
		// The URL in values (the chart's own Secret), three pods' init containers at once.
		dbURL := pgtest.URL(t)
		file := filepath.Join(t.TempDir(), "values.yaml")
		if err := os.WriteFile(file, []byte(fmt.Sprintf("replicas: 3\npostgresql: {url: %q}\nports: {http: %d, otlpGrpc: %d}\nserviceMonitor: {enabled: true}\n",
			dbURL, freePort(t), freePort(t))), 0o600); err != nil {
			t.Fatal(err)
		}
		m := mustRender(t, helm, "-f", file)
		if got := m.secretValue(t, secretKeyRef{Name: "el-eventlens-db", Key: "EVENTLENS_DB"}); got != dbURL {
			t.Fatalf("the chart's Secret holds %q, want the URL from values", got)
		}
		spec := m.find(t, "Deployment", "el-eventlens").Spec.Template.Spec
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		for range 3 {
			initialize := newPod(t, m, spec).initializer(t)
			wg.Go(func() { errs <- initialize() })
		}
		wg.Wait()
		for range 3 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		checkPod(t, m, spec)
	})

	t.Run("single sign-on", func(t *testing.T) {
		m := mustRender(t, helm, "--set", "oidc.issuer=https://idp.example.com/realms/acme,oidc.clientId=eventlens,"+
			"oidc.redirectUrl=https://eventlens.example.com/auth/oidc/callback,oidc.roleMap=admins=admin,oidc.clientSecret.existingSecret=eventlens-oidc")
		c := m.find(t, "StatefulSet", "el-eventlens").Spec.Template.Spec.Containers[0]
		// Each variable is one the binary reads, with the value given.
		envs := map[string]bool{}
		for f := range reflect.TypeFor[oidcFlags]().Fields() {
			envs[f.Tag.Get("env")] = true
		}
		want := map[string]string{
			"EVENTLENS_OIDC_ISSUER": "https://idp.example.com/realms/acme", "EVENTLENS_OIDC_CLIENT_ID": "eventlens",
			"EVENTLENS_OIDC_REDIRECT_URL": "https://eventlens.example.com/auth/oidc/callback", "EVENTLENS_OIDC_ROLE_MAP": "admins=admin",
			"EVENTLENS_OIDC_ROLE_CLAIM": "groups", "EVENTLENS_OIDC_SCOPES": "profile,email,offline_access",
		}
		for _, e := range c.Env {
			if strings.HasPrefix(e.Name, "EVENTLENS_OIDC_") && !envs[e.Name] {
				t.Errorf("the chart sets %s, which no flag reads", e.Name)
			}
		}
		for name, value := range want {
			if e, ok := c.env(name); !ok || e.Value != value {
				t.Errorf("%s: %+v, want %q", name, e, value)
			}
		}
		secret, ok := c.env("EVENTLENS_OIDC_CLIENT_SECRET")
		if !ok || secret.ValueFrom == nil || secret.ValueFrom.SecretKeyRef == nil || *secret.ValueFrom.SecretKeyRef != (secretKeyRef{Name: "eventlens-oidc", Key: "client-secret"}) {
			t.Errorf("EVENTLENS_OIDC_CLIENT_SECRET %+v, want it from Secret eventlens-oidc", secret)
		}
		if _, ok := mustRender(t, helm).find(t, "StatefulSet", "el-eventlens").Spec.Template.Spec.Containers[0].env("EVENTLENS_OIDC_ISSUER"); ok {
			t.Error("single sign-on is on by default")
		}
	})

	refused := []struct {
		name string
		args []string
		want string
	}{
		{"single sign-on without a role map", []string{"--set", "oidc.issuer=https://idp.example.com,oidc.clientId=eventlens,oidc.redirectUrl=https://e.example.com/auth/oidc/callback"}, "oidc.issuer needs"},
		{"three replicas on SQLite", []string{"--set", "replicas=3"}, "replicas: 3 needs PostgreSQL"},
		{"URL and Secret", []string{"-f", postgresValues, "--set", "postgresql.url=postgres://db/eventlens"}, "postgresql.url and postgresql.existingSecret are both set"},
		{"key role", []string{"--set", "apiKeys.provision[0].name=ci,apiKeys.provision[0].role=root"}, `API key "ci": role "root"`},
		{"key name", []string{"--set", "apiKeys.provision[0].name=CI,apiKeys.provision[0].role=read"}, `API key name "CI": want a DNS label`},
		{"key named twice", []string{"--set", "serviceMonitor.enabled=true,serviceMonitor.apiKey.name=admin"}, `API key name "admin" appears twice`},
	}
	for _, tt := range refused {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			if _, err := helmTemplate(t, helm, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("helm template %s: %v, want an error with %q", strings.Join(tt.args, " "), err, tt.want)
			}
		})
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
