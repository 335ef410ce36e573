package reload

import (
	"context"
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

const bouncerHBA = "host all postgres 127.0.0.1/32 trust\nhost all app1 127.0.0.1/32 trust\n"

type bouncerFixture struct {
	b      *testserver.PgBouncer
	target Target
}

func startBouncer(t *testing.T) *bouncerFixture {
	t.Helper()
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"app1", "app2"}})
	b := testserver.StartPgBouncer(t, testserver.PgBouncerConfig{
		Backend:  pg,
		HBA:      bouncerHBA,
		AuthFile: `"postgres" ""` + "\n" + `"app1" ""` + "\n" + `"app2" ""` + "\n",
	})
	return &bouncerFixture{b: b, target: Target{
		Program: PgBouncer,
		Conn:    check.Request{Host: "127.0.0.1", Port: b.Port, User: "postgres"},
		SSLMode: check.ModeDisable,
	}}
}

func (f *bouncerFixture) spec(files ...localfiles.File) localfiles.Spec {
	for i := range files {
		files[i].Owner = serverOwner()
		files[i].Mode = 0o600
	}
	return localfiles.Spec{Dir: f.b.Dir, Files: files}
}

// canLogin: role reaches PostgreSQL through PgBouncer with psql.
func (f *bouncerFixture) canLogin(t *testing.T, role string) bool {
	t.Helper()
	r := testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(f.b.Port), "user": role,
		"dbname": "postgres", "sslmode": "disable", "connect_timeout": "5"}, testserver.ClientTLS{}, "SELECT current_user")
	return r.ExitCode == 0 && strings.TrimSpace(r.Stdout) == role
}

func (f *bouncerFixture) read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.b.Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPgBouncerRefusedFilesKeepOldFilesAndLogins: PgBouncer 1.18 answers
// RELOAD with success even when it refuses the file or drops hba lines;
// pgtls refuses what its checks and PgBouncer's own log show, puts the old
// files back, reloads them, and every login that worked still works.
func TestPgBouncerRefusedFilesKeepOldFilesAndLogins(t *testing.T) {
	f := startBouncer(t)
	ctx := context.Background()
	ini := f.read(t, "pgbouncer.ini")
	for _, tc := range []struct {
		name     string
		files    []localfiles.File
		want     []string
		reloaded bool
	}{
		{
			name:  "hba line with an option PgBouncer drops (fail-open)",
			files: []localfiles.File{{Name: "hba.conf", Content: []byte(bouncerHBA + "hostssl all app2 127.0.0.1/32 cert clientcert=verify-full\n")}},
			want:  []string{"PgBouncer refused the new files", "hba.conf line 3", "accepts no options", "not reloaded"},
		},
		{
			name:  "unknown parameter",
			files: []localfiles.File{{Name: "pgbouncer.ini", Content: []byte(ini + "no_such_setting = 1\n")}},
			want:  []string{"unknown parameter: pgbouncer/no_such_setting"},
		},
		{
			name:     "invalid value only PgBouncer itself notices",
			files:    []localfiles.File{{Name: "pgbouncer.ini", Content: []byte(ini + "max_client_conn = lots\n")}},
			want:     []string{"reloaded the new files, but the check after the reload failed", `PgBouncer logged: ERROR invalid value "lots" for parameter max_client_conn`, "put back and reloaded"},
			reloaded: true,
		},
		{
			name:     "valid hba that locks the admin out",
			files:    []localfiles.File{{Name: "hba.conf", Content: []byte("host all postgres 127.0.0.1/32 reject\nhost all app1 127.0.0.1/32 trust\n")}},
			want:     []string{"new admin console connection fails"},
			reloaded: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oldHBA, oldIni := f.read(t, "hba.conf"), f.read(t, "pgbouncer.ini")
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
			if f.read(t, "hba.conf") != oldHBA || f.read(t, "pgbouncer.ini") != oldIni {
				t.Error("the previous files are not back")
			}
			if !f.canLogin(t, "postgres") || !f.canLogin(t, "app1") {
				t.Error("a login that worked before no longer works")
			}
			if f.canLogin(t, "app2") {
				t.Error("app2 got in")
			}
		})
	}
}

// TestPgBouncerReloadChangesWhoCanLogIn: an accepted hba file is in force
// when Apply returns.
func TestPgBouncerReloadChangesWhoCanLogIn(t *testing.T) {
	f := startBouncer(t)
	newHBA := "host all postgres 127.0.0.1/32 trust\nhost all app2 127.0.0.1/32 trust\n"
	ini := f.read(t, "pgbouncer.ini") + "max_client_conn = 50\n"
	out, err := Apply(context.Background(), f.spec(
		localfiles.File{Name: "hba.conf", Content: []byte(newHBA)},
		localfiles.File{Name: "pgbouncer.ini", Content: []byte(ini)},
	), nil, f.target)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Reloaded {
		t.Errorf("outcome %+v", out)
	}
	if f.canLogin(t, "app1") || !f.canLogin(t, "app2") {
		t.Error("the new hba is not in force: want app1 out, app2 in")
	}
	s, err := connect(context.Background(), f.target, "pgbouncer")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	cfg, err := showConfig(context.Background(), s.Conn)
	if err != nil || cfg["max_client_conn"].value != "50" {
		t.Errorf("max_client_conn after reload: %+v %v", cfg["max_client_conn"], err)
	}
}
