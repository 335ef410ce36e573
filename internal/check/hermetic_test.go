package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// TestHermeticAgainstServer poisons every PG* variable and ~/.postgresql,
// ~/.pgpass: if any of them reached the connection, the probes below would
// fail differently (bogus options rejected by the server, a foreign root
// failing require, a pgpass password making "no password" succeed) or the
// server log would show the leaked application_name.
func TestHermeticAgainstServer(t *testing.T) {
	testserver.RequirePostgres(t)
	srv := testserver.StartPostgres(t, testserver.PostgresConfig{SSL: true, HBA: "host all all 127.0.0.1/32 scram-sha-256",
		Roles: []string{"alice"}, Settings: map[string]string{"log_connections": "on"}})
	setAlicePassword(t, srv)

	home := t.TempDir()
	foreign := newCA(t, "foreign root from HOME")
	stranger := foreign.client(t, "alice")
	pgdir := filepath.Join(home, ".postgresql")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(pgdir, 0o700))
	must(os.WriteFile(filepath.Join(pgdir, "root.crt"), []byte(foreign.pem), 0o600))
	must(os.WriteFile(filepath.Join(pgdir, "postgresql.crt"), []byte(stranger.certPEM), 0o600))
	must(os.WriteFile(filepath.Join(pgdir, "postgresql.key"), []byte(stranger.keyPEM), 0o600))
	must(os.WriteFile(filepath.Join(home, ".pgpass"), []byte("*:*:*:*:"+alicePassword+"\n"), 0o600))
	t.Setenv("HOME", home)
	for k, v := range map[string]string{
		"PGAPPNAME": "leaked_appname", "PGOPTIONS": "-c work_mem=bogus", "PGSSLMODE": "verify-full",
		"PGSSLROOTCERT": filepath.Join(pgdir, "root.crt"), "PGTZ": "Mars/Olympus_Mons", "PGCHANNELBINDING": "require",
		"PGTARGETSESSIONATTRS": "standby", "PGDATABASE": "nonexistent_db", "PGCONNECT_TIMEOUT": "1",
		"PGSSLNEGOTIATION": "direct", "PGREQUIREAUTH": "password",
	} {
		t.Setenv(k, v)
	}

	base := Request{Host: srv.Host, Port: srv.Port, User: "alice", Database: "postgres"}
	withPw := base
	withPw.Password = alicePassword
	for _, r := range Run(t.Context(), withPw) {
		wantOK := r.Mode != ModeVerifyCA && r.Mode != ModeVerifyFull
		if r.Success != wantOK {
			t.Errorf("%s: success=%v, want %v (environment or HOME leaked?): %s", r.Mode, r.Success, wantOK, r.Error)
		}
		if !wantOK && r.Category != CatNoRootCert {
			t.Errorf("%s: category %s, want %s (a root from HOME/PGSSLROOTCERT was used?)", r.Mode, r.Category, CatNoRootCert)
		}
		if r.Success && r.ClientCertificateSent {
			t.Errorf("%s: a client certificate from ~/.postgresql was sent", r.Mode)
		}
	}
	for _, r := range Run(t.Context(), base) {
		if r.Success || (r.Category != CatNoPassword && r.Category != CatNoRootCert) {
			t.Errorf("%s without password: %+v (~/.pgpass read?)", r.Mode, r)
		}
	}
	if log := srv.Log(); strings.Contains(log, "leaked_appname") {
		t.Errorf("PGAPPNAME reached the server:\n%s", log)
	} else if !strings.Contains(log, "connection authorized: user=alice") {
		t.Errorf("log_connections did not log our sessions; the application_name check proves nothing:\n%s", log)
	}
}
