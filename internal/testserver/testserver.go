// Package testserver starts throwaway real servers for tests: PostgreSQL 15,
// PgBouncer 1.18 and Pgpool-II 4.3.5 (the Debian bookworm packages), plus a
// hermetic runner for the real libpq client psql.
//
// Servers run as the OS user postgres (when the test runs as root; as the
// current user otherwise) in their own directory (under /dev/shm when it is
// a big enough tmpfs, else os.TempDir(); PGTLS_TESTSERVER_DIR overrides), listen on
// 127.0.0.1 only, on a free port, and are stopped and removed by t.Cleanup,
// also when the test fails or panics. tools/ensure-system.sh installs the
// binaries.
package testserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Paths of the binaries, as installed by the Debian packages.
const (
	pgBinDir      = "/usr/lib/postgresql/15/bin"
	pgbouncerPath = "/usr/sbin/pgbouncer"
	pgpoolPath    = "/usr/sbin/pgpool"
	startTimeout  = 30 * time.Second
	stopTimeout   = 10 * time.Second
	logTailLines  = 40
)

var (
	pgPostgres = filepath.Join(pgBinDir, "postgres")
	pgInitdb   = filepath.Join(pgBinDir, "initdb")
	pgPsql     = filepath.Join(pgBinDir, "psql")
)

// requireServers reports whether missing binaries must fail the test instead
// of skipping it.
func requireServers() bool {
	return os.Getenv("CI") != "" || os.Getenv("PGTLS_REQUIRE_SERVERS") == "1"
}

func requireFiles(t testing.TB, what string, paths ...string) {
	t.Helper()
	var missing []string
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			missing = append(missing, p)
		}
	}
	var problem string
	if len(missing) > 0 {
		problem = fmt.Sprintf("%s not found at %s; run tools/ensure-system.sh", what, strings.Join(missing, ", "))
	} else if os.Geteuid() == 0 {
		if _, err := serverUser(); err != nil {
			problem = fmt.Sprintf("%s: %v; run tools/ensure-system.sh", what, err)
		}
	}
	if problem == "" {
		return
	}
	if requireServers() {
		t.Fatalf("FAIL: %s (servers are required: CI or PGTLS_REQUIRE_SERVERS=1 is set)", problem)
		return
	}
	t.Skipf("SKIP: %s", problem)
}

// RequirePostgres skips the test with a loud message when the PostgreSQL 15
// server binaries or psql are missing, but fails it instead when CI is set or
// PGTLS_REQUIRE_SERVERS=1.
func RequirePostgres(t testing.TB) {
	t.Helper()
	requireFiles(t, "PostgreSQL 15 server binaries", pgPostgres, pgInitdb, pgPsql)
}

// RequirePgBouncer is RequirePostgres plus the PgBouncer binary.
func RequirePgBouncer(t testing.TB) {
	t.Helper()
	RequirePostgres(t)
	requireFiles(t, "PgBouncer", pgbouncerPath)
}

// RequirePgpool is RequirePostgres plus the Pgpool-II binary.
func RequirePgpool(t testing.TB) {
	t.Helper()
	RequirePostgres(t)
	requireFiles(t, "Pgpool-II", pgpoolPath)
}

// osUser is the account servers run as.
type osUser struct {
	uid, gid int
	name     string
	// switchTo is true when the test process must switch to this account
	// (it runs as root); false when servers run as the current user.
	switchTo bool
}

var (
	serverUserOnce sync.Once
	serverUserVal  osUser
	serverUserErr  error
)

func serverUser() (osUser, error) {
	serverUserOnce.Do(func() {
		if os.Geteuid() != 0 {
			u, err := user.Current()
			name := strconv.Itoa(os.Getuid())
			if err == nil {
				name = u.Username
			}
			serverUserVal = osUser{uid: os.Getuid(), gid: os.Getgid(), name: name}
			return
		}
		u, err := user.Lookup("postgres")
		if err != nil {
			serverUserErr = fmt.Errorf("OS user postgres not found (PostgreSQL refuses to run as root): %w", err)
			return
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 != nil || err2 != nil {
			serverUserErr = fmt.Errorf("OS user postgres has non-numeric uid %q / gid %q", u.Uid, u.Gid)
			return
		}
		serverUserVal = osUser{uid: uid, gid: gid, name: "postgres", switchTo: true}
	})
	return serverUserVal, serverUserErr
}

// sysProcAttr runs a child as the server user in its own process group (so
// cleanup can kill everything it forked).
//
// Pdeathsig makes a server stop when the test binary dies without running its
// cleanups (go test -timeout, SIGKILL); callers pass the server's own fast
// shutdown signal. Go sets it after switching credentials, so it survives
// the switch to postgres.
func (u osUser) sysProcAttr(deathSig syscall.Signal) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: deathSig}
	if u.switchTo {
		a.Credential = &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid), Groups: []uint32{}}
	}
	return a
}

// chown gives path to the server user (no-op when not switching users).
func (u osUser) chown(path string) error {
	if !u.switchTo {
		return nil
	}
	return os.Lchown(path, u.uid, u.gid)
}

func (u osUser) chownR(root string) error {
	if !u.switchTo {
		return nil
	}
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, u.uid, u.gid)
	})
}

// serverEnv is the whole environment of a server process: nothing from the
// test's environment leaks in (no PG* variables).
func serverEnv(home string) []string {
	return []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "HOME=" + home, "TZ=UTC"}
}

var (
	baseDirOnce sync.Once
	baseDirVal  string
)

// baseDir is where server directories and the initdb template live:
// $PGTLS_TESTSERVER_DIR when set; else /dev/shm when it is a writable tmpfs
// with at least 1 GiB free (copying a data directory there takes ~60 ms
// instead of ~0.6-1.5 s on the disk of a busy 2-core machine); else
// os.TempDir().
func baseDir() string {
	baseDirOnce.Do(func() {
		if d := os.Getenv("PGTLS_TESTSERVER_DIR"); d != "" {
			baseDirVal = d
			return
		}
		baseDirVal = os.TempDir()
		var st syscall.Statfs_t
		const tmpfsMagic = 0x01021994
		if err := syscall.Statfs("/dev/shm", &st); err == nil && st.Type == tmpfsMagic &&
			uint64(st.Bavail)*uint64(st.Bsize) >= 1<<30 && syscall.Access("/dev/shm", 2 /* W_OK */) == nil {
			baseDirVal = "/dev/shm"
		}
	})
	return baseDirVal
}

// newServerDir creates a short, traversable temp dir under baseDir() owned
// by the server user (mode 0700) and registers its removal.
func newServerDir(t testing.TB, prefix string) string {
	t.Helper()
	u, err := serverUser()
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	sweepStale()
	dir, err := os.MkdirTemp(baseDir(), prefix)
	if err != nil {
		t.Fatalf("testserver: create temp dir: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("testserver: remove %s: %v", dir, err)
		}
	})
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatalf("testserver: chmod %s: %v", dir, err)
	}
	if err := u.chown(dir); err != nil {
		t.Fatalf("testserver: chown %s to %s: %v", dir, u.name, err)
	}
	// A unix socket path is limited to 107 bytes: "<dir>/.s.PGSQL.65535".
	if len(dir)+len("/.s.PGSQL.65535") > 107 {
		t.Fatalf("testserver: temp dir %q is too long for a unix socket path (max 107 bytes); set PGTLS_TESTSERVER_DIR to a shorter directory", dir)
	}
	return dir
}

// writeOwned writes content to path with mode 0600, owned by the server user.
func writeOwned(path, content string) error {
	u, err := serverUser()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return err
	}
	if err := os.Chmod(path, 0o600); err != nil { // WriteFile keeps the mode of an existing file
		return err
	}
	return u.chown(path)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tcpAccepts reports whether something accepts TCP connections on 127.0.0.1:port.
func tcpAccepts(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// process is a started server process with its log.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	waitErr error
	stopSig syscall.Signal // graceful-but-fast stop signal
}

func startProcess(name string, u osUser, logPath, home string, argv []string, stopSig syscall.Signal) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = home
	cmd.Env = serverEnv(home)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = u.sysProcAttr(stopSig)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{}), stopSig: stopSig}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends the stop signal, waits, then SIGKILLs the whole process group.
func (p *process) stop() error {
	pgid := p.cmd.Process.Pid // Setpgid: the group id is the leader's pid
	kids := descendants(pgid)
	if !p.exited() {
		_ = p.cmd.Process.Signal(p.stopSig)
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			select {
			case <-p.done:
			case <-time.After(stopTimeout):
				return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, pgid)
			}
		}
	}
	// Children that outlived their parent (none expected) go too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	for _, k := range kids {
		k.kill()
	}
	return nil
}

func (p *process) log() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read log %s: %v)", p.logPath, err)
	}
	return string(b)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d earlier lines)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// confQuote quotes a value for postgresql.conf / pgpool.conf: single quotes,
// an embedded quote doubled.
func confQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// runAsServerUser runs a short command as the server user and returns its
// combined output.
func runAsServerUser(ctx context.Context, home string, argv ...string) ([]byte, error) {
	u, err := serverUser()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = home
	cmd.Env = serverEnv(home)
	cmd.SysProcAttr = u.sysProcAttr(syscall.SIGKILL)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err = cmd.Run()
	return out.Bytes(), err
}

var errTimeout = errors.New("timed out")

// RequireOpenSSL returns the path of the openssl binary, which tests use as
// an external oracle. Like the other Require functions it skips loudly when
// the binary is missing, and fails under CI or PGTLS_REQUIRE_SERVERS=1.
func RequireOpenSSL(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err == nil {
		return p
	}
	problem := fmt.Sprintf("openssl not found in PATH (%v); run tools/ensure-system.sh", err)
	if requireServers() {
		t.Fatalf("FAIL: %s (CI or PGTLS_REQUIRE_SERVERS=1 is set)", problem)
	}
	t.Skipf("SKIP: %s", problem)
	return ""
}
