package provider

import (
	"crypto/md5"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// serverOwner is who must own the files a test server reads: postgres when
// the tests run as root (the servers then run as postgres).
func serverOwner() string {
	if os.Geteuid() == 0 {
		return "postgres"
	}
	return currentUserNameOrEmpty()
}

func currentUserNameOrEmpty() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Geteuid())
}

// The rules in force before and after: admin (superuser, SCRAM) reloads;
// app1 is in under hbaA, app2 under hbaB.
const (
	reloadHBAA = "local all postgres trust\nhostssl all admin 127.0.0.1/32 scram-sha-256\nhostssl all app1 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n"
	reloadHBAB = "local all postgres trust\nhostssl all admin 127.0.0.1/32 scram-sha-256\nhostssl all app2 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n"
)

func reloadPGConfig(checks string) string {
	return liveServerPKI + `
variable "server_dir" { type = string }
variable "owner" { type = string }
variable "hba" { type = string }
variable "admin_password" {
  type      = string
  sensitive = true
}

resource "pgtls_file_set" "pg" {
  directory = var.server_dir
  owner     = var.owner
  files = {
    "data/pg_hba.conf" = { content = var.hba }
    "server.crt"       = { content = pgtls_server_cert.db.fullchain_pem }
  }
  sensitive_files = {
    "server.key" = { content = pgtls_server_cert.db.private_key_pem }
  }
  reload = {
    program       = "postgresql"
    host          = "127.0.0.1"
    server_name   = "localhost"
    port          = var.port
    user          = "admin"
    password      = var.admin_password
    root_cert_pem = pgtls_root_ca.root.cert_pem
  }
}
` + checks
}

// appCheck proves, from Terraform, who gets in after the apply: the data
// source is read after pgtls_file_set has reloaded the server.
const appCheck = `
data "pgtls_connection_check" "app1" {
  depends_on    = [pgtls_file_set.pg]
  host          = "localhost"
  port          = var.port
  user          = "app1"
  database      = "postgres"
  root_cert_pem = pgtls_root_ca.root.cert_pem
  sslmodes      = ["verify-full"]
}

data "pgtls_connection_check" "app2" {
  depends_on    = [pgtls_file_set.pg]
  host          = "localhost"
  port          = var.port
  user          = "app2"
  database      = "postgres"
  root_cert_pem = pgtls_root_ca.root.cert_pem
  sslmodes      = ["verify-full"]
}
`

// psqlLogin reports whether role logs in to srv with psql over TLS.
func psqlLogin(t *testing.T, srv *testserver.Postgres, role, password string) bool {
	t.Helper()
	ci := map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(srv.Port), "user": role,
		"dbname": "postgres", "sslmode": "require", "connect_timeout": "5"}
	if password != "" {
		ci["password"] = password
	}
	r := testserver.Psql(t, ci, testserver.ClientTLS{}, "SELECT current_user")
	return r.ExitCode == 0 && strings.TrimSpace(r.Stdout) == role
}

// TestAccFileSet_reloadPostgres is the lock-out test from Terraform with a
// real PostgreSQL 15 whose certificate, key and CA come from Terraform:
//   - a pg_hba.conf line the server refuses fails the apply with
//     PostgreSQL's own error and line; the old file stays, the server is
//     not reloaded and every login that worked still works;
//   - a valid file that would lock out the reloading role is reloaded,
//     found out on a new connection, and undone;
//   - an accepted file changes who can log in, which a
//     pgtls_connection_check in the same apply sees;
//   - a hand edit of pg_hba.conf shows in the next plan and the apply puts
//     the file back and reloads.
func TestAccFileSet_reloadPostgres(t *testing.T) {
	testserver.RequirePostgres(t)
	live := &liveServer{}
	vars := live.vars()
	vars["server_dir"] = lazyVar(func() any {
		if live.pg == nil {
			return ""
		}
		return live.pg.Dir
	})
	vars["owner"] = config.StringVariable(serverOwner())
	vars["admin_password"] = config.StringVariable("admin secret")
	with := func(hba string) config.Variables {
		v := config.Variables{}
		for k, x := range vars {
			v[k] = x
		}
		v["hba"] = config.StringVariable(hba)
		return v
	}
	hbaOnDisk := func() string {
		b, err := os.ReadFile(filepath.Join(live.pg.DataDir(), "pg_hba.conf"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var loadTime string
	logins := func(want map[string]bool) resource.TestCheckFunc {
		return func(*terraform.State) error {
			for role, in := range want {
				pw := ""
				if role == "admin" {
					pw = "admin secret"
				}
				if got := psqlLogin(t, live.pg, role, pw); got != in {
					return fmt.Errorf("psql login as %s: got in=%v, want %v", role, got, in)
				}
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// The PKI, and the server started from it.
				Config: liveServerPKI, ConfigVariables: vars,
				Check: func(s *terraform.State) error {
					pg := live.start(t, s, reloadHBAA, "", "app1", "app2")
					pg.Exec(t, "CREATE ROLE admin LOGIN SUPERUSER PASSWORD 'admin secret'")
					return nil
				},
			},
			{
				// Terraform takes the files over (pg_hba.conf as it is).
				Config: reloadPGConfig(""), ConfigVariables: with(reloadHBAA),
				Check: resource.ComposeAggregateTestCheckFunc(
					logins(map[string]bool{"admin": true, "app1": true, "app2": false}),
					func(*terraform.State) error { loadTime = live.pg.Exec(t, "SELECT pg_conf_load_time()"); return nil },
				),
			},
			{
				// A line PostgreSQL refuses.
				Config: reloadPGConfig(""), ConfigVariables: with(reloadHBAA + "host all app2 127.0.0.1 trust\n"),
				ExpectError: wrapped(`PostgreSQL refused the new files; the previous files were put back and the server was not reloaded: .*data/pg_hba.conf line 5: invalid IP mask "trust"`),
			},
			{
				// Between steps: nothing was reloaded, the old file is in
				// place, every previous login works.
				PreConfig: func() {
					if got := hbaOnDisk(); got != reloadHBAA {
						t.Errorf("pg_hba.conf after the refused apply:\n%s", got)
					}
					if lt := live.pg.Exec(t, "SELECT pg_conf_load_time()"); lt != loadTime {
						t.Errorf("the server was reloaded (%s -> %s)", loadTime, lt)
					}
					if err := logins(map[string]bool{"admin": true, "app1": true, "app2": false})(nil); err != nil {
						t.Error(err)
					}
				},
				// A valid file that would lock the reloading role out.
				Config: reloadPGConfig(""), ConfigVariables: with(strings.Replace(reloadHBAA, "admin 127.0.0.1/32 scram-sha-256", "admin 127.0.0.1/32 reject", 1)),
				ExpectError: wrapped(`would lock this role out: FATAL: pg_hba.conf rejects connection for host "127.0.0.1", user "admin"`),
			},
			{
				// The refused applies changed nothing: the plan is empty and
				// the logins are as before.
				Config: reloadPGConfig(""), ConfigVariables: with(reloadHBAA),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check: resource.ComposeAggregateTestCheckFunc(
					logins(map[string]bool{"admin": true, "app1": true, "app2": false}),
					func(*terraform.State) error {
						if got := hbaOnDisk(); got != reloadHBAA {
							return fmt.Errorf("pg_hba.conf:\n%s", got)
						}
						return nil
					},
				),
			},
			{
				// An accepted file: app2 in, app1 out, seen by the connection
				// check read after the reload in the same apply.
				Config: reloadPGConfig(appCheck), ConfigVariables: with(reloadHBAB),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("data.pgtls_connection_check.app1", "results.verify-full.success", "false"),
					resource.TestCheckResourceAttr("data.pgtls_connection_check.app2", "results.verify-full.success", "true"),
					logins(map[string]bool{"admin": true, "app1": false, "app2": true}),
				),
			},
			{
				// Someone lets app1 in by hand and reloads: the plan shows
				// the drift, the apply puts the file back and reloads.
				PreConfig: func() {
					live.pg.WriteFile(t, "data/pg_hba.conf", "hostssl all app1 127.0.0.1/32 trust\n"+reloadHBAB)
					live.pg.Reload(t)
					if !psqlLogin(t, live.pg, "app1", "") {
						t.Error("the hand edit did not let app1 in")
					}
				},
				Config: reloadPGConfig(appCheck), ConfigVariables: with(reloadHBAB),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("pgtls_file_set.pg", plancheck.ResourceActionUpdate),
				}},
				Check: logins(map[string]bool{"admin": true, "app1": false, "app2": true}),
			},
		},
	})
}

// poolerLogin reports whether role reaches PostgreSQL through a pooler.
func poolerLogin(t *testing.T, port int, role string) bool {
	t.Helper()
	r := testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(port), "user": role,
		"dbname": "postgres", "sslmode": "disable", "connect_timeout": "5"}, testserver.ClientTLS{}, "SELECT current_user")
	return r.ExitCode == 0 && strings.TrimSpace(r.Stdout) == role
}

func poolerLogins(t *testing.T, port int, want map[string]bool) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for role, in := range want {
			if got := poolerLogin(t, port, role); got != in {
				return fmt.Errorf("login as %s through the pooler: got in=%v, want %v", role, got, in)
			}
		}
		return nil
	}
}

const bouncerReloadConfig = `
variable "dir" { type = string }
variable "port" { type = number }
variable "owner" { type = string }
variable "hba" { type = string }

resource "pgtls_file_set" "bouncer" {
  directory = var.dir
  layout    = "pgbouncer"
  owner     = var.owner
  files     = { "hba.conf" = { content = var.hba, mode = "0600" } }
  reload = {
    program = "pgbouncer"
    host    = "127.0.0.1"
    port    = var.port
    user    = "postgres"
    sslmode = "disable"
  }
}
`

// TestAccFileSet_reloadPgBouncer: PgBouncer 1.18's auth_hba_file through
// Terraform: an accepted file changes who gets in; a file PgBouncer would
// silently cut (a line with an option: fail-open) fails the apply and
// leaves the old file and logins.
func TestAccFileSet_reloadPgBouncer(t *testing.T) {
	testserver.RequirePgBouncer(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"app1", "app2"}})
	const hbaA = "host all postgres 127.0.0.1/32 trust\nhost all app1 127.0.0.1/32 trust\n"
	const hbaB = "host all postgres 127.0.0.1/32 trust\nhost all app2 127.0.0.1/32 trust\n"
	b := testserver.StartPgBouncer(t, testserver.PgBouncerConfig{Backend: pg, HBA: hbaA,
		AuthFile: `"postgres" ""` + "\n" + `"app1" ""` + "\n" + `"app2" ""` + "\n"})
	vars := func(hba string) config.Variables {
		return config.Variables{"dir": config.StringVariable(b.Dir), "port": config.IntegerVariable(b.Port),
			"owner": config.StringVariable(serverOwner()), "hba": config.StringVariable(hba)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: bouncerReloadConfig, ConfigVariables: vars(hbaB),
				Check: poolerLogins(t, b.Port, map[string]bool{"postgres": true, "app1": false, "app2": true})},
			{Config: bouncerReloadConfig, ConfigVariables: vars(hbaA + "hostssl all app2 127.0.0.1/32 cert clientcert=verify-full\n"),
				ExpectError: wrapped(`PgBouncer refused the new files; the previous files were put back and the server was not reloaded: .*hba.conf line 3: options.clientcert`)},
			{Config: bouncerReloadConfig, ConfigVariables: vars(hbaB),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            poolerLogins(t, b.Port, map[string]bool{"postgres": true, "app1": false, "app2": true})},
		},
	})
}

const pgpoolReloadConfig = `
variable "dir" { type = string }
variable "port" { type = number }
variable "pcp_port" { type = number }
variable "owner" { type = string }
variable "hba" { type = string }

resource "pgtls_file_set" "pgpool" {
  directory = var.dir
  layout    = "pgpool"
  owner     = var.owner
  files     = { "pool_hba.conf" = { content = var.hba, mode = "0600" } }
  reload = {
    program      = "pgpool"
    pcp_host     = "127.0.0.1"
    pcp_port     = var.pcp_port
    pcp_user     = "pcpadmin"
    pcp_password = "pcp secret"
    host         = "127.0.0.1"
    port         = var.port
    user         = "postgres"
    sslmode      = "disable"
  }
}
`

// TestAccFileSet_reloadPgpool: Pgpool-II 4.3's pool_hba.conf through
// Terraform with pcp_reload_config: an accepted file changes who gets in; a
// file that would lock out the confirming login is reloaded, found out and
// undone; a line Pgpool-II cannot parse fails before any reload.
func TestAccFileSet_reloadPgpool(t *testing.T) {
	testserver.RequirePgpool(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"app1", "app2"}})
	const hbaA = "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all app1 127.0.0.1/32 trust\n"
	const hbaB = "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all app2 127.0.0.1/32 trust\n"
	g := testserver.StartPgpool(t, testserver.PgpoolConfig{Backend: pg, PoolHBA: hbaA})
	// md5("pcp secret"): PCP reads pcp.conf on every connection.
	g.WriteFile(t, "pcp.conf", "pcpadmin:"+pcpMD5("pcp secret")+"\n")
	vars := func(hba string) config.Variables {
		return config.Variables{"dir": config.StringVariable(g.Dir), "port": config.IntegerVariable(g.Port), "pcp_port": config.IntegerVariable(g.PCPPort),
			"owner": config.StringVariable(serverOwner()), "hba": config.StringVariable(hba)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: pgpoolReloadConfig, ConfigVariables: vars(hbaB),
				Check: poolerLogins(t, g.Port, map[string]bool{"postgres": true, "app1": false, "app2": true})},
			{Config: pgpoolReloadConfig, ConfigVariables: vars(strings.Replace(hbaB, "postgres 127.0.0.1/32 trust", "postgres 127.0.0.1/32 reject", 1)),
				ExpectError: wrapped(`Pgpool-II reloaded the new files, but the check after the reload failed; the previous files were put back and reloaded: .*would lock this login out`)},
			{Config: pgpoolReloadConfig, ConfigVariables: vars(hbaB + "host all app1 127.0.0.1 trust\n"),
				ExpectError: wrapped(`Pgpool-II refused the new files; .*pool_hba.conf line 4: invalid IP mask "trust"`)},
			{Config: pgpoolReloadConfig, ConfigVariables: vars(hbaB),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            poolerLogins(t, g.Port, map[string]bool{"postgres": true, "app1": false, "app2": true})},
		},
	})
}

// pcpMD5 is the md5 hex of s, as pcp.conf stores passwords.
func pcpMD5(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestAccFileSet_noSecretsInTraceLogs writes a key and reloads PostgreSQL
// with a password at TF_LOG=TRACE: pgtls logs what it wrote and checked,
// and neither the key nor the password appears in any log line.
func TestAccFileSet_noSecretsInTraceLogs(t *testing.T) {
	testserver.RequirePostgres(t)
	logPath := filepath.Join(t.TempDir(), "trace.log")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logPath)
	live := &liveServer{}
	vars := live.vars()
	vars["server_dir"] = lazyVar(func() any {
		if live.pg == nil {
			return ""
		}
		return live.pg.Dir
	})
	vars["owner"] = config.StringVariable(serverOwner())
	vars["admin_password"] = config.StringVariable("admin secret")
	vars["hba"] = config.StringVariable(reloadHBAB)
	var key string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: liveServerPKI, ConfigVariables: vars, Check: func(s *terraform.State) error {
				pg := live.start(t, s, reloadHBAA, "", "app1", "app2")
				pg.Exec(t, "CREATE ROLE admin LOGIN SUPERUSER PASSWORD 'admin secret'")
				key, _ = stateAttr(s, "pgtls_server_cert.db", "private_key_pem")
				return nil
			}},
			{Config: reloadPGConfig(""), ConfigVariables: vars},
		},
	})
	logs, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"file set written", "file set reload", "pg_hba_file_rules: 4 rules read"} {
		if !strings.Contains(string(logs), want) {
			t.Errorf("trace log (%d bytes) lacks %q", len(logs), want)
		}
	}
	if strings.Contains(string(logs), "admin secret") {
		for _, l := range strings.Split(string(logs), "\n") {
			if strings.Contains(l, "admin secret") {
				t.Logf("LEAK: %.400s", l)
			}
		}
		t.Error("the reload password appears in the TRACE log")
	}
	body := strings.ReplaceAll(key, "\n", "")
	body = strings.TrimSuffix(strings.TrimPrefix(body, "-----BEGIN PRIVATE KEY-----"), "-----END PRIVATE KEY-----")
	if len(body) < 40 {
		t.Fatal("no key to look for")
	}
	for i := 0; i+40 <= len(body); i += 40 {
		if strings.Contains(string(logs), body[i:i+40]) {
			t.Fatalf("private key material in the TRACE log (%s...)", body[i:i+8])
		}
	}
}

// TestAccFileSet_libpqHome installs a client's ~/.postgresql from
// pgtls_libpq_bundle with the libpq_home layout (the DER postgresql.pk8
// through content_base64), then the real psql, given nothing but HOME,
// logs in with verify-full and the certificate to PostgreSQL 15 whose
// certificate, key and CA come from the same Terraform state.
func TestAccFileSet_libpqHome(t *testing.T) {
	testserver.RequirePostgres(t)
	home := t.TempDir()
	pgdir := filepath.Join(home, ".postgresql")
	if err := os.Mkdir(pgdir, 0o700); err != nil {
		t.Fatal(err)
	}
	live := &liveServer{}
	vars := live.vars()
	vars["dir"] = config.StringVariable(pgdir)
	cfg := liveServerPKI + `
variable "dir" { type = string }

resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "app"
}

resource "pgtls_libpq_bundle" "app" {
  hosts           = ["localhost"]
  ports           = [var.port]
  dbname          = "postgres"
  user            = "app"
  cert_pem        = pgtls_client_cert.app.fullchain_pem
  private_key_pem = pgtls_client_cert.app.private_key_pem
  root_cert_pem   = pgtls_root_ca.root.cert_pem
}

resource "pgtls_file_set" "home" {
  directory = var.dir
  layout    = "libpq_home"
  files = {
    "postgresql.crt" = { content = pgtls_client_cert.app.fullchain_pem }
    "root.crt"       = { content = pgtls_root_ca.root.cert_pem }
  }
  sensitive_files = {
    "postgresql.key" = { content = pgtls_client_cert.app.private_key_pem }
    "postgresql.pk8" = { content_base64 = pgtls_libpq_bundle.app.private_key_pk8_base64 }
  }
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: liveServerPKI, ConfigVariables: vars, Check: func(s *terraform.State) error {
				live.start(t, s, "hostssl all app 127.0.0.1/32 cert\nhost all all 127.0.0.1/32 reject\n", "", "app")
				return nil
			}},
			{Config: cfg, ConfigVariables: vars, Check: func(s *terraform.State) error {
				for name, mode := range map[string]os.FileMode{"postgresql.crt": 0o644, "root.crt": 0o644, "postgresql.key": 0o600, "postgresql.pk8": 0o600} {
					fi, err := os.Stat(filepath.Join(pgdir, name))
					if err != nil || fi.Mode() != mode {
						return fmt.Errorf("%s: %v %w, want mode %v", name, fi, err, mode)
					}
				}
				der, err := os.ReadFile(filepath.Join(pgdir, "postgresql.pk8"))
				if err != nil {
					return err
				}
				if _, err := x509.ParsePKCS8PrivateKey(der); err != nil {
					return fmt.Errorf("postgresql.pk8 is not a DER PKCS#8 key: %w", err)
				}
				// psql with only HOME: libpq reads ~/.postgresql/*.
				cmd := exec.Command("/usr/lib/postgresql/15/bin/psql", "-X", "-A", "-t", "-w", "-d",
					fmt.Sprintf("host=localhost hostaddr=127.0.0.1 port=%d user=app dbname=postgres sslmode=verify-full", live.pg.Port),
					"-c", "SELECT current_user || ' ' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
				cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
				out, err := cmd.CombinedOutput()
				if err != nil || strings.TrimSpace(string(out)) != "app true" {
					return fmt.Errorf("psql with ~/.postgresql from pgtls_file_set: %w: %s", err, out)
				}
				return nil
			}},
		},
	})
}
