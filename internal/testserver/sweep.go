package testserver

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// staleAge is how old a leftover server directory must be before it is
// swept (and then only when no process named in its pid files is alive).
const staleAge = 15 * time.Minute

var sweepOnce sync.Once

// sweepStale removes server directories that a killed test binary left
// behind (its cleanups never ran; Pdeathsig already stopped the servers).
// Runs once per test binary, before its first server starts.
func sweepStale() {
	sweepOnce.Do(func() {
		ents, err := os.ReadDir(baseDir())
		if err != nil {
			return
		}
		for _, e := range ents {
			name := e.Name()
			if !e.IsDir() || !hasAnyPrefix(name, "pgtls-pg-", "pgtls-bnc-", "pgtls-pp-", "pgtls-pgtemplate-build-") {
				continue
			}
			dir := filepath.Join(baseDir(), name)
			fi, err := os.Lstat(dir)
			if err != nil || time.Since(fi.ModTime()) < staleAge {
				continue
			}
			if st, ok := fi.Sys().(*syscall.Stat_t); !ok || (int(st.Uid) != os.Getuid() && !ownedByServerUser(st)) {
				continue
			}
			if anyPidAlive(dir) {
				continue
			}
			_ = os.RemoveAll(dir)
		}
	})
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func ownedByServerUser(st *syscall.Stat_t) bool {
	u, err := serverUser()
	return err == nil && int(st.Uid) == u.uid
}

// anyPidAlive reports whether a pid file in dir names a running process.
func anyPidAlive(dir string) bool {
	for _, f := range []string{"data/postmaster.pid", "pgbouncer.pid", "pgpool.pid"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		first, _, _ := strings.Cut(string(b), "\n")
		pid, err := strconv.Atoi(strings.TrimSpace(first))
		if err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || err == syscall.EPERM {
			return true
		}
	}
	return false
}
