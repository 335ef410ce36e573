package testserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Starting poolers from fully rendered configuration files: the test renders
// pgbouncer.ini / pgpool.conf itself (with paths inside a directory from
// NewPoolerDir and a port from FreePort), the harness only writes the files
// and runs the program. Nothing of the configuration comes from the harness.

// NewPoolerDir creates a short temp directory owned by the server user
// (mode 0700, removed at cleanup) for a pooler's files, sockets and logs.
func NewPoolerDir(t testing.TB, prefix string) string {
	t.Helper()
	return newServerDir(t, prefix)
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatalf("testserver: find a free port: %v", err)
	}
	return p
}

// RenderedFiles are files written into Dir (mode 0600, owned by the
// server user) before the program starts: name (relative to Dir) to
// content. A nil RenderedFiles writes nothing: the files are already in Dir
// (written by the test itself, for example with pgtls_file_set).
type RenderedFiles map[string]string

// present fails unless every named file (relative to dir) is on disk
// (when the harness writes nothing) or among f.
func (f RenderedFiles) present(dir string, names ...string) error {
	for _, n := range names {
		if n == "" {
			continue
		}
		if f != nil {
			if _, ok := f[n]; !ok {
				return fmt.Errorf("rendered files have no %q", n)
			}
			continue
		}
		if fi, err := os.Stat(filepath.Join(dir, n)); err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a file in %s (the test writes the files: %w)", n, dir, err)
		}
	}
	return nil
}

func (f RenderedFiles) write(t testing.TB, dir string) {
	t.Helper()
	for name, content := range f {
		if name == "" || strings.Contains(name, "..") || filepath.IsAbs(name) {
			t.Fatalf("testserver: rendered file name %q must be relative to the directory", name)
		}
		if err := writeOwned(filepath.Join(dir, name), content); err != nil {
			t.Fatalf("testserver: write %s: %v", name, err)
		}
	}
}

// RenderedPgBouncer describes a PgBouncer started from a rendered
// pgbouncer.ini.
type RenderedPgBouncer struct {
	Dir   string        // from NewPoolerDir; the files are written here
	Port  int           // listen_port the ini sets (the harness waits for it)
	Files RenderedFiles // must include Config
	// Config is the name of the ini among Files.
	Config string
	// LogFile is the logfile the ini sets (absolute), read for diagnostics
	// and the readiness mark; empty when it logs to stderr only.
	LogFile string
}

// StartPgBouncerRendered writes the files and runs /usr/sbin/pgbouncer on
// the rendered ini as the server user, waits until Port accepts and the log
// shows "process up", and registers cleanup. It fails the test when
// PgBouncer exits instead (its log is in the message); use
// TryStartPgBouncerRendered to assert that a configuration is refused.
func StartPgBouncerRendered(t testing.TB, cfg RenderedPgBouncer) *PgBouncer {
	t.Helper()
	b, err := TryStartPgBouncerRendered(t, cfg)
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	return b
}

// TryStartPgBouncerRendered is StartPgBouncerRendered returning an error
// (with PgBouncer's log) when PgBouncer does not come up.
func TryStartPgBouncerRendered(t testing.TB, cfg RenderedPgBouncer) (*PgBouncer, error) {
	t.Helper()
	RequirePgBouncer(t)
	if cfg.Config == "" {
		return nil, fmt.Errorf("RenderedPgBouncer.Config is empty")
	}
	if err := cfg.Files.present(cfg.Dir, cfg.Config); err != nil {
		return nil, err
	}
	t0 := time.Now()
	cfg.Files.write(t, cfg.Dir)
	argv := []string{pgbouncerPath, filepath.Join(cfg.Dir, cfg.Config)}
	p, err := launchRendered(t, "pgbouncer", cfg.Dir, cfg.Port, syscall.SIGTERM, "process up:", argv, cfg.LogFile)
	if err != nil {
		return nil, err
	}
	return &PgBouncer{Host: "127.0.0.1", Port: cfg.Port, Dir: cfg.Dir, StartDuration: time.Since(t0), p: p}, nil
}

// RenderedPgpool describes a Pgpool-II started from a rendered pgpool.conf.
type RenderedPgpool struct {
	Dir   string
	Port  int // the port pgpool.conf sets
	Files RenderedFiles
	// Config, HBA, PCP and Key are names among Files (HBA, PCP and Key may
	// be empty: then pool_hba.conf is not passed, an empty pcp.conf and no
	// key file are used).
	Config, HBA, PCP, Key string
}

// StartPgpoolRendered writes the files and runs
// `pgpool -n -f Config -F PCP [-a HBA] [-k Key]` as the server user, waits
// until Port accepts and the log shows "successfully started", and
// registers cleanup.
func StartPgpoolRendered(t testing.TB, cfg RenderedPgpool) *Pgpool {
	t.Helper()
	g, err := TryStartPgpoolRendered(t, cfg)
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	return g
}

// TryStartPgpoolRendered is StartPgpoolRendered returning an error (with
// Pgpool-II's log) when it does not come up.
func TryStartPgpoolRendered(t testing.TB, cfg RenderedPgpool) (*Pgpool, error) {
	t.Helper()
	RequirePgpool(t)
	if cfg.Config == "" {
		return nil, fmt.Errorf("RenderedPgpool.Config is empty")
	}
	var files RenderedFiles
	if cfg.Files != nil {
		files = RenderedFiles{}
		for k, v := range cfg.Files {
			files[k] = v
		}
		if cfg.PCP == "" {
			cfg.PCP = "pcp.conf"
			files[cfg.PCP] = "# no PCP users\n"
		}
	} else if cfg.PCP == "" {
		return nil, fmt.Errorf("RenderedPgpool.PCP must name the pcp.conf on disk when the harness writes no files")
	}
	if err := files.present(cfg.Dir, cfg.Config, cfg.PCP, cfg.HBA, cfg.Key); err != nil {
		return nil, err
	}
	t0 := time.Now()
	files.write(t, cfg.Dir)
	argv := []string{pgpoolPath, "-n", "-f", filepath.Join(cfg.Dir, cfg.Config), "-F", filepath.Join(cfg.Dir, cfg.PCP)}
	if cfg.HBA != "" {
		argv = append(argv, "-a", filepath.Join(cfg.Dir, cfg.HBA))
	}
	if cfg.Key != "" {
		argv = append(argv, "-k", filepath.Join(cfg.Dir, cfg.Key))
	}
	p, err := launchRendered(t, "pgpool", cfg.Dir, cfg.Port, syscall.SIGINT, "successfully started", argv, "")
	if err != nil {
		return nil, err
	}
	return &Pgpool{Host: "127.0.0.1", Port: cfg.Port, Dir: cfg.Dir, StartDuration: time.Since(t0), p: p}, nil
}

// launchRendered starts argv as the server user and waits for the fixed
// port and the ready mark (no retry on another port: the port is part of
// the rendered file).
func launchRendered(t testing.TB, name, dir string, port int, stopSig syscall.Signal, readyMark string, argv []string, logFile string) (*pooler, error) {
	t.Helper()
	u, err := serverUser()
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	out := filepath.Join(dir, fmt.Sprintf("%s-%d.out", name, time.Now().UnixNano()))
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
			return p, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	state := "timed out after " + startTimeout.String()
	if proc.exited() {
		state = fmt.Sprintf("exited: %v", proc.waitErr)
	}
	_ = proc.stop()
	return nil, fmt.Errorf("%s did not become ready (%s)\n%s", name, state, p.logTail())
}

// Stop stops PgBouncer now (cleanup would do it at the end of the test),
// e.g. to start another configuration on the same port and directory.
func (b *PgBouncer) Stop(t testing.TB) {
	t.Helper()
	if err := b.p.proc.stop(); err != nil {
		t.Fatalf("testserver: %v", err)
	}
}

// Stop stops Pgpool-II now.
func (g *Pgpool) Stop(t testing.TB) {
	t.Helper()
	if err := g.p.proc.stop(); err != nil {
		t.Fatalf("testserver: %v", err)
	}
}
