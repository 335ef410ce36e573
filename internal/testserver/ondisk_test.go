package testserver

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStartPostgresOnDisk: the server runs on the configuration the test
// wrote into the data directory, nothing else: the port and socket
// directory come from that postgresql.conf (read back with postgres -C),
// the harness adds no setting, and a second server on the same written
// port is refused before it starts.
func TestStartPostgresOnDisk(t *testing.T) {
	RequirePostgres(t)
	d := NewPostgresDataDir(t, 0)
	port := FreePort(t)
	conf := "port = " + strconv.Itoa(port) + "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '" + d.Dir + "'\n" +
		"shared_buffers = 16MB\ndynamic_shared_memory_type = mmap\ncluster_name = 'written by the test'\n"
	for name, content := range map[string]string{"postgresql.conf": conf, "pg_hba.conf": "local all postgres peer\n", "pg_ident.conf": ""} {
		if err := writeOwned(filepath.Join(d.DataDir(), name), content); err != nil {
			t.Fatal(err)
		}
	}
	pg, err := d.StartPostgresOnDisk(t)
	if err != nil {
		t.Fatal(err)
	}
	if pg.Port != port || pg.SocketDir != d.Dir {
		t.Errorf("port %d socket %s, want %d %s", pg.Port, pg.SocketDir, port, d.Dir)
	}
	if got := pg.Exec(t, "SHOW cluster_name"); got != "written by the test" {
		t.Errorf("cluster_name %q: the server did not run the written postgresql.conf", got)
	}
	if got := pg.Exec(t, "SELECT count(*) FROM pg_file_settings WHERE sourcefile NOT LIKE '%/postgresql.conf'"); got != "0" {
		t.Errorf("%s settings come from another file than the written postgresql.conf", got)
	}
	if err := writeOwned(filepath.Join(d.Dir, "roles.sql"), "CREATE ROLE written LOGIN;\n"); err != nil {
		t.Fatal(err)
	}
	if err := pg.ExecFile(filepath.Join(d.Dir, "roles.sql")); err != nil {
		t.Fatal(err)
	}
	if err := pg.ExecFile(filepath.Join(d.Dir, "roles.sql")); err == nil || !strings.Contains(err.Error(), `role "written" already exists`) {
		t.Errorf("ExecFile of a failing script: %v", err)
	}
	d2 := NewPostgresDataDir(t, 0)
	if err := writeOwned(filepath.Join(d2.DataDir(), "postgresql.conf"), conf); err != nil {
		t.Fatal(err)
	}
	if _, err := d2.StartPostgresOnDisk(t); err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("a second server on the written port: %v", err)
	}
}
