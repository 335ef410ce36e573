package check

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// silentListener accepts connections and never answers (nor closes them
// before the test ends).
func silentListener(t *testing.T) (port int) { return stallingListener(t, false) }

// stallingListener is silentListener; with sayS it first reads the 8-byte
// SSLRequest and answers 'S', then stalls in the middle of the TLS
// handshake.
func stallingListener(t *testing.T, sayS bool) (port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if sayS {
				go func() {
					var b [8]byte
					if _, err := io.ReadFull(c, b[:]); err == nil {
						_, _ = c.Write([]byte{'S'})
					}
				}()
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

func TestSilentPortFailsEveryModeWithinTimeout(t *testing.T) {
	port := silentListener(t)
	ca := newCA(t, "timeout root")
	const timeout = 1500 * time.Millisecond
	start := time.Now()
	res := Run(t.Context(), Request{Host: "127.0.0.1", Port: port, User: "alice", Password: "pw", RootCertPEM: ca.pem, ConnectTimeout: timeout})
	elapsed := time.Since(start)
	if elapsed > timeout+700*time.Millisecond {
		t.Errorf("Run took %s with a %s timeout", elapsed, timeout)
	}
	if elapsed < timeout-100*time.Millisecond {
		t.Errorf("Run returned after %s: a silent port cannot fail faster than the timeout", elapsed)
	}
	if len(res) != 6 {
		t.Fatalf("%d results", len(res))
	}
	for _, r := range res {
		if r.Success || r.Category != CatTimeout || !strings.Contains(r.Error, "timeout") {
			t.Errorf("%s: %+v", r.Mode, r)
		}
	}
}

func TestStoppedServerFailsFast(t *testing.T) {
	testserver.RequirePostgres(t)
	srv := testserver.StartPostgres(t, testserver.PostgresConfig{})
	port := srv.Port
	// Prove the port served, then stop the server by its pid file.
	if r := Run(t.Context(), Request{Host: "127.0.0.1", Port: port, User: "postgres", SSLModes: []SSLMode{ModeDisable}}); !r[0].Success {
		t.Fatalf("server not reachable before stopping: %+v", r[0])
	}
	stopPostgres(t, srv)
	start := time.Now()
	res := Run(t.Context(), Request{Host: "127.0.0.1", Port: port, User: "postgres", ConnectTimeout: 3 * time.Second})
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Run took %s against a stopped server", elapsed)
	}
	for _, r := range res {
		if r.Success || r.Category != CatConnect || r.Path != PathNone || !strings.Contains(r.Error, "refused") {
			t.Errorf("%s: %+v", r.Mode, r)
		}
	}
	// libpq agrees: every mode fails to connect.
	for _, mode := range AllModes {
		p := testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": itoa(port), "user": "postgres", "dbname": "postgres", "sslmode": string(mode), "connect_timeout": "3"}, testserver.ClientTLS{}, "SELECT 1")
		if cat, _, last := libpqCategory(p.Stderr); p.ExitCode == 0 || cat != CatConnect {
			t.Errorf("psql %s: exit %d, category %s (%s)", mode, p.ExitCode, cat, last)
		}
	}
}

func TestUnroutableHostFailsWithinTimeout(t *testing.T) {
	// 192.0.2.0/24 (TEST-NET-1) is never routed: the SYN is either dropped
	// (timeout) or rejected at once (no route); both must fail in time.
	const timeout = time.Second
	start := time.Now()
	res := Run(t.Context(), Request{Host: "192.0.2.1", Port: 5432, User: "alice", ConnectTimeout: timeout})
	if elapsed := time.Since(start); elapsed > timeout+700*time.Millisecond {
		t.Errorf("Run took %s with a %s timeout", elapsed, timeout)
	}
	for _, r := range res {
		if r.Success || (r.Category != CatTimeout && r.Category != CatConnect) || r.Path != PathNone {
			t.Errorf("%s: %+v", r.Mode, r)
		}
	}
}

func TestRunHonoursParentContext(t *testing.T) {
	port := silentListener(t)
	ctx, cancel := contextWithTimeout(t, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := Run(ctx, Request{Host: "127.0.0.1", Port: port, User: "alice", ConnectTimeout: 30 * time.Second})
	if elapsed := time.Since(start); elapsed > 1500*time.Millisecond {
		t.Errorf("Run ignored the parent context: %s", elapsed)
	}
	for _, r := range res {
		if r.Success {
			t.Errorf("%s succeeded", r.Mode)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func contextWithTimeout(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), d)
}

// stopPostgres shuts the test's own server down (fast shutdown via its
// postmaster.pid) and waits until the port refuses connections.
func stopPostgres(t *testing.T, srv *testserver.Postgres) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(srv.DataDir(), "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(srv.Host, itoa(srv.Port)), time.Second)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server did not stop")
}

func TestStalledTLSHandshakeFailsWithinTimeout(t *testing.T) {
	port := stallingListener(t, true)
	const timeout = time.Second
	start := time.Now()
	res := Run(t.Context(), Request{Host: "127.0.0.1", Port: port, User: "alice", Password: "pw", ConnectTimeout: timeout,
		SSLModes: []SSLMode{ModePrefer, ModeRequire, ModeVerifyCA}})
	if elapsed := time.Since(start); elapsed > timeout+700*time.Millisecond {
		t.Errorf("Run took %s with a %s timeout", elapsed, timeout)
	}
	for _, r := range res {
		want := CatTimeout
		if r.Mode == ModeVerifyCA {
			want = CatNoRootCert // libpq refuses before the handshake: no root certificate
		}
		if r.Success || r.Category != want {
			t.Errorf("%s: %+v", r.Mode, r)
		}
	}
}

func TestUnresolvableHostFails(t *testing.T) {
	const timeout = 2 * time.Second
	start := time.Now()
	res := Run(t.Context(), Request{Host: "no-such-host.invalid", User: "alice", ConnectTimeout: timeout, SSLModes: []SSLMode{ModeDisable, ModePrefer, ModeVerifyFull}})
	if elapsed := time.Since(start); elapsed > timeout+700*time.Millisecond {
		t.Errorf("Run took %s with a %s timeout", elapsed, timeout)
	}
	for _, r := range res {
		// Resolvers without network may time out instead of answering NXDOMAIN.
		okCat := r.Category == CatConnect && strings.Contains(r.Error, `could not translate host name "no-such-host.invalid"`) || r.Category == CatTimeout
		if r.Success || !okCat || r.Path != PathNone {
			t.Errorf("%s: %+v", r.Mode, r)
		}
	}
}
