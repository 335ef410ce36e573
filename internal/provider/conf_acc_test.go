package provider

// Acceptance tests for the configuration renderers of issue 9
// (pgtls_postgresql_conf, pgtls_scram_verifier, pgtls_libpq_bundle,
// provider::pgtls::conninfo). Each proves its outputs with a real program:
// the rendered snippet is loaded by PostgreSQL, the verifier logs in with
// psql, the bundle's files and conninfo/URI log in with psql.

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/pgtls/terraform-provider-pgtls/internal/pgconf"
	"github.com/pgtls/terraform-provider-pgtls/internal/scram"
	testpki "github.com/pgtls/terraform-provider-pgtls/internal/testpki/issued"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

func heredoc(s string) string { return "<<EOT\n" + s + "EOT\n" }

// TestAccPostgresqlConf renders a snippet with every kind of setting (a
// sensitive passphrase command, a list, booleans, enums, paths with quotes),
// checks the outputs are known at plan time, loads the exact snippet from
// state into a real PostgreSQL 15 (pg_file_settings: no error, our values),
// and checks the plan-time refusals: a PostgreSQL 18 setting on 15, and
// hostssl rules with ssl = false.
func TestAccPostgresqlConf(t *testing.T) {
	const cfg = `
resource "pgtls_postgresql_conf" "tls" {
  postgres_version         = 15
  listen_addresses         = ["127.0.0.1", "::1"]
  ssl_cert_file            = "/etc/postgresql/it's/server.crt"
  ssl_key_file             = "/etc/postgresql/it's/server.key"
  ssl_ca_file              = "/etc/postgresql/root.crt"
  ssl_ciphers              = "HIGH:!aNULL:!MD5"
  ssl_prefer_server_ciphers = true
  ssl_max_protocol_version = "TLSv1.3"
  ssl_ecdh_curve           = "prime256v1"
  ssl_passphrase_command   = "/usr/local/bin/get-pass 'hunter2'"
  hba_content              = "hostssl all all 0.0.0.0/0 cert\n"
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("pgtls_postgresql_conf.tls", tfjsonpath.New("content"), knownvalue.StringRegexp(regexp.MustCompile(`(?m)^# ssl_passphrase_command = \(sensitive`))),
					plancheck.ExpectKnownValue("pgtls_postgresql_conf.tls", tfjsonpath.New("sensitive_content"), knownvalue.StringRegexp(regexp.MustCompile(`hunter2`))),
					plancheck.ExpectKnownValue("pgtls_postgresql_conf.tls", tfjsonpath.New("parameters").AtMapKey("listen_addresses"), knownvalue.StringExact("127.0.0.1,::1")),
					plancheck.ExpectKnownValue("pgtls_postgresql_conf.tls", tfjsonpath.New("parameters").AtMapKey("ssl_passphrase_command"), knownvalue.StringExact("(sensitive)")),
					plancheck.ExpectKnownValue("pgtls_postgresql_conf.tls", tfjsonpath.New("sha256"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{64}$`))),
				}},
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("pgtls_postgresql_conf.tls", "parameters.ssl", "on"),
					resource.TestCheckResourceAttr("pgtls_postgresql_conf.tls", "parameters.ssl_min_protocol_version", "TLSv1.2"),
					resource.TestCheckResourceAttr("pgtls_postgresql_conf.tls", "parameters.password_encryption", "scram-sha-256"),
					resource.TestCheckResourceAttr("pgtls_postgresql_conf.tls", "sensitive_parameters.ssl_passphrase_command", "/usr/local/bin/get-pass 'hunter2'"),
					loadedByPostgres(t, "pgtls_postgresql_conf.tls"),
				),
			},
			{
				Config: `
resource "pgtls_postgresql_conf" "tls" {
  postgres_version = 15
  ssl_groups       = "X25519"
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`ssl_groups needs PostgreSQL 18 or later`),
			},
			{
				Config: `
resource "pgtls_postgresql_conf" "tls" {
  ssl         = false
  hba_content = "hostssl all all 0.0.0.0/0 scram-sha-256\n"
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`hostssl record cannot match because SSL is disabled`),
			},
		},
	})
}

// loadedByPostgres writes the exact snippet from state next to a real
// PostgreSQL 15, includes it, and checks pg_file_settings: every rendered
// setting read from the file, no error, the value from the parameters map.
func loadedByPostgres(t *testing.T, addr string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		snippet, ok := stateAttr(s, addr, "sensitive_content")
		if !ok {
			return fmt.Errorf("no sensitive_content")
		}
		p := testserver.StartPostgres(t, testserver.PostgresConfig{})
		file := p.WriteFile(t, "pgtls-tls.conf", snippet)
		f, err := os.OpenFile(filepath.Join(p.DataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(f, "\ninclude '%s'\n", file)
		f.Close()
		rows := p.QueryNullable(t, "SELECT name, setting, error FROM pg_file_settings WHERE sourcefile = "+testserver.QuoteLiteral(file))
		n, _ := strconv.Atoi(s.RootModule().Resources[addr].Primary.Attributes["sensitive_parameters.%"])
		if len(rows) != n {
			return fmt.Errorf("pg_file_settings has %d settings from the snippet, state has %d parameters", len(rows), n)
		}
		for _, r := range rows {
			want, _ := stateAttr(s, addr, "sensitive_parameters."+*r[0])
			// A setting read at server start (listen_addresses, hba_file,
			// ident_file) that differs from the running server's is parsed
			// but "could not be applied" without a restart.
			restartOnly := r[2] != nil && *r[2] == "setting could not be applied" && pgconfRestart(*r[0])
			if (r[2] != nil && !restartOnly) || r[1] == nil || *r[1] != want {
				return fmt.Errorf("PostgreSQL reads %s = %v (error %v), want %q", *r[0], deref(r[1]), deref(r[2]), want)
			}
		}
		return nil
	}
}

func pgconfRestart(name string) bool {
	s, ok := pgconf.Lookup(name)
	return ok && s.Restart
}

func deref(s *string) string {
	if s == nil {
		return "<NULL>"
	}
	return *s
}

// TestAccScramVerifier: the verifier is stable across plans (same salt and
// value in step 2), a role created with it logs in with the password via
// psql and is refused with another; a new password gives a new salt and
// verifier; a given salt makes the verifier known at plan time and equal to
// internal/scram's.
func TestAccScramVerifier(t *testing.T) {
	testserver.RequirePostgres(t)
	p := testserver.StartPostgres(t, testserver.PostgresConfig{HBA: "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"})
	cfg := func(pw string) string {
		return fmt.Sprintf(`
resource "pgtls_scram_verifier" "app" {
  password = %q
}`, pw)
	}
	same := statecheck.CompareValue(compare.ValuesSame())
	login := func(password string, wantOK bool) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			v, _ := stateAttr(s, "pgtls_scram_verifier.app", "verifier")
			p.Exec(t, "DROP ROLE IF EXISTS app; CREATE ROLE app LOGIN PASSWORD "+testserver.QuoteLiteral(v))
			for pw, ok := range map[string]bool{password: wantOK, password + "!": false} {
				r := testserver.Psql(t, map[string]string{"host": p.Host, "port": strconv.Itoa(p.Port), "dbname": "postgres",
					"user": "app", "password": pw, "sslmode": "disable"}, testserver.ClientTLS{}, "SELECT current_user")
				if (r.Err == nil) != ok {
					return fmt.Errorf("psql login with the verifier in state: success=%v, want %v (%s)", r.Err == nil, ok, r.Stderr)
				}
			}
			return nil
		}
	}
	salt := "AAECAwQFBgcICQoLDA0ODw=="
	saltBytes, _ := base64.StdEncoding.DecodeString(salt)
	v, err := scram.New("p\u00e4ssw\u00f6rd", saltBytes, 4096)
	if err != nil {
		t.Fatal(err)
	}
	want := v.String()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg("correct horse"), Check: login("correct horse", true),
				ConfigStateChecks: []statecheck.StateCheck{same.AddStateValue("pgtls_scram_verifier.app", tfjsonpath.New("verifier"))}},
			{Config: cfg("correct horse"),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{same.AddStateValue("pgtls_scram_verifier.app", tfjsonpath.New("verifier"))}},
			{Config: cfg("battery staple"), Check: login("battery staple", true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectUnknownValue("pgtls_scram_verifier.app", tfjsonpath.New("verifier"))}}},
			{Config: fmt.Sprintf(`
resource "pgtls_scram_verifier" "app" {
  password   = "p\u00e4ssw\u00f6rd"
  salt       = %q
}`, salt),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("pgtls_scram_verifier.app", tfjsonpath.New("verifier"), knownvalue.StringExact(want))}},
				Check: login("p\u00e4ssw\u00f6rd", true)},
			{Config: `
resource "pgtls_scram_verifier" "app" {
  password   = "x"
  iterations = 1000
}`, PlanOnly: true, ExpectError: regexp.MustCompile(`Attribute iterations value must be between 4096 and 10000000`)},
			{Config: `
resource "pgtls_scram_verifier" "app" {
  password = "x"
  salt     = "c2hvcnQ="
}`, PlanOnly: true, ExpectError: regexp.MustCompile(`salt must be 16 to 64 bytes long, got 5`)},
		},
	})
}

// TestAccLibpqBundle renders a bundle for alice from certificates made by
// pgtls's own issuer, writes its files as the outputs say, and logs in to a
// real PostgreSQL 15 with psql through the conninfo and the URI from state
// (verify-full over a host list and IPv6, TLS client certificate).
func TestAccLibpqBundle(t *testing.T) {
	testserver.RequirePostgres(t)
	ca := testpki.NewCA(t, "bundle CA")
	srv, alice := ca.Server(t), ca.Client(t, "alice")
	p := testserver.StartPostgres(t, testserver.PostgresConfig{SSL: true, CertPEM: srv.FullchainPEM, KeyPEM: srv.KeyPEM, CAPEM: ca.CertPEM,
		HBA: "hostssl all alice ::1/128 cert\n", Settings: map[string]string{"listen_addresses": "'127.0.0.1,::1'"}, Roles: []string{"alice"}})
	dir := filepath.Join(t.TempDir(), "client dir")
	cfg := fmt.Sprintf(`
resource "pgtls_libpq_bundle" "alice" {
  hosts           = ["127.0.0.2", "::1"]
  ports           = [%d]
  dbname          = "postgres"
  user            = "alice"
  directory       = %q
  cert_pem        = %s
  private_key_pem = %s
  root_cert_pem   = %s
  crl_pem         = %s
  params          = { application_name = "pgtls test's app", connect_timeout = "10" }
}
`, p.Port, dir, heredoc(alice.FullchainPEM), heredoc(alice.KeyPEM), heredoc(ca.CertPEM), heredoc(ca.CRL(t)))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue("pgtls_libpq_bundle.alice", tfjsonpath.New("conninfo"), knownvalue.StringRegexp(regexp.MustCompile(`^host=127\.0\.0\.2,::1 port=\d+ dbname=postgres user=alice sslmode=verify-full sslcert='`))),
				plancheck.ExpectKnownValue("pgtls_libpq_bundle.alice", tfjsonpath.New("uri"), knownvalue.StringRegexp(regexp.MustCompile(`^postgresql://alice@127\.0\.0\.2:\d+,\[::1\]:\d+/postgres\?sslmode=verify-full&sslcert=%2F`))),
				plancheck.ExpectKnownValue("pgtls_libpq_bundle.alice", tfjsonpath.New("env").AtMapKey("PGSSLCRL"), knownvalue.StringExact(dir+"/root.crl")),
				plancheck.ExpectKnownValue("pgtls_libpq_bundle.alice", tfjsonpath.New("files").AtSliceIndex(1).AtMapKey("mode"), knownvalue.StringExact("0600")),
				plancheck.ExpectKnownValue("pgtls_libpq_bundle.alice", tfjsonpath.New("files").AtSliceIndex(1).AtMapKey("content"), knownvalue.Null()),
			}},
			Check: func(s *terraform.State) error {
				a := s.RootModule().Resources["pgtls_libpq_bundle.alice"].Primary.Attributes
				n, _ := strconv.Atoi(a["files.#"])
				for i := 0; i < n; i++ {
					pre := fmt.Sprintf("files.%d.", i)
					content := a[pre+"content"]
					if a[pre+"secret"] == "true" {
						content = alice.KeyPEM
						if a[pre+"name"] != "postgresql.key" {
							continue // the .pk8 is for pgJDBC
						}
					}
					mode, _ := strconv.ParseUint(a[pre+"mode"], 8, 32)
					if err := os.MkdirAll(filepath.Dir(a[pre+"path"]), 0o700); err != nil {
						return err
					}
					if err := os.WriteFile(a[pre+"path"], []byte(content), os.FileMode(mode)); err != nil {
						return err
					}
				}
				for _, key := range []string{"conninfo", "uri"} {
					r := psqlConnString(t, a[key], "SELECT current_user || ' ' || ssl || ' ' || current_setting('application_name') FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
					if r.Err != nil || strings.TrimSpace(r.Stdout) != "alice true pgtls test's app" {
						return fmt.Errorf("psql with the bundle's %s: %w %q %s", key, r.Err, r.Stdout, r.Stderr)
					}
				}
				return nil
			},
		}, {
			Config: `
resource "pgtls_libpq_bundle" "bad" {
  hosts   = ["db.example.com"]
  sslmode = "verify-full"
  params  = { password = "x" }
}`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)needs a root certificate.*holds a secret`),
		}},
	})
}

// TestAccConninfoFunction calls provider::pgtls::conninfo (Terraform 1.8+ /
// OpenTofu; skipped on older CLIs by tfversion).
func TestAccConninfoFunction(t *testing.T) {
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
output "kv" {
  value = provider::pgtls::conninfo({ user = "a b", host = "db1,::1", dbname = "app", sslmode = "verify-full" })
}
output "uri" {
  value = provider::pgtls::conninfo({ user = "a@b", host = "db1,::1", port = "5432", dbname = "my db" }, "uri")
}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("kv", knownvalue.StringExact("host=db1,::1 dbname=app user='a b' sslmode=verify-full")),
				statecheck.ExpectKnownOutputValue("uri", knownvalue.StringExact("postgresql://a%40b@db1:5432,[::1]:5432/my%20db")),
			},
		}, {
			// A sensitive argument makes the result sensitive.
			Config: `
variable "pw" {
  type      = string
  sensitive = true
  default   = "s3cret"
}
output "x" { value = provider::pgtls::conninfo({ host = "db1", password = var.pw }) }`,
			ExpectError: regexp.MustCompile(`Output refers to sensitive values`),
		}, {
			Config:      `output "x" { value = provider::pgtls::conninfo({ hots = "db1" }) }`,
			ExpectError: regexp.MustCompile(`"hots" is not a libpq connection\s+keyword`),
		}},
	})
}

// psqlConnString runs the real psql with exactly connStr (HOME is an empty
// directory, so nothing else is read).
func psqlConnString(t *testing.T, connStr, sql string) testserver.PsqlResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, "/usr/lib/postgresql/15/bin/psql", "-X", "-A", "-t", "-w", "-d", connStr, "-c", sql)
	cmd.Dir = home
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "LANG=C.UTF-8"}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	return testserver.PsqlResult{Stdout: o.String(), Stderr: e.String(), Err: err}
}

// TestAccConfNoSecretsInTraceLogs applies the issue 9 resources with
// sentinel secrets (a password, a passphrase command, a client key) at
// TF_LOG=TRACE and checks that neither they nor the verifier, the pk8 key or
// the exact snippet appear in the provider's or the CLI's logs.
func TestAccConfNoSecretsInTraceLogs(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "trace.log")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logPath)
	ca := testpki.NewCA(t, "log CA")
	alice := ca.Client(t, "alice")
	secrets := []string{"sentinel-password-7f3a9c", "sentinel-passphrase-51d2e8"}
	// The secrets come in through TF_VAR_ variables: the test harness logs
	// the configuration text itself at TRACE.
	t.Setenv("TF_VAR_pw", secrets[0])
	t.Setenv("TF_VAR_cmd", "/bin/echo "+secrets[1])
	t.Setenv("TF_VAR_key", alice.KeyPEM)
	cfg := fmt.Sprintf(`
variable "pw" {
  type      = string
  sensitive = true
}
variable "cmd" {
  type      = string
  sensitive = true
}
variable "key" {
  type      = string
  sensitive = true
}
resource "pgtls_scram_verifier" "v" {
  password = var.pw
}
resource "pgtls_postgresql_conf" "c" {
  ssl_passphrase_command = var.cmd
}
resource "pgtls_libpq_bundle" "b" {
  hosts           = ["db.example.com"]
  user            = "alice"
  cert_pem        = %s
  private_key_pem = var.key
  root_cert_pem   = %s
}
`, heredoc(alice.FullchainPEM), heredoc(ca.CertPEM))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: func(s *terraform.State) error {
				v, ok := stateAttr(s, "pgtls_scram_verifier.v", "verifier")
				if !ok || len(v) < 40 {
					return fmt.Errorf("verifier missing")
				}
				secrets = append(secrets, v[len(v)-40:]) // the ServerKey
				pk8, ok := stateAttr(s, "pgtls_libpq_bundle.b", "private_key_pk8_base64")
				if !ok || len(pk8) < 88 {
					return fmt.Errorf("private_key_pk8_base64 missing")
				}
				secrets = append(secrets, pk8[44:88]) // the private scalar
				return nil
			},
		}},
	})
	logs, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading trace log: %v", err)
	}
	for _, want := range []string{"Calling provider defined Resource ModifyPlan", "rendered postgresql.conf settings",
		"computed SCRAM-SHA-256 verifier", "rendered libpq client bundle"} {
		if !strings.Contains(string(logs), want) {
			t.Fatalf("trace log (%d bytes) lacks %q: logging was not captured", len(logs), want)
		}
	}
	// The PKCS#8 body: its base64 characters 44..88 hold the P-256 private
	// scalar (the rest, the public key, is also in the certificate).
	body := strings.ReplaceAll(alice.KeyPEM, "\n", "")
	body = strings.TrimPrefix(strings.TrimSuffix(body, "-----END PRIVATE KEY-----"), "-----BEGIN PRIVATE KEY-----")
	secrets = append(secrets, body[44:88])
	for _, sec := range secrets {
		if strings.Contains(string(logs), sec) {
			i := strings.Index(string(logs), sec)
			lo := max(0, i-300)
			t.Errorf("secret material found in TRACE logs (%s...): ...%s", sec[:8], string(logs)[lo:i])
		}
	}
}
