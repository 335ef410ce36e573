package reload

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/check"
	"github.com/pgtls/terraform-provider-pgtls/internal/localfiles"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

const poolHBA = "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all app1 127.0.0.1/32 trust\n"

type pgpoolFixture struct {
	g      *testserver.Pgpool
	target Target
}

// startPgpool runs Pgpool-II 4.3 in front of PostgreSQL 15 with a PCP user
// (pcp.conf holds the md5 of its password; PCP reads it per connection).
func startPgpool(t *testing.T) *pgpoolFixture {
	t.Helper()
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"app1", "app2"}})
	g := testserver.StartPgpool(t, testserver.PgpoolConfig{Backend: pg, PoolHBA: poolHBA})
	sum := md5.Sum([]byte("pcp secret"))
	g.WriteFile(t, "pcp.conf", "pcpadmin:"+hex.EncodeToString(sum[:])+"\n")
	return &pgpoolFixture{g: g, target: Target{
		Program: Pgpool, PCPHost: "127.0.0.1", PCPPort: g.PCPPort, PCPUser: "pcpadmin", PCPPassword: "pcp secret",
		Conn:    check.Request{Host: "127.0.0.1", Port: g.Port, User: "postgres", Database: "postgres"},
		SSLMode: check.ModeDisable,
	}}
}

func (f *pgpoolFixture) spec(files ...localfiles.File) localfiles.Spec {
	for i := range files {
		files[i].Owner = serverOwner()
		files[i].Mode = 0o600
	}
	return localfiles.Spec{Dir: f.g.Dir, Files: files}
}

func (f *pgpoolFixture) canLogin(t *testing.T, role string) bool {
	t.Helper()
	r := testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(f.g.Port), "user": role,
		"dbname": "postgres", "sslmode": "disable", "connect_timeout": "5"}, testserver.ClientTLS{}, "SELECT current_user")
	return r.ExitCode == 0 && strings.TrimSpace(r.Stdout) == role
}

func (f *pgpoolFixture) read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.g.Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPgpoolRefusedFilesKeepOldFilesAndLogins: Pgpool-II 4.3.5 reports
// success for any reload; pgtls refuses what its pre-checks and PGPOOL SHOW
// ALL after the reload show, and every previous login still works.
func TestPgpoolRefusedFilesKeepOldFilesAndLogins(t *testing.T) {
	f := startPgpool(t)
	ctx := context.Background()
	conf := f.read(t, "pgpool.conf")
	for _, tc := range []struct {
		name     string
		files    []localfiles.File
		want     []string
		reloaded bool
	}{
		{
			name:  "pool_hba line Pgpool-II cannot parse",
			files: []localfiles.File{{Name: "pool_hba.conf", Content: []byte(poolHBA + "host all app2 127.0.0.1 trust\n")}},
			want:  []string{"Pgpool-II refused the new files", "pool_hba.conf line 4", `invalid IP mask "trust"`, "not reloaded"},
		},
		{
			name:  "option pool_hba does not know",
			files: []localfiles.File{{Name: "pool_hba.conf", Content: []byte(poolHBA + "hostssl all app2 127.0.0.1/32 cert clientcert=verify-full\n")}},
			want:  []string{"pool_hba.conf line 4", "accepts only pamservice"},
		},
		{
			name:     "setting a reload does not change",
			files:    []localfiles.File{{Name: "pgpool.conf", Content: []byte(conf + "authentication_timeout = 33\n")}},
			want:     []string{"reloaded the new files, but the check after the reload failed", `still shows authentication_timeout = "1min", not the file's "33"`, "put back and reloaded"},
			reloaded: true,
		},
		{
			name:     "valid pool_hba that locks the login out",
			files:    []localfiles.File{{Name: "pool_hba.conf", Content: []byte("local all all trust\nhost all postgres 127.0.0.1/32 reject\nhost all app1 127.0.0.1/32 trust\n")}},
			want:     []string{"new connection through Pgpool-II fails"},
			reloaded: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oldHBA, oldConf := f.read(t, "pool_hba.conf"), f.read(t, "pgpool.conf")
			_, err := Apply(ctx, f.spec(tc.files...), nil, f.target)
			var ref *Refused
			if !errors.As(err, &ref) {
				t.Fatalf("Apply: %v, want *Refused", err)
			}
			t.Logf("refused as expected: %v", err)
			if ref.Reloaded != tc.reloaded || ref.RestoreErr != nil {
				t.Errorf("Reloaded=%v RestoreErr=%v", ref.Reloaded, ref.RestoreErr)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q", w)
				}
			}
			if f.read(t, "pool_hba.conf") != oldHBA || f.read(t, "pgpool.conf") != oldConf {
				t.Error("the previous files are not back")
			}
			if !waitLogin(t, f.canLogin, "postgres") || !f.canLogin(t, "app1") {
				t.Error("a login that worked before no longer works")
			}
			if f.canLogin(t, "app2") {
				t.Error("app2 got in")
			}
		})
	}
}

// waitLogin retries a login for a moment: Pgpool-II children pick up a
// reload asynchronously.
func waitLogin(t *testing.T, login func(*testing.T, string) bool, role string) bool {
	t.Helper()
	for i := 0; i < 20; i++ {
		if login(t, role) {
			return true
		}
	}
	return false
}

// TestPgpoolReloadChangesWhoCanLogIn: an accepted pool_hba.conf and a
// changed setting are in force when Apply returns.
func TestPgpoolReloadChangesWhoCanLogIn(t *testing.T) {
	f := startPgpool(t)
	newHBA := "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all app2 127.0.0.1/32 trust\n"
	out, err := Apply(context.Background(), f.spec(
		localfiles.File{Name: "pool_hba.conf", Content: []byte(newHBA)},
		localfiles.File{Name: "pgpool.conf", Content: []byte(f.read(t, "pgpool.conf") + "client_idle_limit = 33\n")},
	), nil, f.target)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Reloaded || !strings.Contains(strings.Join(out.Checks, "\n"), "PGPOOL SHOW ALL shows the 1 changed settings") {
		t.Errorf("outcome %+v", out)
	}
	if !f.canLogin(t, "app2") || f.canLogin(t, "app1") {
		t.Error("the new pool_hba.conf is not in force: want app2 in, app1 out")
	}
}
