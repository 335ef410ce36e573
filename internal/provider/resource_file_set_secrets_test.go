package provider

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// fileSetSecretInputs registers pgtls_file_set's secret inputs with the
// sentinel test: the content of a sensitive file (a private key written to
// disk) and the reload's password, client key and PCP password (each used
// for a real reload).
func fileSetSecretInputs() []secretInput {
	superuser := func(t *testing.T, pw string, env *secretEnv) {
		env.postgresWithPassword(t, pw).Exec(t, "ALTER ROLE app SUPERUSER")
	}
	return []secretInput{{
		name: "pgtls_file_set.sensitive_files.content(server.key)", typ: "pgtls_file_set", secret: keySentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_file_set" "f" {
  directory       = %s
  files           = { "server.crt" = { content = "not a secret\n" } }
  sensitive_files = { "server.key" = { content = %s } }
}
`, hclString(t.TempDir()), expr)
		},
	}, {
		// A DER key (pgJDBC's postgresql.pk8) as base64: the PEM body.
		name: "pgtls_file_set.sensitive_files.content_base64(postgresql.pk8)", typ: "pgtls_file_set", secret: keySentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_file_set" "f" {
  directory = %s
  layout    = "libpq_home"
  sensitive_files = {
    "postgresql.pk8" = { content_base64 = join("", [for l in split("\n", %s) : l if !startswith(l, "-----")]) }
  }
}
`, hclString(t.TempDir()), expr)
		},
	}, {
		name: "pgtls_file_set.reload.password", typ: "pgtls_file_set", secret: randomSentinel,
		setup: superuser,
		config: func(t *testing.T, expr string, env *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_file_set" "f" {
  directory = %s
  files     = { "note.txt" = { content = "reloaded by pgtls\n" } }
  reload = {
    program  = "postgresql"
    host     = "127.0.0.1"
    port     = %d
    user     = "app"
    password = %s
    sslmode  = "require"
  }
}
`, hclString(t.TempDir()), env.pg.Port, expr)
		},
	}, {
		name: "pgtls_file_set.reload.client_key_pem", typ: "pgtls_file_set", secret: keySentinel,
		setup: func(t *testing.T, _ string, env *secretEnv) { superuser(t, "not-the-secret", env) },
		config: func(t *testing.T, expr string, env *secretEnv) string {
			cert, _ := sentinelCA(t)
			return fmt.Sprintf(`
resource "pgtls_file_set" "f" {
  directory = %s
  files     = { "note.txt" = { content = "reloaded by pgtls\n" } }
  reload = {
    program         = "postgresql"
    host            = "127.0.0.1"
    port            = %d
    user            = "app"
    password        = "not-the-secret"
    sslmode         = "require"
    client_cert_pem = %s
    client_key_pem  = %s
  }
}
`, hclString(t.TempDir()), env.pg.Port, hclString(cert), expr)
		},
	}, {
		name: "pgtls_file_set.reload.pcp_password", typ: "pgtls_file_set", secret: randomSentinel,
		setup: func(t *testing.T, value string, env *secretEnv) {
			testserver.RequirePgpool(t)
			env.pg = testserver.StartPostgres(t, testserver.PostgresConfig{})
			env.pgpool = testserver.StartPgpool(t, testserver.PgpoolConfig{Backend: env.pg})
			sum := md5.Sum([]byte(value))
			env.pgpool.WriteFile(t, "pcp.conf", "sentinel:"+hex.EncodeToString(sum[:])+"\n")
		},
		config: func(t *testing.T, expr string, env *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_file_set" "f" {
  directory = %s
  files     = { "note.txt" = { content = "reloaded by pgtls\n" } }
  reload = {
    program      = "pgpool"
    pcp_host     = "127.0.0.1"
    pcp_port     = %d
    pcp_user     = "sentinel"
    pcp_password = %s
  }
}
`, hclString(t.TempDir()), env.pgpool.PCPPort, expr)
		},
	}}
}
