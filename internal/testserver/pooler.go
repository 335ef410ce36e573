package testserver

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pooler is the lifecycle shared by PgBouncer and Pgpool-II.
type pooler struct {
	name string
	dir  string
	port int
	proc *process
	// logFile is where the pooler writes its own log (may equal the
	// captured stdout/stderr file).
	logFile string
}

func (p *pooler) log() string {
	s := ""
	if p.logFile != "" && p.logFile != p.proc.logPath {
		if b, err := os.ReadFile(p.logFile); err == nil {
			s = string(b)
		}
	}
	// Lines also written to the log file (PgBouncer logs to both) are
	// shown once.
	seen := map[string]bool{}
	for _, l := range strings.Split(s, "\n") {
		seen[l] = true
	}
	var extra []string
	for _, l := range strings.Split(strings.TrimRight(p.proc.log(), "\n"), "\n") {
		if l != "" && !seen[l] {
			extra = append(extra, l)
		}
	}
	if len(extra) > 0 {
		if s != "" {
			s += "--- stdout/stderr ---\n"
		}
		s += strings.Join(extra, "\n") + "\n"
	}
	return s
}

func (p *pooler) logTail() string {
	return "--- " + p.name + " log (" + p.dir + ") ---\n" + tail(p.log(), logTailLines)
}

// startPooler writes the config for a free port (write returns argv and the
// pooler's own log file), starts the process as the server user, waits until
// the port accepts and the log shows readyMark, retries on a port clash, and
// registers cleanup.
func startPooler(t testing.TB, name, dir string, stopSig syscall.Signal, readyMark string,
	write func(port int) (argv []string, logFile string, err error)) *pooler {
	t.Helper()
	u, err := serverUser()
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("testserver: find a free port: %v", err)
		}
		argv, logFile, err := write(port)
		if err != nil {
			t.Fatalf("testserver: %s config: %v", name, err)
		}
		out := filepath.Join(dir, fmt.Sprintf("%s-%d.out", name, attempt))
		proc, err := startProcess(name, u, out, dir, argv, stopSig)
		if err != nil {
			t.Fatalf("testserver: start %s: %v", name, err)
		}
		t.Cleanup(func() {
			if err := proc.stop(); err != nil {
				t.Errorf("testserver: %v", err)
			}
		})
		p := &pooler{name: name, dir: dir, port: port, proc: proc, logFile: logFile}
		deadline := time.Now().Add(startTimeout)
		for time.Now().Before(deadline) && !proc.exited() {
			if tcpAccepts(port) && strings.Contains(p.log(), readyMark) {
				return p
			}
			time.Sleep(10 * time.Millisecond)
		}
		l := p.log()
		if proc.exited() && attempt < 5 && strings.Contains(l, "ddress already in use") {
			continue
		}
		_ = proc.stop()
		state := "timed out after " + startTimeout.String()
		if proc.exited() {
			state = fmt.Sprintf("exited: %v", proc.waitErr)
		}
		t.Fatalf("testserver: %s did not become ready (%s)\n%s", name, state, p.logTail())
	}
}

// iniLines renders key = value lines sorted by key.
func iniLines(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %s\n", k, m[k])
	}
	return b.String()
}

func validKeys(t testing.TB, what string, m map[string]string) {
	t.Helper()
	for k, v := range m {
		if k == "" || strings.ContainsAny(k, "=\n\r[]# \t") {
			t.Fatalf("testserver: %s has an invalid setting name %q", what, k)
		}
		if strings.ContainsAny(v, "\n\r") {
			t.Fatalf("testserver: %s setting %q has a line break in its value", what, k)
		}
	}
}

func needBackend(t testing.TB, what string, b *Postgres) {
	t.Helper()
	if b == nil {
		t.Fatalf("testserver: %s.Backend is nil; start a Postgres first", what)
	}
}

// waitLog waits until mark appears in the log more than before times (a
// reload was processed).
func (p *pooler) waitLog(t testing.TB, mark string, before int) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if strings.Count(p.log(), mark) > before {
			return
		}
		if p.proc.exited() {
			t.Fatalf("testserver: %s exited: %v\n%s", p.name, p.proc.waitErr, p.logTail())
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("testserver: %s did not log %q within %s\n%s", p.name, mark, startTimeout, p.logTail())
}
