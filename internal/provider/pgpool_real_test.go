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

// Pgpool-II 4.3.5 in front of PostgreSQL 15, everything from Terraform:
// seeds 000 (cert auth) and 003 (scram-sha-256 with AES pool_passwd, md5
// nowhere) in one deployment. PostgreSQL requires scram-sha-256 from
// Pgpool-II for every role, so Pgpool-II logs in with the passwords it
// decrypts from pool_passwd, also for the certificate user.
const pgpoolDeployment = `
variable "pg_port" {
  type    = number
  default = 5432
}
variable "dir" { type = string }
variable "pool_port" { type = number }
variable "pool_key" {
  type      = string
  sensitive = true
}
variable "alice_password" {
  type      = string
  sensitive = true
}
variable "bob_password" {
  type      = string
  sensitive = true
}

resource "pgtls_root_ca" "root" {
  subject = { common_name = "pgpool deployment root" }
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

resource "pgtls_client_cert" "alice" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "alice"
}

resource "pgtls_hba_file" "postgres" {
  rules = [
    { type = "hostnossl", address = "127.0.0.1/32", method = "reject" },
    { type = "hostssl", address = "127.0.0.1/32", method = "scram-sha-256" },
  ]
}
`

const pgpoolDeploymentPooler = `
resource "pgtls_hba_file" "pool" {
  target = "pgpool"
  rules = [
    { type = "hostssl", users = ["alice"], address = "127.0.0.1/32", method = "cert" },
    { type = "hostssl", users = ["bob"], address = "127.0.0.1/32", method = "scram-sha-256" },
  ]
}

resource "pgtls_pgpool_passwd" "pool" {
  encryption_key = var.pool_key
  users = [
    { name = "alice", password = var.alice_password },
    { name = "bob", password = var.bob_password },
  ]
}

resource "pgtls_pgpool_conf" "pool" {
  header           = "Pgpool-II in front of PostgreSQL, rendered by pgtls"
  listen_addresses = "127.0.0.1"
  port             = var.pool_port
  ssl              = true
  ssl_cert         = "${var.dir}/server.crt"
  ssl_key          = "${var.dir}/server.key"
  ssl_ca_cert      = "${var.dir}/root.crt"
  ssl_ciphers      = "HIGH:!aNULL"
  ssl_ecdh_curve   = "prime256v1"
  pool_passwd      = "${var.dir}/pool_passwd"
  backend_clustering_mode = "raw"
  backends = [{ host = "127.0.0.1", port = var.pg_port, flag = "DISALLOW_TO_FAILOVER" }]
  settings = {
    socket_dir           = var.dir
    pcp_socket_dir       = var.dir
    wd_ipc_socket_dir    = var.dir
    logdir               = var.dir
    pid_file_name        = "${var.dir}/pgpool.pid"
    pcp_listen_addresses = ""
    pcp_port             = tostring(var.pool_port + 1)
    num_init_children    = "4"
    max_pool             = "1"
    sr_check_period      = "0"
    health_check_period  = "0"
  }
}
`

func TestAccPgpool_realServers(t *testing.T) {
	testserver.RequirePgpool(t)
	dir := testserver.NewPoolerDir(t, "pgtls-ap-")
	poolPort := testserver.FreePort(t)
	for poolPort >= 65535 {
		poolPort = testserver.FreePort(t)
	}
	var pg *testserver.Postgres
	vars := config.Variables{
		"pg_port": lazyVar(func() any {
			if pg == nil {
				return 5432
			}
			return pg.Port
		}),
		"dir":            config.StringVariable(dir),
		"pool_port":      config.IntegerVariable(poolPort),
		"pool_key":       config.StringVariable("a pool key: not in any plan"),
		"alice_password": config.StringVariable("alice's backend password"),
		"bob_password":   config.StringVariable(`b:o\b "pw"`),
	}
	get := func(s *terraform.State, addr, attr string) string { v, _ := stateAttr(s, addr, attr); return v }
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:          pgpoolDeployment,
			ConfigVariables: vars,
			Check: func(s *terraform.State) error {
				pg = testserver.StartPostgres(t, testserver.PostgresConfig{
					SSL: true, CertPEM: get(s, "pgtls_server_cert.db", "fullchain_pem"), KeyPEM: get(s, "pgtls_server_cert.db", "private_key_pem"),
					CAPEM: get(s, "pgtls_server_cert.db", "ca_bundle_pem"), HBA: get(s, "pgtls_hba_file.postgres", "sensitive_content"),
				})
				pg.Exec(t, `CREATE ROLE alice LOGIN PASSWORD 'alice''s backend password'; CREATE ROLE bob LOGIN PASSWORD 'b:o\b "pw"'`)
				return nil
			},
		}, {
			Config:          pgpoolDeployment + pgpoolDeploymentPooler,
			ConfigVariables: vars,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectSensitiveValue("pgtls_pgpool_passwd.pool", tfjsonpath.New("sensitive_content")),
				plancheck.ExpectKnownValue("pgtls_pgpool_conf.pool", tfjsonpath.New("content"), knownvalue.NotNull()),
				plancheck.ExpectKnownValue("pgtls_pgpool_passwd.pool", tfjsonpath.New("content"), knownvalue.NotNull()),
			}},
			Check: func(s *terraform.State) error {
				conf := get(s, "pgtls_pgpool_conf.pool", "sensitive_content")
				srv := "pgtls_server_cert.pgpool"
				g := testserver.StartPgpoolRendered(t, testserver.RenderedPgpool{Dir: dir, Port: poolPort,
					Config: "pgpool.conf", HBA: "pool_hba.conf", Key: ".pgpoolkey",
					Files: testserver.RenderedFiles{
						"pgpool.conf":   conf,
						"pool_hba.conf": get(s, "pgtls_hba_file.pool", "sensitive_content"),
						"pool_passwd":   get(s, "pgtls_pgpool_passwd.pool", "sensitive_content"),
						".pgpoolkey":    get(s, "pgtls_pgpool_passwd.pool", "key_file_content"),
						"server.crt":    get(s, srv, "fullchain_pem"),
						"server.key":    get(s, srv, "private_key_pem"),
						"root.crt":      get(s, srv, "ca_bundle_pem"),
					}})
				root := get(s, srv, "ca_bundle_pem")
				psql := func(user, password, sslmode string, tls testserver.ClientTLS) testserver.PsqlResult {
					ci := map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(g.Port), "dbname": "postgres",
						"user": user, "sslmode": sslmode, "connect_timeout": "10"}
					if password != "" {
						ci["password"] = password
					}
					return testserver.Psql(t, ci, tls, "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
				}
				alice := testserver.ClientTLS{RootCertPEM: root, CertPEM: get(s, "pgtls_client_cert.alice", "cert_pem"), KeyPEM: get(s, "pgtls_client_cert.alice", "private_key_pem")}
				if r := psql("alice", "", "verify-full", alice); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "alice|t" {
					t.Errorf("alice with her certificate: exit %d %q %s\n%s", r.ExitCode, r.Stdout, r.Stderr, g.Log())
				}
				if r := psql("bob", "", "verify-full", alice); r.ExitCode == 0 {
					t.Errorf("alice's certificate logged in as bob")
				}
				if r := psql("alice", "", "verify-full", testserver.ClientTLS{RootCertPEM: root}); r.ExitCode == 0 {
					t.Errorf("alice got in without her certificate")
				}
				if r := psql("bob", `b:o\b "pw"`, "verify-full", testserver.ClientTLS{RootCertPEM: root}); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "bob|t" {
					t.Errorf("bob with the right password: exit %d %q %s\n%s", r.ExitCode, r.Stdout, r.Stderr, g.Log())
				}
				if r := psql("bob", "wrong", "verify-full", testserver.ClientTLS{RootCertPEM: root}); r.ExitCode == 0 {
					t.Errorf("bob got in with a wrong password")
				}
				if r := psql("bob", `b:o\b "pw"`, "disable", testserver.ClientTLS{}); r.ExitCode == 0 {
					t.Errorf("bob got in without TLS")
				}
				for _, secret := range []string{"a pool key", `b:o\b`, "alice's backend"} {
					if strings.Contains(get(s, "pgtls_pgpool_passwd.pool", "content"), secret) || strings.Contains(get(s, "pgtls_pgpool_passwd.pool", "id"), secret) {
						t.Errorf("secret %q in the review copy or id", secret)
					}
				}
				return nil
			},
		}},
	})
}
