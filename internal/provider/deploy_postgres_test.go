package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// The guides' deployments end to end from Terraform alone (issue 10): one
// configuration creates the PKI, renders the configuration files, writes
// them with pgtls_file_set and proves with pgtls_connection_check
// expectations who gets in; the harness only starts the programs on the
// files Terraform wrote (deploy_harness_test.go), and psql and openssl
// check the outcome from outside.

// instanceConf is the part of postgresql.conf that belongs to the test
// instance rather than to TLS and authentication (pgtls_postgresql_conf
// renders those): the port, the socket directory and throwaway-server
// settings. It is written by Terraform with the rest of the file.
const instanceConf = `
locals {
  instance_conf = <<-EOT
    # This instance: written by Terraform, followed by the TLS and
    # authentication settings pgtls_postgresql_conf renders.
    port = ${var.port}
    unix_socket_directories = '${var.dir}'
    max_connections = 100
    shared_buffers = 16MB
    dynamic_shared_memory_type = mmap
    fsync = off
    synchronous_commit = off
    full_page_writes = off
    wal_level = minimal
    max_wal_senders = 0
    log_connections = on
    timezone = 'UTC'
    log_timezone = 'UTC'
  EOT
}
`

// deployPostgresMTLS is seed 004: a root CA; a server certificate with three
// DNS names and the IP; two client certificates whose CNs
// ("PostgreSQL client1", "PostgreSQL client2") pg_ident maps to app1 and
// app2 (hostssl ... cert map=...); every other user on hostssl
// scram-sha-256 with a verifier from pgtls_scram_verifier; TLS 1.2 at
// least; nothing without TLS.
const deployPostgresMTLS = `
variable "dir" { type = string }
variable "owner" { type = string }
variable "port" { type = number }
variable "reporting_password" {
  type      = string
  sensitive = true
}
` + instanceConf + `
locals {
  data  = "${var.dir}/data"
  names = ["raxus.swgalaxy", "mobus.swgalaxy", "pgsql.swgalaxy"]
}

resource "pgtls_root_ca" "root" {
  subject = { common_name = "swgalaxy PostgreSQL root CA" }
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  subject            = { common_name = "PostgreSQL server" }
  dns_names          = local.names
  ip_addresses       = ["127.0.0.1"]
}

resource "pgtls_client_cert" "client1" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "app1"
  subject            = { common_name = "PostgreSQL client1" }
}

resource "pgtls_client_cert" "client2" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "app2"
  subject            = { common_name = "PostgreSQL client2" }
}

resource "pgtls_scram_verifier" "reporting" {
  password = var.reporting_password
}

resource "pgtls_ident_map" "app1" {
  name     = "certmap_app1"
  mappings = [{ system_user = "\"PostgreSQL client1\"", database_user = "app1" }]
}

resource "pgtls_ident_map" "app2" {
  name     = "certmap_app2"
  mappings = [{ system_user = "\"PostgreSQL client2\"", database_user = "app2" }]
}

resource "pgtls_ident_file" "main" {
  maps = [pgtls_ident_map.app1, pgtls_ident_map.app2]
}

resource "pgtls_hba_file" "main" {
  rules = [
    { type = "local", users = ["postgres"], method = "peer" },
    { type = "hostnossl", address = "0.0.0.0/0", method = "reject", comment = "never without TLS" },
    { type = "hostssl", users = ["app1"], address = "127.0.0.0/8", method = "cert", map = "certmap_app1" },
    { type = "hostssl", users = ["app2"], address = "127.0.0.0/8", method = "cert", map = "certmap_app2" },
    { type = "hostssl", address = "127.0.0.0/8", method = "scram-sha-256" },
  ]
  ident_maps = [pgtls_ident_map.app1, pgtls_ident_map.app2]
}

resource "pgtls_postgresql_conf" "main" {
  listen_addresses         = ["127.0.0.1"]
  ssl_cert_file            = "server.crt"
  ssl_key_file             = "server.key"
  ssl_ca_file              = "root.crt"
  ssl_min_protocol_version = "TLSv1.2"
  password_encryption      = "scram-sha-256"
  hba_content              = pgtls_hba_file.main.sensitive_content
}

# The data directory initdb made: the server reads all of these.
resource "pgtls_file_set" "data" {
  directory = local.data
  layout    = "postgresql_data_dir"
  owner     = var.owner
  files = {
    "postgresql.conf" = { content = "${local.instance_conf}${pgtls_postgresql_conf.main.content}" }
    "pg_ident.conf"   = { content = pgtls_ident_file.main.content }
    "server.crt"      = { content = pgtls_server_cert.db.fullchain_pem }
    "root.crt"        = { content = pgtls_root_ca.root.cert_pem }
  }
  sensitive_files = {
    "pg_hba.conf" = { content = pgtls_hba_file.main.sensitive_content }
    "server.key"  = { content = pgtls_server_cert.db.private_key_pem }
  }
}

# The roles, run once by psql after the first start: the password user
# gets the verifier, never the password.
resource "pgtls_file_set" "bootstrap" {
  directory = var.dir
  owner     = var.owner
  sensitive_files = {
    "bootstrap.sql" = { content = <<-EOT
      CREATE ROLE app1 LOGIN;
      CREATE ROLE app2 LOGIN;
      CREATE ROLE reporting LOGIN PASSWORD '${pgtls_scram_verifier.reporting.verifier}';
    EOT
    }
  }
}

locals {
  server = [pgtls_file_set.data, pgtls_file_set.bootstrap]
  # Every name of the certificate, dialed at 127.0.0.1 (libpq's host + hostaddr).
  endpoints = concat(local.names, ["127.0.0.1"])
  all_modes = {
    disable       = "failure"
    allow         = "success"
    prefer        = "success"
    require       = "success"
    "verify-ca"   = "success"
    "verify-full" = "success"
  }
}

# Each client through each name, as its mapped role: in with TLS only.
data "pgtls_connection_check" "client1" {
  count           = length(local.endpoints)
  depends_on      = [pgtls_file_set.data, pgtls_file_set.bootstrap]
  host            = "127.0.0.1"
  server_name     = local.endpoints[count.index]
  port            = var.port
  database        = "postgres"
  user            = "app1"
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = pgtls_client_cert.client1.cert_pem
  client_key_pem  = pgtls_client_cert.client1.private_key_pem
  expect          = local.all_modes
}

data "pgtls_connection_check" "client2" {
  count           = length(local.endpoints)
  depends_on      = [pgtls_file_set.data, pgtls_file_set.bootstrap]
  host            = "127.0.0.1"
  server_name     = local.endpoints[count.index]
  port            = var.port
  database        = "postgres"
  user            = "app2"
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = pgtls_client_cert.client2.cert_pem
  client_key_pem  = pgtls_client_cert.client2.private_key_pem
  expect          = local.all_modes
}

# Each certificate only as its mapped role (the Check function reads the
# state through a shim that knows count, not for_each).
data "pgtls_connection_check" "cross" {
  count = 3
  depends_on      = [pgtls_file_set.data, pgtls_file_set.bootstrap]
  host            = "127.0.0.1"
  server_name     = "pgsql.swgalaxy"
  port            = var.port
  database        = "postgres"
  user            = ["app2", "app1", "reporting"][count.index]
  sslmodes        = ["verify-full"]
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = [pgtls_client_cert.client1, pgtls_client_cert.client2, pgtls_client_cert.client1][count.index].cert_pem
  client_key_pem  = [pgtls_client_cert.client1, pgtls_client_cert.client2, pgtls_client_cert.client1][count.index].private_key_pem
  expect          = { "verify-full" = "failure" }
}

# Everyone else: scram-sha-256 over TLS.
data "pgtls_connection_check" "reporting" {
  depends_on    = [pgtls_file_set.data, pgtls_file_set.bootstrap]
  host          = "127.0.0.1"
  server_name   = "pgsql.swgalaxy"
  port          = var.port
  database      = "postgres"
  user          = "reporting"
  password      = var.reporting_password
  sslmodes      = ["disable", "verify-full"]
  root_cert_pem = pgtls_root_ca.root.cert_pem
  expect        = { disable = "failure", "verify-full" = "success" }
}

data "pgtls_connection_check" "reporting_wrong_password" {
  depends_on    = [pgtls_file_set.data, pgtls_file_set.bootstrap]
  host          = "127.0.0.1"
  server_name   = "pgsql.swgalaxy"
  port          = var.port
  database      = "postgres"
  user          = "reporting"
  password      = "not ${var.reporting_password}"
  sslmodes      = ["verify-full"]
  root_cert_pem = pgtls_root_ca.root.cert_pem
  expect        = { "verify-full" = "failure" }
}

# A name the certificate does not carry: verify-ca passes, verify-full not.
data "pgtls_connection_check" "wrong_name" {
  depends_on      = [pgtls_file_set.data, pgtls_file_set.bootstrap]
  host            = "127.0.0.1"
  server_name     = "tatooine.swgalaxy"
  port            = var.port
  database        = "postgres"
  user            = "app1"
  sslmodes        = ["verify-ca", "verify-full"]
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = pgtls_client_cert.client1.cert_pem
  client_key_pem  = pgtls_client_cert.client1.private_key_pem
  expect          = { "verify-ca" = "success", "verify-full" = "failure" }
}
`

// TestAccDeploy_postgresMTLSIdent is seed 004 end to end: one apply writes
// PostgreSQL 15's data directory (postgresql.conf, pg_hba.conf,
// pg_ident.conf, server.crt/key, root.crt) and the roles' bootstrap script;
// the harness starts PostgreSQL on it; the connection checks in the same
// apply prove verify-full through each of the three names and the IP, each
// client only as its pg_ident-mapped role, scram-sha-256 for the rest and
// plain TCP refused; psql and openssl confirm it from outside.
func TestAccDeploy_postgresMTLSIdent(t *testing.T) {
	requireAcc(t) // before preparing servers
	testserver.RequirePostgres(t)
	openssl := testserver.RequireOpenSSL(t)
	start := time.Now()
	d := testserver.NewPostgresDataDir(t, 0)
	port := testserver.FreePort(t)
	const password = `reporting's "pw" \ 1`
	h := newDeployHarness(t)
	var pg *testserver.Postgres
	h.startAfter("postgres", []string{d.DataDir(), d.Dir}, func(tb testing.TB) error {
		var err error
		if pg, err = d.StartPostgresOnDisk(tb); err != nil {
			return err
		}
		return pg.ExecFile(filepath.Join(d.Dir, "bootstrap.sql"))
	})
	get := func(s *terraform.State, addr, attr string) string { v, _ := stateAttr(s, addr, attr); return v }
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: h.factories(),
		Steps: []resource.TestStep{{
			Config: deployPostgresMTLS,
			ConfigVariables: config.Variables{
				"dir": config.StringVariable(d.Dir), "owner": config.StringVariable(serverOwner()),
				"port": config.IntegerVariable(port), "reporting_password": config.StringVariable(password),
			},
			ConfigStateChecks: []statecheck.StateCheck{
				// What the data sources saw, beyond their expectations.
				dsAttr("client1[0]", "expectations_met", knownvalue.Bool(true)),
				dsResult("client1[1]", "verify-full", "authenticated_user", knownvalue.StringExact("app1")),
				dsResult("client1[2]", "verify-full", "tls_version", knownvalue.StringExact("TLSv1.3")),
				dsStat("client1[3]", "verify-full", "client_dn_oneline", knownvalue.StringExact("/CN=PostgreSQL client1")),
				dsResult("client1[3]", "allow", "path", knownvalue.StringExact("plaintext-then-tls")),
				dsResult("client1[3]", "disable", "sqlstate", knownvalue.StringExact("28000")),
				dsResult("client2[0]", "verify-full", "authenticated_user", knownvalue.StringExact("app2")),
				dsStat("client2[0]", "verify-full", "client_dn_oneline", knownvalue.StringExact("/CN=PostgreSQL client2")),
				dsResult("cross[0]", "verify-full", "error", knownvalue.StringRegexp(regexpMust(`certificate authentication failed for user "app2"`))),
				dsResult("cross[1]", "verify-full", "error", knownvalue.StringRegexp(regexpMust(`certificate authentication failed for user "app1"`))),
				dsResult("cross[2]", "verify-full", "category", knownvalue.StringExact("no-password")),
				dsResult("reporting", "verify-full", "authenticated_user", knownvalue.StringExact("reporting")),
				dsResult("reporting_wrong_password", "verify-full", "error", knownvalue.StringRegexp(regexpMust(`password authentication failed for user "reporting"`))),
				dsResult("wrong_name", "verify-full", "category", knownvalue.StringExact("hostname")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				func(s *terraform.State) error {
					if pg == nil {
						return fmt.Errorf("the harness did not start PostgreSQL (started: %v)", h.started())
					}
					return checkPostgresMTLSOutside(t, s, pg, d, port, password, openssl, get)
				},
			),
		}},
	})
	t.Logf("TestAccDeploy_postgresMTLSIdent: %s (PostgreSQL start %s)", time.Since(start).Round(time.Millisecond), startDuration(pg))
}

// dsAttr, dsResult and dsStat check a pgtls_connection_check data source
// (name with its index) in state.
func dsAttr(name, attr string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue("data.pgtls_connection_check."+name, tfjsonpath.New(attr), v)
}

func dsResult(name, mode, attr string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue("data.pgtls_connection_check."+name, tfjsonpath.New("results").AtMapKey(mode).AtMapKey(attr), v)
}

func dsStat(name, mode, attr string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue("data.pgtls_connection_check."+name,
		tfjsonpath.New("results").AtMapKey(mode).AtMapKey("pg_stat_ssl").AtMapKey(attr), v)
}

func startDuration(pg *testserver.Postgres) time.Duration {
	if pg == nil {
		return 0
	}
	return pg.StartDuration.Round(time.Millisecond)
}

// checkPostgresMTLSOutside checks deployment 1 with psql, openssl and the
// files on disk.
func checkPostgresMTLSOutside(t *testing.T, s *terraform.State, pg *testserver.Postgres, d *testserver.PostgresDataDir, port int, password, openssl string,
	get func(*terraform.State, string, string) string) error {
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	root := get(s, "pgtls_root_ca.root", "cert_pem")
	client := func(n string) testserver.ClientTLS {
		a := "pgtls_client_cert.client" + n
		return testserver.ClientTLS{RootCertPEM: root, CertPEM: get(s, a, "cert_pem"), KeyPEM: get(s, a, "private_key_pem")}
	}
	psql := func(host, user, sslmode string, tls testserver.ClientTLS, extra map[string]string) testserver.PsqlResult {
		ci := map[string]string{"host": host, "hostaddr": "127.0.0.1", "port": strconv.Itoa(port), "dbname": "postgres",
			"user": user, "sslmode": sslmode, "connect_timeout": "10"}
		for k, v := range extra {
			ci[k] = v
		}
		return testserver.Psql(t, ci, tls, "SELECT current_user || '|' || ssl || '|' || version || '|' || coalesce(client_dn, '') FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	}
	// verify-full through each name and the IP, each client as its role.
	for _, host := range []string{"raxus.swgalaxy", "mobus.swgalaxy", "pgsql.swgalaxy", "127.0.0.1"} {
		for n, role := range map[string]string{"1": "app1", "2": "app2"} {
			want := role + "|true|TLSv1.3|/CN=PostgreSQL client" + n
			if r := psql(host, role, "verify-full", client(n), nil); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != want {
				fail("psql host=%s user=%s with client%s's certificate: exit %d %q %s", host, role, n, r.ExitCode, r.Stdout, r.Stderr)
			}
		}
	}
	// Each certificate only as its mapped role.
	if r := psql("pgsql.swgalaxy", "app2", "verify-full", client("1"), nil); r.ExitCode == 0 || !strings.Contains(r.Stderr, `certificate authentication failed for user "app2"`) {
		fail("psql: client1's certificate as app2: exit %d %s", r.ExitCode, r.Stderr)
	}
	if r := psql("pgsql.swgalaxy", "app1", "verify-full", client("2"), nil); r.ExitCode == 0 || !strings.Contains(r.Stderr, `certificate authentication failed for user "app1"`) {
		fail("psql: client2's certificate as app1: exit %d %s", r.ExitCode, r.Stderr)
	}
	// Plain TCP refused, whatever the credentials.
	if r := psql("127.0.0.1", "app1", "disable", client("1"), nil); r.ExitCode == 0 || !strings.Contains(r.Stderr, "no encryption") {
		fail("psql sslmode=disable: exit %d %s", r.ExitCode, r.Stderr)
	}
	if r := psql("127.0.0.1", "reporting", "disable", testserver.ClientTLS{}, map[string]string{"password": password}); r.ExitCode == 0 {
		fail("psql sslmode=disable with the right password got in")
	}
	// A name outside the certificate.
	if r := psql("tatooine.swgalaxy", "app1", "verify-full", client("1"), nil); r.ExitCode == 0 || !strings.Contains(r.Stderr, "does not match host name") {
		fail("psql verify-full to a name not in the certificate: exit %d %s", r.ExitCode, r.Stderr)
	}
	// scram-sha-256 for the others, with the verifier Terraform computed.
	pw := func(p string) map[string]string {
		return map[string]string{"password": p, "channel_binding": "require"}
	}
	if r := psql("raxus.swgalaxy", "reporting", "verify-full", testserver.ClientTLS{RootCertPEM: root}, pw(password)); r.ExitCode != 0 || !strings.HasPrefix(strings.TrimSpace(r.Stdout), "reporting|true|TLSv1.3|") {
		fail("psql reporting with its password: exit %d %q %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if r := psql("raxus.swgalaxy", "reporting", "verify-full", testserver.ClientTLS{RootCertPEM: root}, pw("wrong")); r.ExitCode == 0 || !strings.Contains(r.Stderr, "password authentication failed") {
		fail("psql reporting with a wrong password: exit %d %s", r.ExitCode, r.Stderr)
	}
	// TLS 1.2 is the floor: TLS 1.2 is served, TLS 1.1 refused by the server
	// (the client offers it: security level 0).
	if r := psql("pgsql.swgalaxy", "app1", "verify-full", client("1"), map[string]string{"ssl_max_protocol_version": "TLSv1.2"}); r.ExitCode != 0 || !strings.HasPrefix(strings.TrimSpace(r.Stdout), "app1|true|TLSv1.2|") {
		fail("psql with TLS 1.2 at most: exit %d %q %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	sclient := func(version string) (string, error) {
		cmd := exec.Command(openssl, "s_client", "-starttls", "postgres", "-connect", "127.0.0.1:"+strconv.Itoa(port), version, "-cipher", "DEFAULT@SECLEVEL=0")
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := sclient("-tls1_2"); err != nil || !strings.Contains(out, "Protocol  : TLSv1.2") {
		fail("openssl s_client -tls1_2 (control): %v\n%s", err, out)
	}
	if out, err := sclient("-tls1_1"); err == nil || !strings.Contains(out, "alert protocol version") {
		fail("openssl s_client -tls1_1 was not refused with a protocol alert: %v\n%s", err, out)
	}
	if !strings.Contains(pg.Log(), "could not accept SSL connection: unsupported protocol") {
		fail("the server log does not show the TLS 1.1 refusal")
	}
	// The server runs what Terraform wrote.
	for setting, want := range map[string]string{"ssl_min_protocol_version": "TLSv1.2", "password_encryption": "scram-sha-256",
		"ssl": "on", "ssl_ca_file": "root.crt", "listen_addresses": "127.0.0.1"} {
		if got := pg.Exec(t, "SHOW "+setting); got != want {
			fail("SHOW %s = %q, want %q", setting, got, want)
		}
	}
	if got := pg.Exec(t, "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL OR auth_method IS NULL"); got != "0" {
		fail("pg_hba_file_rules has %s bad rows", got)
	}
	if got := pg.Exec(t, "SELECT string_agg(map_name || ':' || sys_name || ':' || pg_username, ',' ORDER BY line_number) FROM pg_ident_file_mappings"); got != "certmap_app1:PostgreSQL client1:app1,certmap_app2:PostgreSQL client2:app2" {
		fail("pg_ident_file_mappings: %s", got)
	}
	if got := pg.Exec(t, "SELECT rolpassword LIKE 'SCRAM-SHA-256$4096:%' FROM pg_authid WHERE rolname = 'reporting'"); got != "t" {
		fail("reporting's stored password is not the SCRAM verifier: %s", got)
	}
	// Modes and owners as the server requires.
	owner := serverOwner()
	for name, mode := range map[string]os.FileMode{"server.key": 0o600, "server.crt": 0o600, "root.crt": 0o600, "pg_hba.conf": 0o600, "postgresql.conf": 0o600} {
		fi, err := os.Stat(filepath.Join(d.DataDir(), name))
		if err != nil {
			fail("%s: %v", name, err)
			continue
		}
		if fi.Mode().Perm() != mode {
			fail("%s: mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 && owner == "postgres" {
			if u, err := lookupUID("postgres"); err == nil && int(st.Uid) != u {
				fail("%s: owned by uid %d, want postgres", name, st.Uid)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s\n--- server log ---\n%s", strings.Join(errs, "\n"), logTail(pg.Log()))
	}
	return nil
}

// logTail is the last 30 lines of a server log, for failure messages.
func logTail(s string) string {
	const n = 30
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
