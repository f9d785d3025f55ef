package rabbittest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Package rabbittest gives tests a virtual host of their own on a real RabbitMQ with its
// management plugin, the one EVENTLENS_TEST_RABBITMQ names (http://guest:guest@127.0.0.1:15672; .ci/run starts one). AMQP
// is on the same host at port 5672 with the same user, unless EVENTLENS_TEST_RABBITMQ_AMQP
// (amqp://user:password@host:port) says otherwise. Each test works in a virtual host of its
// own, so they run at once.
const (
	Env     = "EVENTLENS_TEST_RABBITMQ"
	AMQPEnv = "EVENTLENS_TEST_RABBITMQ_AMQP"
)

// VHost is a virtual host of a test's own on the test broker, deleted when the test ends.
type VHost struct {
	t          testing.TB
	Management string // the management URL, with the administrator's credentials
	// Watch is the management URL as a user of the test's own who sees only this virtual host:
	// the one to give an eventlens under test, which would otherwise also see the queues of
	// tests running at once (in other packages too) under the same names.
	Watch   string
	Name    string
	AMQPURL string // amqp://user:password@host:port/vhost, for clients of the test's own
	Conn    *amqp.Connection
	Ch      *amqp.Channel // a channel on Conn
}

// New creates the virtual host and connects to it over AMQP. Without EVENTLENS_TEST_RABBITMQ
// the test skips, except in CI, where it fails.
func New(t testing.TB) *VHost {
	t.Helper()
	management := os.Getenv(Env)
	if management == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the RabbitMQ tests (see .ci/run)", Env)
		}
		t.Skipf("RabbitMQ tests need %s=http://guest:guest@127.0.0.1:15672, a broker with the management plugin", Env)
	}
	mu, err := url.Parse(management)
	if err != nil || mu.User == nil {
		t.Fatalf("%s: want http://user:password@host:15672", Env)
	}
	id := make([]byte, 4)
	rand.Read(id)
	e := &VHost{t: t, Management: management, Name: "eventlens-test-" + hex.EncodeToString(id)}
	e.Admin(http.MethodPut, "/api/vhosts/"+url.PathEscape(e.Name), nil)
	t.Cleanup(func() { e.Admin(http.MethodDelete, "/api/vhosts/"+url.PathEscape(e.Name), nil) })
	e.Admin(http.MethodPut, "/api/permissions/"+url.PathEscape(e.Name)+"/"+url.PathEscape(mu.User.Username()),
		map[string]string{"configure": ".*", "write": ".*", "read": ".*"})
	rand.Read(id)
	password := hex.EncodeToString(id)
	e.Admin(http.MethodPut, "/api/users/"+url.PathEscape(e.Name), map[string]string{"password": password, "tags": "management"})
	t.Cleanup(func() { e.Admin(http.MethodDelete, "/api/users/"+url.PathEscape(e.Name), nil) })
	e.Admin(http.MethodPut, "/api/permissions/"+url.PathEscape(e.Name)+"/"+url.PathEscape(e.Name),
		map[string]string{"configure": "", "write": "", "read": ".*"})
	watch := *mu
	watch.User = url.UserPassword(e.Name, password)
	e.Watch = watch.String()

	au := &url.URL{Scheme: "amqp", User: mu.User, Host: mu.Hostname() + ":5672"}
	if v := os.Getenv(AMQPEnv); v != "" {
		if au, err = url.Parse(v); err != nil {
			t.Fatalf("%s: %v", AMQPEnv, err)
		}
	}
	au.Path = "/" + e.Name
	e.AMQPURL = au.String()
	if e.Conn, err = amqp.Dial(e.AMQPURL); err != nil {
		t.Fatalf("AMQP connection to the test broker: %v", err)
	}
	t.Cleanup(func() { e.Conn.Close() })
	if e.Ch, err = e.Conn.Channel(); err != nil {
		t.Fatal(err)
	}
	return e
}

// Admin calls the management API as the test's user and fails the test on anything but 2xx.
func (e *VHost) Admin(method, path string, body any) {
	e.t.Helper()
	u, _ := url.Parse(e.Management)
	password, _ := u.User.Password()
	user := u.User.Username()
	u.User = nil
	var data []byte
	if body != nil {
		data, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, strings.TrimSuffix(u.String(), "/")+path, bytes.NewReader(data))
	req.SetBasicAuth(user, password)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		e.t.Fatalf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
}

// Must fails the test on an error.
func (e *VHost) Must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// DeclareQueue declares a non-durable queue with the given arguments.
func (e *VHost) DeclareQueue(name string, args amqp.Table) {
	e.t.Helper()
	_, err := e.Ch.QueueDeclare(name, false, false, false, false, args)
	e.Must(err)
}

// T is the test the virtual host belongs to.
func (e *VHost) T() testing.TB { return e.t }
