package testserver

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// procEntry identifies a process across pid reuse: pid plus start time.
type procEntry struct {
	pid   int
	start string
}

// procStat returns the fields after "(comm)" of /proc/pid/stat: state is [0],
// ppid [1], pgrp [2], starttime [19].
func procStat(pid int) ([]string, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return nil, false
	}
	return f, true
}

// descendants lists the live descendants of pid (PostgreSQL's children call
// setsid, so a process group does not hold them).
func descendants(pid int) []procEntry {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	parent := map[int]int{}
	start := map[int]string{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, ok := procStat(p)
		if !ok || f[0] == "Z" {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		parent[p] = pp
		start[p] = f[19]
	}
	var out []procEntry
	for p := range parent {
		for q, n := parent[p], 0; q > 1 && n < 64; q, n = parent[q], n+1 {
			if q == pid {
				out = append(out, procEntry{p, start[p]})
				break
			}
		}
	}
	return out
}

// alive reports whether the very process e (same start time) still runs.
func (e procEntry) alive() bool {
	f, ok := procStat(e.pid)
	return ok && f[0] != "Z" && f[19] == e.start
}

func (e procEntry) kill() {
	if e.alive() {
		_ = syscall.Kill(e.pid, syscall.SIGKILL)
	}
}
