package provider

import (
	"fmt"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/scram"
)

// poolerSecretInputs registers the secret inputs of the pooler resources
// with the sentinel test (secrets_test.go).
func poolerSecretInputs() []secretInput {
	const backend = `backends = [{ host = "db.example.com", port = 5432 }]`
	return []secretInput{{
		name: "pgtls_pgbouncer_ini.databases[*].password", typ: "pgtls_pgbouncer_ini", secret: randomSentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_pgbouncer_ini" "b" {
  databases = [{ name = "app", host = "db.example.com", user = "app", password = %s }]
  auth_type = "scram-sha-256"
  auth_file = "/etc/pgbouncer/userlist.txt"
}
`, expr)
		},
	}, {
		name: "pgtls_pgbouncer_userlist.users[*].password", typ: "pgtls_pgbouncer_userlist", secret: randomSentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_pgbouncer_userlist" "u" {
  users = [
    { name = "scram", password = %[1]s },
    { name = "md5", format = "md5", password = %[1]s },
    { name = "plain", format = "plain", password = %[1]s },
  ]
}
`, expr)
		},
	}, {
		name: "pgtls_pgbouncer_userlist.users[*].scram_verifier", typ: "pgtls_pgbouncer_userlist", secret: verifierSentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_pgbouncer_userlist" "u" {
  users = [{ name = "app", scram_verifier = %s }]
}
`, expr)
		},
	}, {
		name: "pgtls_pgpool_conf.ssl_passphrase_command", typ: "pgtls_pgpool_conf", secret: randomSentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_pgpool_conf" "p" {
  ssl                    = true
  ssl_cert               = "/etc/pgpool-II/server.crt"
  ssl_key                = "/etc/pgpool-II/server.key"
  ssl_ca_cert            = "/etc/pgpool-II/root.crt"
  ssl_ciphers            = "HIGH:!aNULL"
  ssl_passphrase_command = %s
  %s
}
`, expr, backend)
		},
	}, {
		name: "pgtls_pgpool_conf.secret_settings[sr_check_password]", typ: "pgtls_pgpool_conf", secret: randomSentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_pgpool_conf" "p" {
  secret_settings = { sr_check_password = %[1]s, health_check_password0 = %[1]s, wd_authkey = %[1]s }
  settings        = { sr_check_user = "pgpool" }
  %[2]s
}
`, expr, backend)
		},
	}, {
		name: "pgtls_pgpool_passwd.users[*].password", typ: "pgtls_pgpool_passwd", secret: randomSentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_pgpool_passwd" "p" {
  encryption_key = "not-the-secret"
  users = [
    { name = "aes", password = %[1]s },
    { name = "md5", format = "md5", password = %[1]s },
    { name = "text", format = "text", password = %[1]s },
  ]
}
`, expr)
		},
	}, {
		name: "pgtls_pgpool_passwd.encryption_key", typ: "pgtls_pgpool_passwd", secret: randomSentinel,
		config: func(t *testing.T, expr string, _ *secretEnv) string {
			return fmt.Sprintf(`
resource "pgtls_pgpool_passwd" "p" {
  encryption_key = %s
  users          = [{ name = "app", password = "not-the-secret" }]
}
`, expr)
		},
	}}
}

// verifierSentinel is a SCRAM verifier of a random password; the verifier
// and its ServerKey are the needles.
func verifierSentinel(t *testing.T) (string, []string) {
	pw, _ := randomSentinel(t)
	v, err := scram.NewRandom(pw, scram.DefaultIterations)
	if err != nil {
		t.Fatal(err)
	}
	s := v.String()
	return s, []string{s, s[len(s)-44:]}
}
