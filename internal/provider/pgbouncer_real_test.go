package provider

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// PgBouncer 1.18 in front of PostgreSQL 15, everything from Terraform: the
// PKI, pg_hba/pg_ident for PostgreSQL (PgBouncer's own certificate mapped to
// the roles), pgbouncer.ini with TLS both ways (verify-full to PostgreSQL),
// PgBouncer's auth_hba_file (certificates for alice and bob, scram-sha-256
// for carol) and userlist.txt with a verifier computed from carol's password.
const bouncerDeployment = `
variable "pg_port" {
  type    = number
  default = 5432
}
variable "dir" { type = string }
variable "bouncer_port" { type = number }
variable "carol_password" {
  type      = string
  sensitive = true
}

resource "pgtls_root_ca" "root" {
  subject = { common_name = "pgbouncer deployment root" }
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = ["localhost"]
  ip_addresses       = ["127.0.0.1"]
}

resource "pgtls_server_cert" "bouncer" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = ["localhost"]
  ip_addresses       = ["127.0.0.1"]
}

# PgBouncer's client certificate towards PostgreSQL.
resource "pgtls_client_cert" "bouncer" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "pgbouncer"
}

resource "pgtls_client_cert" "alice" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "alice"
}

resource "pgtls_ident_map" "bouncer" {
  name = "bouncer"
  mappings = [
    { system_user = "pgbouncer", database_user = "alice" },
    { system_user = "pgbouncer", database_user = "bob" },
    { system_user = "pgbouncer", database_user = "carol" },
  ]
}

resource "pgtls_hba_file" "postgres" {
  rules = [
    { type = "hostnossl", address = "127.0.0.1/32", method = "reject" },
    { type = "hostssl", address = "127.0.0.1/32", method = "cert", map = "bouncer" },
  ]
  ident_maps = [pgtls_ident_map.bouncer]
}

resource "pgtls_ident_file" "postgres" {
  maps = [pgtls_ident_map.bouncer]
}
`

const bouncerDeploymentPooler = `
resource "pgtls_hba_file" "bouncer" {
  target = "pgbouncer"
  rules = [
    { type = "hostssl", users = ["alice", "bob"], address = "127.0.0.1/32", method = "cert" },
    { type = "hostssl", users = ["carol"], address = "127.0.0.1/32", method = "scram-sha-256" },
  ]
}

resource "pgtls_pgbouncer_userlist" "main" {
  header = "users PgBouncer knows"
  users = [
    { name = "alice", format = "none" },
    { name = "bob", format = "none" },
    { name = "carol", password = var.carol_password },
  ]
}

resource "pgtls_pgbouncer_ini" "main" {
  header = "rendered by pgtls"
  databases = [
    { name = "postgres", host = "127.0.0.1", port = var.pg_port, dbname = "postgres" },
  ]
  listen_addr     = ["127.0.0.1"]
  listen_port     = var.bouncer_port
  unix_socket_dir = var.dir
  logfile         = "${var.dir}/pgbouncer.log"
  pidfile         = "${var.dir}/pgbouncer.pid"

  auth_type     = "hba"
  auth_hba_file = "${var.dir}/hba.conf"
  auth_file     = "${var.dir}/userlist.txt"

  client_tls_sslmode   = "require"
  client_tls_ca_file   = "${var.dir}/root.crt"
  client_tls_cert_file = "${var.dir}/server.crt"
  client_tls_key_file  = "${var.dir}/server.key"
  client_tls_protocols = "tlsv1.2,tlsv1.3"
  client_tls_ciphers   = "HIGH:!aNULL:!eNULL"

  server_tls_sslmode   = "verify-full"
  server_tls_ca_file   = "${var.dir}/root.crt"
  server_tls_cert_file = "${var.dir}/backend.crt"
  server_tls_key_file  = "${var.dir}/backend.key"

  settings = { ignore_startup_parameters = "extra_float_digits" }
}
`

func TestAccPgBouncer_realServers(t *testing.T) {
	testserver.RequirePgBouncer(t)
	dir := testserver.NewPoolerDir(t, "pgtls-ab-")
	port := testserver.FreePort(t)
	var pg *testserver.Postgres
	var b *testserver.PgBouncer
	carol := `c"a'r ol\pw`
	vars := func(pw string) config.Variables {
		return config.Variables{
			"pg_port": lazyVar(func() any {
				if pg == nil {
					return 5432
				}
				return pg.Port
			}),
			"dir":            config.StringVariable(dir),
			"bouncer_port":   config.IntegerVariable(port),
			"carol_password": config.StringVariable(pw),
		}
	}
	get := func(s *terraform.State, addr, attr string) string { v, _ := stateAttr(s, addr, attr); return v }
	psql := func(s *terraform.State, user, password, sslmode string, withCert bool) testserver.PsqlResult {
		tls := testserver.ClientTLS{RootCertPEM: get(s, "pgtls_root_ca.root", "cert_pem")}
		if withCert {
			tls.CertPEM, tls.KeyPEM = get(s, "pgtls_client_cert.alice", "cert_pem"), get(s, "pgtls_client_cert.alice", "private_key_pem")
		}
		ci := map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(port), "dbname": "postgres",
			"user": user, "sslmode": sslmode, "connect_timeout": "10"}
		if password != "" {
			ci["password"] = password
		}
		return testserver.Psql(t, ci, tls, "SELECT current_user, s.ssl, s.client_dn FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()")
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:          bouncerDeployment,
			ConfigVariables: vars(carol),
			Check: func(s *terraform.State) error {
				pg = testserver.StartPostgres(t, testserver.PostgresConfig{
					SSL: true, CertPEM: get(s, "pgtls_server_cert.db", "fullchain_pem"), KeyPEM: get(s, "pgtls_server_cert.db", "private_key_pem"),
					CAPEM: get(s, "pgtls_server_cert.db", "ca_bundle_pem"), HBA: get(s, "pgtls_hba_file.postgres", "content"),
					Ident: get(s, "pgtls_ident_file.postgres", "content"), Roles: []string{"alice", "bob", "carol"},
				})
				return nil
			},
		}, {
			Config:          bouncerDeployment + bouncerDeploymentPooler,
			ConfigVariables: vars(carol),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue("pgtls_pgbouncer_ini.main", tfjsonpath.New("content"), knownvalue.NotNull()),
				// A new user with a password: the review copy is known, the
				// exact file waits for the salt drawn at apply.
				plancheck.ExpectKnownValue("pgtls_pgbouncer_userlist.main", tfjsonpath.New("content"),
					knownvalue.StringExact(";; users PgBouncer knows\n\"alice\" \"\"\n\"bob\" \"\"\n\"carol\" \"(sensitive)\"\n")),
				plancheck.ExpectUnknownValue("pgtls_pgbouncer_userlist.main", tfjsonpath.New("sensitive_content")),
			}},
			Check: func(s *terraform.State) error {
				srv := "pgtls_server_cert.bouncer"
				b = testserver.StartPgBouncerRendered(t, testserver.RenderedPgBouncer{Dir: dir, Port: port, Config: "pgbouncer.ini", LogFile: dir + "/pgbouncer.log",
					Files: testserver.RenderedFiles{
						"pgbouncer.ini": get(s, "pgtls_pgbouncer_ini.main", "sensitive_content"),
						"userlist.txt":  get(s, "pgtls_pgbouncer_userlist.main", "sensitive_content"),
						"hba.conf":      get(s, "pgtls_hba_file.bouncer", "content"),
						"root.crt":      get(s, "pgtls_root_ca.root", "cert_pem"),
						"server.crt":    get(s, srv, "fullchain_pem"),
						"server.key":    get(s, srv, "private_key_pem"),
						"backend.crt":   get(s, "pgtls_client_cert.bouncer", "fullchain_pem"),
						"backend.key":   get(s, "pgtls_client_cert.bouncer", "private_key_pem"),
					}})
				if r := psql(s, "alice", "", "verify-full", true); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "alice|t|/CN=pgbouncer" {
					t.Errorf("alice with her certificate: exit %d %q %s\n%s", r.ExitCode, r.Stdout, r.Stderr, b.Log())
				}
				if r := psql(s, "bob", "", "verify-full", true); r.ExitCode == 0 {
					t.Errorf("alice's certificate logged in as bob")
				}
				if r := psql(s, "alice", "", "verify-full", false); r.ExitCode == 0 {
					t.Errorf("alice got in without a certificate")
				}
				if r := psql(s, "alice", "", "disable", true); r.ExitCode == 0 {
					t.Errorf("alice got in without TLS")
				}
				if r := psql(s, "carol", carol, "verify-full", false); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "carol|t|/CN=pgbouncer" {
					t.Errorf("carol with her password: exit %d %q %s\n%s", r.ExitCode, r.Stdout, r.Stderr, b.Log())
				}
				if r := psql(s, "carol", carol+"x", "verify-full", false); r.ExitCode == 0 {
					t.Errorf("carol got in with a wrong password")
				}
				if strings.Contains(get(s, "pgtls_pgbouncer_userlist.main", "content"), "SCRAM") {
					t.Errorf("review copy holds a verifier")
				}
				return nil
			},
		}, {
			// A new password keeps carol's salt: the exact file is known at
			// plan time; PgBouncer takes it on reload.
			Config:          bouncerDeployment + bouncerDeploymentPooler,
			ConfigVariables: vars("carol's new password"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue("pgtls_pgbouncer_userlist.main", tfjsonpath.New("sensitive_content"),
					knownvalue.StringRegexp(regexpMust(`"carol" "SCRAM-SHA-256\$4096:`))),
				plancheck.ExpectResourceAction("pgtls_pgbouncer_userlist.main", plancheck.ResourceActionUpdate),
			}},
			Check: func(s *terraform.State) error {
				b.WriteFile(t, "userlist.txt", get(s, "pgtls_pgbouncer_userlist.main", "sensitive_content"))
				b.Reload(t)
				if r := psql(s, "carol", "carol's new password", "verify-full", false); r.ExitCode != 0 {
					t.Errorf("carol with her new password: exit %d %s", r.ExitCode, r.Stderr)
				}
				if r := psql(s, "carol", carol, "verify-full", false); r.ExitCode == 0 {
					t.Errorf("carol's old password still works")
				}
				return nil
			},
		}},
	})
}

// TestAccPgBouncer_scramPassThrough: the verifier of pgtls_scram_verifier
// goes both into PostgreSQL (CREATE ROLE ... PASSWORD '<verifier>') and into
// userlist.txt; PgBouncer 1.18 then authenticates the client and logs in to
// PostgreSQL's scram-sha-256 with the client's SCRAM keys: no password is
// stored anywhere in clear.
func TestAccPgBouncer_scramPassThrough(t *testing.T) {
	testserver.RequirePgBouncer(t)
	dir := testserver.NewPoolerDir(t, "pgtls-as-")
	port := testserver.FreePort(t)
	var pg *testserver.Postgres
	const pw = `app's "password"`
	vars := config.Variables{
		"pg_port": lazyVar(func() any {
			if pg == nil {
				return 5432
			}
			return pg.Port
		}),
		"dir":          config.StringVariable(dir),
		"bouncer_port": config.IntegerVariable(port),
		"app_password": config.StringVariable(pw),
	}
	const base = `
variable "pg_port" {
  type    = number
  default = 5432
}
variable "dir" { type = string }
variable "bouncer_port" { type = number }
variable "app_password" {
  type      = string
  sensitive = true
}

resource "pgtls_scram_verifier" "app" {
  password = var.app_password
}
`
	const pooler = `
resource "pgtls_pgbouncer_userlist" "main" {
  users = [{ name = "app", scram_verifier = pgtls_scram_verifier.app.verifier }]
}

resource "pgtls_pgbouncer_ini" "main" {
  databases       = [{ name = "postgres", host = "127.0.0.1", port = var.pg_port }]
  listen_addr     = ["127.0.0.1"]
  listen_port     = var.bouncer_port
  unix_socket_dir = var.dir
  logfile         = "${var.dir}/pgbouncer.log"
  auth_type       = "scram-sha-256"
  auth_file       = "${var.dir}/userlist.txt"
}
`
	get := func(s *terraform.State, addr, attr string) string { v, _ := stateAttr(s, addr, attr); return v }
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:          base,
			ConfigVariables: vars,
			Check: func(s *terraform.State) error {
				pg = testserver.StartPostgres(t, testserver.PostgresConfig{HBA: "host all all 127.0.0.1/32 scram-sha-256\n"})
				pg.Exec(t, "CREATE ROLE app LOGIN PASSWORD "+testserver.QuoteLiteral(get(s, "pgtls_scram_verifier.app", "verifier")))
				return nil
			},
		}, {
			Config:          base + pooler,
			ConfigVariables: vars,
			Check: func(s *terraform.State) error {
				b := testserver.StartPgBouncerRendered(t, testserver.RenderedPgBouncer{Dir: dir, Port: port, Config: "pgbouncer.ini", LogFile: dir + "/pgbouncer.log",
					Files: testserver.RenderedFiles{
						"pgbouncer.ini": get(s, "pgtls_pgbouncer_ini.main", "sensitive_content"),
						"userlist.txt":  get(s, "pgtls_pgbouncer_userlist.main", "sensitive_content"),
					}})
				ci := map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(port), "dbname": "postgres", "user": "app", "sslmode": "disable", "password": pw}
				if r := testserver.Psql(t, ci, testserver.ClientTLS{}, "SELECT current_user"); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "app" {
					t.Errorf("app through PgBouncer (SCRAM pass-through): exit %d %q %s\n%s", r.ExitCode, r.Stdout, r.Stderr, b.Log())
				}
				ci["password"] = "wrong"
				if r := testserver.Psql(t, ci, testserver.ClientTLS{}, "SELECT 1"); r.ExitCode == 0 {
					t.Errorf("app got in with a wrong password")
				}
				return nil
			},
		}},
	})
}
