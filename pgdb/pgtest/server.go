package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a PostgreSQL server of one test's own, for tests that stop and start it (an outage
// on the shared server would fail every other test running at the time). It is a real
// PostgreSQL from the machine's installation: initdb into a temporary directory, pg_ctl to
// start and stop it.
type Server struct {
	URL  string // of its postgres database, as the superuser
	dir  string
	bin  string
	port int
	cred *syscall.Credential // the postgres user's, when the test runs as root
}

// StartServer initialises and starts a server, stopped and removed when the test ends. Without
// PostgreSQL's programs it skips, except in CI, where it fails.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bin, err := binDir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run the PostgreSQL outage tests: %v", err)
		}
		t.Skipf("PostgreSQL outage tests: %v", err)
	}
	s := &Server{bin: bin}
	// PostgreSQL refuses to run as root: then its files and processes belong to postgres.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	// Not under t.TempDir: its parents are private to the test's user.
	if s.dir, err = os.MkdirTemp("", "eventlens-pgtest-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.pgctl("stop", "-m", "immediate")
		os.RemoveAll(s.dir)
	})
	if s.cred != nil {
		if err := os.Chown(s.dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	if s.port, err = freePort(); err != nil {
		t.Fatal(err)
	}
	if out, err := s.command("initdb", "-D", s.data(), "-U", "postgres", "--auth=trust", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	s.Start(t)
	return s
}

// Start starts the stopped server and waits until it accepts connections.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", s.port, s.dir)
	if err := s.pgctl("start", "-w", "-t", "30", "-l", filepath.Join(s.dir, "log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		t.Fatalf("start PostgreSQL: %v\n%s", err, log)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, s.URL)
		if err == nil {
			conn.Close(ctx)
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("PostgreSQL started but refuses connections: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop shuts the server down the way an operator's restart does: it ends every session at once
// (pg_ctl's fast mode) and refuses new ones until Start.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.pgctl("stop", "-w", "-m", "fast"); err != nil {
		t.Fatalf("stop PostgreSQL: %v", err)
	}
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

func (s *Server) pgctl(args ...string) error {
	out, err := s.command("pg_ctl", append([]string{"-D", s.data()}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %w\n%s", args[0], err, out)
	}
	return nil
}

func (s *Server) command(program string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, program), args...)
	cmd.Dir = s.dir
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

// binDir finds the newest installed PostgreSQL's programs (Debian keeps them off PATH).
func binDir() (string, error) {
	if path, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(path), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi < vj
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("no pg_ctl on PATH nor in /usr/lib/postgresql/*/bin (apt-get install postgresql)")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
