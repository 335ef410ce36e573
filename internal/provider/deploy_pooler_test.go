package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// The pooler deployments (seeds 001, 000 and 003) put PostgreSQL 15 behind
// PgBouncer or Pgpool-II. The PostgreSQL part is the same in each: this
// HCL expects pgtls_root_ca.root, pgtls_server_cert.db,
// pgtls_hba_file.postgres and a local.ident (pg_ident.conf content) and
// writes the data directory and the roles' bootstrap script.
func postgresBehindPooler(bootstrapSQL string) string {
	return `
variable "dir" { type = string }
variable "port" { type = number }
variable "owner" { type = string }
` + instanceConf + `
resource "pgtls_postgresql_conf" "pg" {
  listen_addresses         = ["127.0.0.1"]
  ssl_cert_file            = "server.crt"
  ssl_key_file             = "server.key"
  ssl_ca_file              = "root.crt"
  ssl_min_protocol_version = "TLSv1.2"
  password_encryption      = "scram-sha-256"
  hba_content              = pgtls_hba_file.postgres.sensitive_content
}

resource "pgtls_file_set" "data" {
  directory = "${var.dir}/data"
  layout    = "postgresql_data_dir"
  owner     = var.owner
  files = {
    "postgresql.conf" = { content = "${local.instance_conf}${pgtls_postgresql_conf.pg.content}" }
    "pg_ident.conf"   = { content = local.ident }
    "server.crt"      = { content = pgtls_server_cert.db.fullchain_pem }
    "root.crt"        = { content = pgtls_root_ca.root.cert_pem }
  }
  sensitive_files = {
    "pg_hba.conf" = { content = pgtls_hba_file.postgres.sensitive_content }
    "server.key"  = { content = pgtls_server_cert.db.private_key_pem }
  }
}

resource "pgtls_file_set" "bootstrap" {
  directory       = var.dir
  owner           = var.owner
  sensitive_files = { "bootstrap.sql" = { content = ` + bootstrapSQL + ` } }
}
`
}

// startPostgresAfter registers the PostgreSQL start of a deployment: once
// the data directory and the bootstrap script are written.
func startPostgresAfter(h *deployHarness, d *testserver.PostgresDataDir, pg **testserver.Postgres) {
	h.startAfter("postgres", []string{d.DataDir(), d.Dir}, func(tb testing.TB) error {
		p, err := d.StartPostgresOnDisk(tb)
		if err != nil {
			return err
		}
		*pg = p
		return p.ExecFile(filepath.Join(d.Dir, "bootstrap.sql"))
	})
}

// deployPgBouncerCert is seed 001: PgBouncer 1.18 with
// client_tls_sslmode = verify-full and auth_type = cert (the CN is the
// role), and PgBouncer to PostgreSQL over TLS verify-full with its own
// client certificate, which pg_ident maps to the roles PgBouncer serves.
const deployPgBouncerCert = `
variable "bouncer_dir" { type = string }
variable "bouncer_port" { type = number }

resource "pgtls_root_ca" "root" {
  subject = { common_name = "PgBouncer deployment root CA" }
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

# PgBouncer's own certificate towards PostgreSQL.
resource "pgtls_client_cert" "bouncer" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "pgbouncer"
}

# CN = role, as PgBouncer's auth_type = cert compares them.
resource "pgtls_client_cert" "testuser1" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "testuser1"
}

resource "pgtls_ident_map" "bouncer" {
  name = "pgbouncer"
  mappings = [
    { system_user = "pgbouncer", database_user = "testuser1" },
    { system_user = "pgbouncer", database_user = "testuser2" },
  ]
}

resource "pgtls_ident_file" "postgres" {
  maps = [pgtls_ident_map.bouncer]
}

locals {
  ident = pgtls_ident_file.postgres.content
}

# PostgreSQL: only PgBouncer's certificate, only over TLS.
resource "pgtls_hba_file" "postgres" {
  rules = [
    { type = "local", users = ["postgres"], method = "peer" },
    { type = "hostnossl", address = "0.0.0.0/0", method = "reject" },
    { type = "hostssl", users = ["testuser1", "testuser2"], address = "127.0.0.1/32", method = "cert", map = "pgbouncer" },
  ]
  ident_maps = [pgtls_ident_map.bouncer]
}

resource "pgtls_pgbouncer_userlist" "main" {
  header = "cert authentication: no passwords"
  users = [
    { name = "testuser1", format = "none" },
    { name = "testuser2", format = "none" },
  ]
}

resource "pgtls_pgbouncer_ini" "main" {
  databases       = [{ name = "postgres", host = "127.0.0.1", port = var.port, dbname = "postgres" }]
  listen_addr     = ["127.0.0.1"]
  listen_port     = var.bouncer_port
  unix_socket_dir = var.bouncer_dir
  logfile         = "${var.bouncer_dir}/pgbouncer.log"
  pidfile         = "${var.bouncer_dir}/pgbouncer.pid"

  auth_type = "cert"
  auth_file = "${var.bouncer_dir}/userlist.txt"

  client_tls_sslmode   = "verify-full"
  client_tls_ca_file   = "${var.bouncer_dir}/root.crt"
  client_tls_cert_file = "${var.bouncer_dir}/server.crt"
  client_tls_key_file  = "${var.bouncer_dir}/server.key"
  client_tls_protocols = "tlsv1.2,tlsv1.3"

  server_tls_sslmode   = "verify-full"
  server_tls_ca_file   = "${var.bouncer_dir}/root.crt"
  server_tls_cert_file = "${var.bouncer_dir}/pgbouncer-client.crt"
  server_tls_key_file  = "${var.bouncer_dir}/pgbouncer-client.key"

  settings = { ignore_startup_parameters = "extra_float_digits" }
}

resource "pgtls_file_set" "bouncer" {
  directory = var.bouncer_dir
  layout    = "pgbouncer"
  owner     = var.owner
  files = {
    "pgbouncer.ini"        = { content = pgtls_pgbouncer_ini.main.content }
    "root.crt"             = { content = pgtls_root_ca.root.cert_pem }
    "server.crt"           = { content = pgtls_server_cert.bouncer.fullchain_pem }
    "pgbouncer-client.crt" = { content = pgtls_client_cert.bouncer.fullchain_pem }
  }
  sensitive_files = {
    "userlist.txt"         = { content = pgtls_pgbouncer_userlist.main.sensitive_content }
    "server.key"           = { content = pgtls_server_cert.bouncer.private_key_pem }
    "pgbouncer-client.key" = { content = pgtls_client_cert.bouncer.private_key_pem }
  }
}

# Through PgBouncer: testuser1 with its certificate, over TLS only.
data "pgtls_connection_check" "testuser1" {
  depends_on      = [pgtls_file_set.data, pgtls_file_set.bootstrap, pgtls_file_set.bouncer]
  host            = "127.0.0.1"
  server_name     = "localhost"
  port            = var.bouncer_port
  database        = "postgres"
  user            = "testuser1"
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = pgtls_client_cert.testuser1.cert_pem
  client_key_pem  = pgtls_client_cert.testuser1.private_key_pem
  expect = {
    disable       = "failure"
    allow         = "success"
    prefer        = "success"
    require       = "success"
    "verify-ca"   = "success"
    "verify-full" = "success"
  }
}

# The same certificate for another role PgBouncer knows.
data "pgtls_connection_check" "testuser2_with_testuser1_cert" {
  depends_on      = [pgtls_file_set.data, pgtls_file_set.bootstrap, pgtls_file_set.bouncer]
  host            = "127.0.0.1"
  server_name     = "localhost"
  port            = var.bouncer_port
  database        = "postgres"
  user            = "testuser2"
  sslmodes        = ["verify-full"]
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = pgtls_client_cert.testuser1.cert_pem
  client_key_pem  = pgtls_client_cert.testuser1.private_key_pem
  expect          = { "verify-full" = "failure" }
}

# No certificate at all.
data "pgtls_connection_check" "no_cert" {
  depends_on    = [pgtls_file_set.data, pgtls_file_set.bootstrap, pgtls_file_set.bouncer]
  host          = "127.0.0.1"
  server_name   = "localhost"
  port          = var.bouncer_port
  database      = "postgres"
  user          = "testuser1"
  sslmodes      = ["verify-full"]
  root_cert_pem = pgtls_root_ca.root.cert_pem
  expect        = { "verify-full" = "failure" }
}
`

// TestAccDeploy_pgbouncerCertAuth is seed 001 end to end: one apply writes
// PostgreSQL's data directory and PgBouncer's directory (pgbouncer.ini,
// userlist.txt, certificates and keys); the harness starts both on them;
// the connection checks and psql prove that without TLS nobody gets in,
// that testuser1's certificate logs in as testuser1 and not as testuser2,
// and that PgBouncer reaches PostgreSQL over TLS with its own certificate.
func TestAccDeploy_pgbouncerCertAuth(t *testing.T) {
	requireAcc(t) // before preparing servers
	testserver.RequirePgBouncer(t)
	start := time.Now()
	d := testserver.NewPostgresDataDir(t, 0)
	bdir := testserver.NewPoolerDir(t, "pgtls-bnc-")
	port, bport := testserver.FreePort(t), testserver.FreePort(t)
	for bport == port {
		bport = testserver.FreePort(t)
	}
	h := newDeployHarness(t)
	var pg *testserver.Postgres
	var b *testserver.PgBouncer
	startPostgresAfter(h, d, &pg)
	h.startAfter("pgbouncer", []string{bdir}, func(tb testing.TB) error {
		var err error
		b, err = testserver.TryStartPgBouncerRendered(tb, testserver.RenderedPgBouncer{Dir: bdir, Port: bport, Config: "pgbouncer.ini", LogFile: bdir + "/pgbouncer.log"})
		return err
	})
	cfg := postgresBehindPooler(`"CREATE ROLE testuser1 LOGIN; CREATE ROLE testuser2 LOGIN;\n"`) + deployPgBouncerCert
	get := func(s *terraform.State, addr, attr string) string { v, _ := stateAttr(s, addr, attr); return v }
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: h.factories(),
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigVariables: config.Variables{
				"dir": config.StringVariable(d.Dir), "port": config.IntegerVariable(port), "owner": config.StringVariable(serverOwner()),
				"bouncer_dir": config.StringVariable(bdir), "bouncer_port": config.IntegerVariable(bport),
			},
			ConfigStateChecks: []statecheck.StateCheck{
				dsResult("testuser1", "verify-full", "authenticated_user", knownvalue.StringExact("testuser1")),
				dsResult("testuser1", "verify-full", "tls_version", knownvalue.StringExact("TLSv1.3")),
				dsResult("testuser1", "disable", "error", knownvalue.StringRegexp(regexpMust(`SSL required`))),
				dsResult("testuser2_with_testuser1_cert", "verify-full", "error", knownvalue.StringRegexp(regexpMust(`certificate authentication failed`))),
				dsResult("no_cert", "verify-full", "error", knownvalue.StringRegexp(regexpMust(`certificate required`))),
			},
			Check: func(s *terraform.State) error {
				if pg == nil || b == nil {
					return fmt.Errorf("the harness did not start both servers (started: %v)", h.started())
				}
				var errs []string
				fail := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
				root := get(s, "pgtls_root_ca.root", "cert_pem")
				t1 := testserver.ClientTLS{RootCertPEM: root, CertPEM: get(s, "pgtls_client_cert.testuser1", "cert_pem"), KeyPEM: get(s, "pgtls_client_cert.testuser1", "private_key_pem")}
				psql := func(user, sslmode string, tls testserver.ClientTLS) testserver.PsqlResult {
					return testserver.Psql(t, map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(bport),
						"dbname": "postgres", "user": user, "sslmode": sslmode, "connect_timeout": "10"}, tls,
						"SELECT current_user || '|' || ssl || '|' || version || '|' || client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
				}
				// The CN's role: in, and PostgreSQL sees PgBouncer's own
				// certificate on a TLS connection.
				if r := psql("testuser1", "verify-full", t1); r.ExitCode != 0 || !strings.HasPrefix(strings.TrimSpace(r.Stdout), "testuser1|true|TLSv1.") ||
					!strings.HasSuffix(strings.TrimSpace(r.Stdout), "|/CN=pgbouncer") {
					fail("psql testuser1 with its certificate: exit %d %q %s", r.ExitCode, r.Stdout, r.Stderr)
				}
				if r := psql("testuser2", "verify-full", t1); r.ExitCode == 0 || !strings.Contains(r.Stderr, "certificate authentication failed") {
					fail("psql testuser2 with testuser1's certificate: exit %d %s", r.ExitCode, r.Stderr)
				}
				// The client hears "certificate authentication failed";
				// PgBouncer logs why.
				if !strings.Contains(b.Log(), "postgres/testuser2@127.0.0.1") || !strings.Contains(b.Log(), "TLS certificate name mismatch") {
					fail("PgBouncer's log has no name mismatch for testuser2")
				}
				// allow: the plaintext attempt gets "SSL required", libpq
				// retries with TLS, as the connection check expects.
				if r := psql("testuser1", "allow", t1); r.ExitCode != 0 || !strings.HasPrefix(strings.TrimSpace(r.Stdout), "testuser1|true|") {
					fail("psql sslmode=allow: exit %d %q %s", r.ExitCode, r.Stdout, r.Stderr)
				}
				if r := psql("testuser1", "disable", t1); r.ExitCode == 0 || !strings.Contains(r.Stderr, "SSL required") {
					fail("psql without TLS: exit %d %s", r.ExitCode, r.Stderr)
				}
				if r := psql("testuser1", "verify-full", testserver.ClientTLS{RootCertPEM: root}); r.ExitCode == 0 || !strings.Contains(r.Stderr, "certificate required") {
					fail("psql without a certificate: exit %d %s", r.ExitCode, r.Stderr)
				}
				// PostgreSQL itself refuses anyone without PgBouncer's
				// certificate, so the login above went over TLS with it.
				direct := testserver.Psql(t, map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(port),
					"dbname": "postgres", "user": "testuser1", "sslmode": "verify-full", "connect_timeout": "10"}, t1, "SELECT 1")
				if direct.ExitCode == 0 || !strings.Contains(direct.Stderr, `certificate authentication failed for user "testuser1"`) {
					fail("psql straight to PostgreSQL with testuser1's certificate: exit %d %s", direct.ExitCode, direct.Stderr)
				}
				if !strings.Contains(pg.Log(), `identity="CN=pgbouncer" method=cert`) {
					fail("PostgreSQL's log has no cert login of PgBouncer")
				}
				for name, mode := range map[string]os.FileMode{"server.key": 0o600, "pgbouncer-client.key": 0o600, "userlist.txt": 0o640, "pgbouncer.ini": 0o640, "root.crt": 0o644} {
					if fi, err := os.Stat(filepath.Join(bdir, name)); err != nil || fi.Mode().Perm() != mode {
						fail("%s: %v %v, want mode %v", name, fi, err, mode)
					}
				}
				if len(errs) > 0 {
					return fmt.Errorf("%s\n--- PgBouncer log ---\n%s", strings.Join(errs, "\n"), logTail(b.Log()))
				}
				return nil
			},
		}},
	})
	t.Logf("TestAccDeploy_pgbouncerCertAuth: %s", time.Since(start).Round(time.Millisecond))
}

// pgpoolCommon is the part of seeds 000 and 003 they share: the PKI,
// PostgreSQL on hostssl scram-sha-256 (Pgpool-II logs in to it with the
// password it decrypts from pool_passwd), and Pgpool-II's pgpool.conf with
// ssl = on and enable_pool_hba = on, written with pool_hba.conf,
// pool_passwd, its key and certificates by one pgtls_file_set. The
// deployment adds pgtls_hba_file.pool and pgtls_pgpool_passwd.pool.
const pgpoolCommon = `
variable "pool_dir" { type = string }
variable "pool_port" { type = number }
variable "pcp_port" { type = number }
variable "pool_key" {
  type      = string
  sensitive = true
}

resource "pgtls_root_ca" "root" {
  subject = { common_name = "Pgpool-II deployment root CA" }
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = ["localhost"]
  ip_addresses       = ["127.0.0.1"]
}

resource "pgtls_server_cert" "pgpool" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = ["localhost"]
  ip_addresses       = ["127.0.0.1"]
}

locals {
  ident = "# no maps\n"
}

resource "pgtls_hba_file" "postgres" {
  rules = [
    { type = "local", users = ["postgres"], method = "peer" },
    { type = "hostnossl", address = "0.0.0.0/0", method = "reject" },
    { type = "hostssl", address = "127.0.0.1/32", method = "scram-sha-256" },
  ]
}

resource "pgtls_pgpool_conf" "pool" {
  listen_addresses        = "127.0.0.1"
  port                    = var.pool_port
  ssl                     = true
  ssl_cert                = "${var.pool_dir}/server.crt"
  ssl_key                 = "${var.pool_dir}/server.key"
  ssl_ca_cert             = "${var.pool_dir}/root.crt"
  enable_pool_hba         = true
  pool_passwd             = "${var.pool_dir}/pool_passwd"
  backend_clustering_mode = "raw"
  backends                = [{ host = "127.0.0.1", port = var.port, flag = "DISALLOW_TO_FAILOVER" }]
  settings = {
    socket_dir           = var.pool_dir
    pcp_socket_dir       = var.pool_dir
    wd_ipc_socket_dir    = var.pool_dir
    logdir               = var.pool_dir
    pid_file_name        = "${var.pool_dir}/pgpool.pid"
    pcp_listen_addresses = ""
    pcp_port             = tostring(var.pcp_port)
    num_init_children    = "4"
    max_pool             = "1"
    sr_check_period      = "0"
    health_check_period  = "0"
  }
}

resource "pgtls_file_set" "pool" {
  directory = var.pool_dir
  layout    = "pgpool"
  owner     = var.owner
  files = {
    "pgpool.conf"   = { content = pgtls_pgpool_conf.pool.content }
    "pool_hba.conf" = { content = pgtls_hba_file.pool.content }
    "server.crt"    = { content = pgtls_server_cert.pgpool.fullchain_pem }
    "root.crt"      = { content = pgtls_root_ca.root.cert_pem }
  }
  sensitive_files = {
    "server.key"  = { content = pgtls_server_cert.pgpool.private_key_pem }
    "pool_passwd" = { content = pgtls_pgpool_passwd.pool.sensitive_content }
    ".pgpoolkey"  = { content = pgtls_pgpool_passwd.pool.key_file_content }
    "pcp.conf"    = { content = "# no PCP users\n" }
  }
}

locals {
  servers = [pgtls_file_set.data, pgtls_file_set.bootstrap, pgtls_file_set.pool]
}
`

// deployPgpoolCert is seed 000: hostssl all all 0.0.0.0/0 cert in
// pool_hba.conf; the certificate's CN is the role.
const deployPgpoolCert = `
variable "app_password" {
  type      = string
  sensitive = true
}
variable "newuser_password" {
  type      = string
  sensitive = true
}

resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "app"
}

resource "pgtls_scram_verifier" "app" {
  password = var.app_password
}

resource "pgtls_scram_verifier" "newuser" {
  password = var.newuser_password
}

resource "pgtls_hba_file" "pool" {
  target = "pgpool"
  rules  = [{ type = "hostssl", address = "0.0.0.0/0", method = "cert" }]
  lint   = { ignore = ["wide_address", "all_all_network"] }
}

# What Pgpool-II logs in to PostgreSQL with, AES-encrypted with pool_key.
resource "pgtls_pgpool_passwd" "pool" {
  encryption_key = var.pool_key
  users = [
    { name = "app", password = var.app_password },
    { name = "newuser", password = var.newuser_password },
  ]
}

data "pgtls_connection_check" "app" {
  depends_on      = [pgtls_file_set.data, pgtls_file_set.bootstrap, pgtls_file_set.pool]
  host            = "127.0.0.1"
  server_name     = "localhost"
  port            = var.pool_port
  database        = "postgres"
  user            = "app"
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = pgtls_client_cert.app.cert_pem
  client_key_pem  = pgtls_client_cert.app.private_key_pem
  expect = {
    disable       = "failure"
    allow         = "success"
    prefer        = "success"
    require       = "success"
    "verify-ca"   = "success"
    "verify-full" = "success"
  }
}

data "pgtls_connection_check" "newuser_with_app_cert" {
  depends_on      = [pgtls_file_set.data, pgtls_file_set.bootstrap, pgtls_file_set.pool]
  host            = "127.0.0.1"
  server_name     = "localhost"
  port            = var.pool_port
  database        = "postgres"
  user            = "newuser"
  sslmodes        = ["verify-full"]
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = pgtls_client_cert.app.cert_pem
  client_key_pem  = pgtls_client_cert.app.private_key_pem
  expect          = { "verify-full" = "failure" }
}

data "pgtls_connection_check" "app_no_cert" {
  depends_on    = [pgtls_file_set.data, pgtls_file_set.bootstrap, pgtls_file_set.pool]
  host          = "127.0.0.1"
  server_name   = "localhost"
  port          = var.pool_port
  database      = "postgres"
  user          = "app"
  password      = var.app_password
  sslmodes      = ["verify-full"]
  root_cert_pem = pgtls_root_ca.root.cert_pem
  expect        = { "verify-full" = "failure" }
}
`

// deployPgpoolScram is seed 003: scram-sha-256 in pg_hba.conf and
// pool_hba.conf (hostssl only), AES entries in pool_passwd, md5 nowhere.
const deployPgpoolScram = `
variable "webadmin_password" {
  type      = string
  sensitive = true
}
variable "app_password" {
  type      = string
  sensitive = true
}

resource "pgtls_scram_verifier" "webadmin" {
  password = var.webadmin_password
}

resource "pgtls_scram_verifier" "app" {
  password = var.app_password
}

resource "pgtls_hba_file" "pool" {
  target = "pgpool"
  rules  = [{ type = "hostssl", address = "0.0.0.0/0", method = "scram-sha-256" }]
  lint   = { ignore = ["wide_address", "all_all_network"] }
}

resource "pgtls_pgpool_passwd" "pool" {
  encryption_key = var.pool_key
  users = [
    { name = "webadmin", password = var.webadmin_password, format = "aes" },
    { name = "app", password = var.app_password, format = "aes" },
  ]
}

data "pgtls_connection_check" "webadmin" {
  depends_on    = [pgtls_file_set.data, pgtls_file_set.bootstrap, pgtls_file_set.pool]
  host          = "127.0.0.1"
  server_name   = "localhost"
  port          = var.pool_port
  database      = "postgres"
  user          = "webadmin"
  password      = var.webadmin_password
  root_cert_pem = pgtls_root_ca.root.cert_pem
  expect = {
    disable       = "failure"
    allow         = "success"
    prefer        = "success"
    require       = "success"
    "verify-ca"   = "success"
    "verify-full" = "success"
  }
}

data "pgtls_connection_check" "app" {
  depends_on    = [pgtls_file_set.data, pgtls_file_set.bootstrap, pgtls_file_set.pool]
  host          = "127.0.0.1"
  server_name   = "localhost"
  port          = var.pool_port
  database      = "postgres"
  user          = "app"
  password      = var.app_password
  sslmodes      = ["verify-full"]
  root_cert_pem = pgtls_root_ca.root.cert_pem
  expect        = { "verify-full" = "success" }
}

data "pgtls_connection_check" "webadmin_wrong_password" {
  depends_on    = [pgtls_file_set.data, pgtls_file_set.bootstrap, pgtls_file_set.pool]
  host          = "127.0.0.1"
  server_name   = "localhost"
  port          = var.pool_port
  database      = "postgres"
  user          = "webadmin"
  password      = "${var.webadmin_password}!"
  sslmodes      = ["verify-full"]
  root_cert_pem = pgtls_root_ca.root.cert_pem
  expect        = { "verify-full" = "failure" }
}
`

// pgpoolDeploy runs one Pgpool-II deployment: PostgreSQL and
// Pgpool-II started by the harness on the files of the apply.
type pgpoolDeploy struct {
	d                   *testserver.PostgresDataDir
	dir                 string
	port, poolPort, pcp int
	h                   *deployHarness
	pg                  *testserver.Postgres
	pool                *testserver.Pgpool
}

func newPgpoolDeploy(t *testing.T) *pgpoolDeploy {
	requireAcc(t) // before preparing servers
	testserver.RequirePgpool(t)
	x := &pgpoolDeploy{d: testserver.NewPostgresDataDir(t, 0), dir: testserver.NewPoolerDir(t, "pgtls-pp-"), h: newDeployHarness(t)}
	used := map[int]bool{}
	free := func() int {
		for {
			// Pgpool-II 4.3 refuses ports below 1024 and the rendered
			// pcp_port must differ from the others.
			if p := testserver.FreePort(t); !used[p] && p < 65535 {
				used[p] = true
				return p
			}
		}
	}
	x.port, x.poolPort, x.pcp = free(), free(), free()
	startPostgresAfter(x.h, x.d, &x.pg)
	x.h.startAfter("pgpool", []string{x.dir}, func(tb testing.TB) error {
		var err error
		x.pool, err = testserver.TryStartPgpoolRendered(tb, testserver.RenderedPgpool{Dir: x.dir, Port: x.poolPort,
			Config: "pgpool.conf", HBA: "pool_hba.conf", PCP: "pcp.conf", Key: ".pgpoolkey"})
		return err
	})
	return x
}

func (x *pgpoolDeploy) vars(extra map[string]string) config.Variables {
	v := config.Variables{
		"dir": config.StringVariable(x.d.Dir), "port": config.IntegerVariable(x.port), "owner": config.StringVariable(serverOwner()),
		"pool_dir": config.StringVariable(x.dir), "pool_port": config.IntegerVariable(x.poolPort), "pcp_port": config.IntegerVariable(x.pcp),
		"pool_key": config.StringVariable("the pool key: never in a plan"),
	}
	for k, s := range extra {
		v[k] = config.StringVariable(s)
	}
	return v
}

func (x *pgpoolDeploy) psql(t *testing.T, user, password, sslmode string, tls testserver.ClientTLS) testserver.PsqlResult {
	ci := map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(x.poolPort), "dbname": "postgres",
		"user": user, "sslmode": sslmode, "connect_timeout": "10"}
	if password != "" {
		ci["password"] = password
	}
	return testserver.Psql(t, ci, tls, "SELECT current_user || '|' || ssl || '|' || coalesce(client_dn, '') FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
}

func (x *pgpoolDeploy) started() error {
	if x.pg == nil || x.pool == nil {
		return fmt.Errorf("the harness did not start both servers (started: %v)", x.h.started())
	}
	return nil
}

// TestAccDeploy_pgpoolCertAuth is seed 000 end to end: Pgpool-II 4.3 with
// ssl = on, enable_pool_hba = on and `hostssl all all 0.0.0.0/0 cert`,
// PostgreSQL 15 behind it over TLS; one apply writes both servers' files;
// the CN's role logs in, another role with the same certificate does not,
// and neither does anyone without TLS or without a certificate.
func TestAccDeploy_pgpoolCertAuth(t *testing.T) {
	start := time.Now()
	x := newPgpoolDeploy(t)
	const appPW, newPW = "app's backend password", `new"user pw`
	bootstrap := `<<-EOT
      CREATE ROLE app LOGIN PASSWORD '${pgtls_scram_verifier.app.verifier}';
      CREATE ROLE newuser LOGIN PASSWORD '${pgtls_scram_verifier.newuser.verifier}';
    EOT
  `
	get := func(s *terraform.State, addr, attr string) string { v, _ := stateAttr(s, addr, attr); return v }
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: x.h.factories(),
		Steps: []resource.TestStep{{
			Config:          postgresBehindPooler(bootstrap) + pgpoolCommon + deployPgpoolCert,
			ConfigVariables: x.vars(map[string]string{"app_password": appPW, "newuser_password": newPW}),
			ConfigStateChecks: []statecheck.StateCheck{
				dsResult("app", "verify-full", "authenticated_user", knownvalue.StringExact("app")),
				dsResult("app", "verify-full", "client_certificate_sent", knownvalue.Bool(true)),
				dsResult("newuser_with_app_cert", "verify-full", "error", knownvalue.StringRegexp(regexpMust(`CERT authentication failed`))),
			},
			Check: func(s *terraform.State) error {
				if err := x.started(); err != nil {
					return err
				}
				var errs []string
				fail := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
				root := get(s, "pgtls_root_ca.root", "cert_pem")
				app := testserver.ClientTLS{RootCertPEM: root, CertPEM: get(s, "pgtls_client_cert.app", "cert_pem"), KeyPEM: get(s, "pgtls_client_cert.app", "private_key_pem")}
				// The CN's role gets in; PostgreSQL sees Pgpool-II's
				// connection over TLS (no client certificate on that leg).
				if r := x.psql(t, "app", "", "verify-full", app); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "app|true|" {
					fail("psql app with its certificate: exit %d %q %s", r.ExitCode, r.Stdout, r.Stderr)
				}
				if r := x.psql(t, "app", "", "allow", app); r.ExitCode != 0 {
					fail("psql sslmode=allow (the connection check expects the TLS retry to succeed): exit %d %s", r.ExitCode, r.Stderr)
				}
				if r := x.psql(t, "newuser", "", "verify-full", app); r.ExitCode == 0 || !strings.Contains(r.Stderr, "CERT authentication failed") {
					fail("psql newuser with app's certificate: exit %d %s", r.ExitCode, r.Stderr)
				}
				if r := x.psql(t, "app", appPW, "verify-full", testserver.ClientTLS{RootCertPEM: root}); r.ExitCode == 0 {
					fail("psql app without a certificate (with the password) got in")
				}
				if r := x.psql(t, "app", "", "disable", app); r.ExitCode == 0 || !strings.Contains(r.Stderr, "pool_hba.conf") {
					fail("psql without TLS: exit %d %s", r.ExitCode, r.Stderr)
				}
				if !strings.Contains(x.pg.Log(), `connection authorized: user=app database=postgres SSL enabled`) {
					fail("PostgreSQL's log shows no TLS login of app from Pgpool-II")
				}
				if got := get(s, "pgtls_hba_file.pool", "content"); !regexpMust(`(?m)^hostssl\s+all\s+all\s+0\.0\.0\.0/0\s+cert$`).MatchString(got) {
					fail("pool_hba.conf is not the seed's line:\n%s", got)
				}
				if len(errs) > 0 {
					return fmt.Errorf("%s\n--- Pgpool-II log ---\n%s", strings.Join(errs, "\n"), logTail(x.pool.Log()))
				}
				return nil
			},
		}},
	})
	t.Logf("TestAccDeploy_pgpoolCertAuth: %s", time.Since(start).Round(time.Millisecond))
}

// TestAccDeploy_pgpoolScram is seed 003 end to end: scram-sha-256 behind
// Pgpool-II 4.3, hostssl only in pg_hba.conf and pool_hba.conf, AES
// entries in pool_passwd, PostgreSQL holding SCRAM verifiers made by
// pgtls_scram_verifier, and md5 nowhere: the right password gets in over
// TLS, a wrong one and plain TCP do not.
func TestAccDeploy_pgpoolScram(t *testing.T) {
	start := time.Now()
	x := newPgpoolDeploy(t)
	const webPW, appPW = `web:admin\ "pw"`, "app's password"
	bootstrap := `<<-EOT
      CREATE ROLE webadmin LOGIN PASSWORD '${pgtls_scram_verifier.webadmin.verifier}';
      CREATE ROLE app LOGIN PASSWORD '${pgtls_scram_verifier.app.verifier}';
    EOT
  `
	get := func(s *terraform.State, addr, attr string) string { v, _ := stateAttr(s, addr, attr); return v }
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: x.h.factories(),
		Steps: []resource.TestStep{{
			Config:          postgresBehindPooler(bootstrap) + pgpoolCommon + deployPgpoolScram,
			ConfigVariables: x.vars(map[string]string{"webadmin_password": webPW, "app_password": appPW}),
			ConfigStateChecks: []statecheck.StateCheck{
				dsResult("webadmin", "verify-full", "authenticated_user", knownvalue.StringExact("webadmin")),
				dsResult("webadmin", "verify-full", "encrypted", knownvalue.Bool(true)),
				dsResult("app", "verify-full", "authenticated_user", knownvalue.StringExact("app")),
				dsResult("webadmin_wrong_password", "verify-full", "sqlstate", knownvalue.NotNull()),
			},
			Check: func(s *terraform.State) error {
				if err := x.started(); err != nil {
					return err
				}
				var errs []string
				fail := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
				root := testserver.ClientTLS{RootCertPEM: get(s, "pgtls_root_ca.root", "cert_pem")}
				for user, pw := range map[string]string{"webadmin": webPW, "app": appPW} {
					if r := x.psql(t, user, pw, "verify-full", root); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != user+"|true|" {
						fail("psql %s with the right password: exit %d %q %s", user, r.ExitCode, r.Stdout, r.Stderr)
					}
					if r := x.psql(t, user, pw+"x", "verify-full", root); r.ExitCode == 0 || !strings.Contains(r.Stderr, "authentication failed") {
						fail("psql %s with a wrong password: exit %d %s", user, r.ExitCode, r.Stderr)
					}
					if r := x.psql(t, user, pw, "disable", testserver.ClientTLS{}); r.ExitCode == 0 {
						fail("psql %s without TLS got in", user)
					}
				}
				// md5 nowhere: not in any file Terraform wrote, not in
				// PostgreSQL's catalog, not in what PostgreSQL authenticated.
				files := map[string]string{
					"pg_hba.conf": filepath.Join(x.d.DataDir(), "pg_hba.conf"), "postgresql.conf": filepath.Join(x.d.DataDir(), "postgresql.conf"),
					"pool_hba.conf": filepath.Join(x.dir, "pool_hba.conf"), "pgpool.conf": filepath.Join(x.dir, "pgpool.conf"),
					"pool_passwd": filepath.Join(x.dir, "pool_passwd"),
				}
				for name, p := range files {
					b, err := os.ReadFile(p)
					if err != nil {
						fail("%s: %v", name, err)
						continue
					}
					if strings.Contains(strings.ToLower(string(b)), "md5") {
						fail("%s mentions md5", name)
					}
					if name == "pool_passwd" {
						for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
							if _, v, ok := strings.Cut(l, ":"); !ok || !strings.HasPrefix(v, "AES") {
								fail("pool_passwd entry is not AES: %.12q...", l)
							}
						}
					}
				}
				if got := x.pg.Exec(t, "SELECT count(*) FROM pg_authid WHERE rolname IN ('webadmin', 'app') AND rolpassword LIKE 'SCRAM-SHA-256$%'"); got != "2" {
					fail("PostgreSQL holds %s SCRAM verifiers for webadmin and app, want 2", got)
				}
				if !strings.Contains(x.pg.Log(), `identity="webadmin" method=scram-sha-256`) || strings.Contains(x.pg.Log(), "method=md5") {
					fail("PostgreSQL's log does not show scram-sha-256 logins only")
				}
				if len(errs) > 0 {
					return fmt.Errorf("%s\n--- Pgpool-II log ---\n%s", strings.Join(errs, "\n"), logTail(x.pool.Log()))
				}
				return nil
			},
		}},
	})
	t.Logf("TestAccDeploy_pgpoolScram: %s", time.Since(start).Round(time.Millisecond))
}
