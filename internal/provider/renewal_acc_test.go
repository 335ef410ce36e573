package provider

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

func renewalConfig(pg *testserver.Postgres, clientDir string) string {
	return fmt.Sprintf(`
resource "pgtls_root_ca" "root" {
  subject = { common_name = "renewal root" }
}

# Renewed 10 hours before it expires: replaced with a new key (the default).
resource "pgtls_server_cert" "db" {
  ca_cert_pem           = pgtls_root_ca.root.cert_pem
  ca_private_key_pem    = pgtls_root_ca.root.private_key_pem
  dns_names             = ["localhost", "db.renewal.test"]
  ip_addresses          = ["127.0.0.1"]
  validity_period_hours = 100
  early_renewal_hours   = 10
}

# Renewed in place, keeping its key.
resource "pgtls_client_cert" "app" {
  ca_cert_pem           = pgtls_root_ca.root.cert_pem
  ca_private_key_pem    = pgtls_root_ca.root.private_key_pem
  user                  = "app"
  validity_period_hours = 100
  early_renewal_hours   = 10
  reuse_key_on_renewal  = true
}

# Re-issued in place with the next number.
resource "pgtls_crl" "root" {
  ca_cert_pem           = pgtls_root_ca.root.cert_pem
  ca_private_key_pem    = pgtls_root_ca.root.private_key_pem
  validity_period_hours = 100
  early_renewal_hours   = 10
}

resource "pgtls_file_set" "server" {
  directory = %[1]q
  owner     = %[2]q
  files = {
    "server.crt" = { content = pgtls_server_cert.db.fullchain_pem }
    "ca.crt"     = { content = pgtls_root_ca.root.cert_pem }
    "root.crl"   = { content = pgtls_crl.root.crl_pem }
  }
  sensitive_files = {
    "server.key" = { content = pgtls_server_cert.db.private_key_pem }
  }
  reload = {
    program = "postgresql"
    host    = %[3]q
    port    = %[4]d
    user    = "postgres"
    sslmode = "disable"
  }
}

resource "pgtls_libpq_bundle" "app" {
  hosts           = ["localhost"]
  ports           = [%[4]d]
  user            = "app"
  dbname          = "postgres"
  directory       = %[5]q
  cert_pem        = pgtls_client_cert.app.fullchain_pem
  private_key_pem = pgtls_client_cert.app.private_key_pem
  root_cert_pem   = pgtls_root_ca.root.cert_pem
}

resource "pgtls_file_set" "client" {
  directory = %[5]q
  layout    = "plain"
  files = {
    for f in pgtls_libpq_bundle.app.files : f.name => { content = f.content, mode = f.mode } if !f.secret
  }
  sensitive_files = {
    "postgresql.key" = { content = pgtls_client_cert.app.private_key_pem }
  }
}

output "conninfo" {
  value = pgtls_libpq_bundle.app.conninfo
}
`, pg.Dir, serverOwner(), pg.SocketDir, pg.Port, clientDir)
}

// TestAccRotation_renewal: certificates inside their renewal window are
// renewed by a plan made without refresh (-refresh=false), keeping their
// identity (subject, SANs), and everything that depends on them is updated
// in the same apply: the server's files are rewritten and PostgreSQL
// reloaded (pgtls_file_set), the client's libpq bundle and its files too.
// The root's CRL (the server's ssl_crl_file) is re-issued in place in the
// same plan.
// The server certificate is replaced with a new key (the default), the
// client certificate re-issued in place with its key
// (reuse_key_on_renewal). A real PostgreSQL 15 then serves the new server
// certificate and accepts the renewed client certificate from the files
// Terraform wrote; the next plan is empty.
func TestAccRotation_renewal(t *testing.T) {
	testserver.RequirePostgres(t)
	throwaway := testpki.NewCA(t, "throwaway")
	srv := throwaway.Server(t, "localhost", "localhost", "127.0.0.1")
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{SSL: true, CertPEM: srv.CertPEM, KeyPEM: srv.KeyPEM, CAPEM: throwaway.PEM,
		CRLPEM: throwaway.CRL(t, srv.Cert.NotBefore, srv.Cert.NotAfter), HBA: "hostssl all app 127.0.0.1/32 cert\n", Roles: []string{"app"}})
	clientDir := t.TempDir()
	// Issued 95 hours "ago": valid for 5 more real hours, and inside the
	// 10-hour renewal window now.
	clock := &testClock{}
	clock.set(-95 * time.Hour)
	factory := func() tfprotov6.ProviderServer {
		return providerserver.NewProtocol6(NewWithClock("test", clock.now)())()
	}
	c := newCLI(t, factory, renewalConfig(pg, clientDir))
	c.must("init", "-no-color")
	c.must("apply", "-no-color", "-auto-approve")
	before := cliState(t, c)
	if err := renewalLogin(t, pg, clientDir, before); err != nil {
		t.Fatalf("before the renewal: %v", err)
	}

	// Now: inside the window. A plan without refresh renews both.
	clock.set(0)
	if out, err := c.run("plan", "-no-color", "-refresh=false", "-detailed-exitcode", "-out=tfplan"); err == nil || !strings.Contains(err.Error(), "exit status 2") {
		t.Fatalf("plan -refresh=false inside the window shows no change (%v):\n%s", err, out)
	}
	actions := planActions(t, c.must("show", "-no-color", "-json", "tfplan"))
	for addr, want := range map[string]string{
		"pgtls_server_cert.db":   "delete,create",
		"pgtls_client_cert.app":  "update",
		"pgtls_file_set.server":  "update",
		"pgtls_libpq_bundle.app": "update",
		"pgtls_file_set.client":  "update",
		"pgtls_crl.root":         "update",
		"pgtls_root_ca.root":     "no-op",
	} {
		if actions[addr] != want {
			t.Errorf("%s: planned %q, want %q", addr, actions[addr], want)
		}
	}
	c.must("apply", "-no-color", "tfplan")
	after := cliState(t, c)
	for _, a := range []string{"pgtls_server_cert.db", "pgtls_client_cert.app"} {
		b, n := before[a], after[a]
		if b["serial_number"] == n["serial_number"] || b["not_after"] == n["not_after"] {
			t.Errorf("%s was not renewed", a)
		}
		if b["subject_dn"] != n["subject_dn"] || fmt.Sprint(b["dns_names"]) != fmt.Sprint(n["dns_names"]) || fmt.Sprint(b["ip_addresses"]) != fmt.Sprint(n["ip_addresses"]) {
			t.Errorf("%s changed identity: %v %v -> %v %v", a, b["subject_dn"], b["dns_names"], n["subject_dn"], n["dns_names"])
		}
	}
	if b, n := before["pgtls_crl.root"], after["pgtls_crl.root"]; n["crl_number"].(float64) != b["crl_number"].(float64)+1 || n["next_update"] == b["next_update"] {
		t.Errorf("the CRL was not re-issued with the next number: %v %v -> %v %v", b["crl_number"], b["next_update"], n["crl_number"], n["next_update"])
	}
	if before["pgtls_server_cert.db"]["public_key_pem"] == after["pgtls_server_cert.db"]["public_key_pem"] {
		t.Error("the server certificate kept its key: the default renewal rotates it")
	}
	if before["pgtls_client_cert.app"]["public_key_pem"] != after["pgtls_client_cert.app"]["public_key_pem"] {
		t.Error("the client certificate got a new key despite reuse_key_on_renewal")
	}
	if err := renewalLogin(t, pg, clientDir, after); err != nil {
		t.Errorf("after the renewal: %v", err)
	}
	// The server serves the renewed certificate.
	served, err := runOpenSSL(t, "s_client", "-starttls", "postgres", "-connect", "127.0.0.1:"+strconv.Itoa(pg.Port), "-showcerts")
	if !strings.Contains(served, strings.TrimSpace(after["pgtls_server_cert.db"]["cert_pem"].(string))[28:120]) {
		t.Errorf("the server does not serve the renewed certificate (%v):\n%.600s", err, served)
	}
	for _, refresh := range []string{"-refresh=true", "-refresh=false"} {
		if out, err := c.run("plan", "-no-color", refresh, "-detailed-exitcode"); err != nil {
			t.Errorf("plan %s after the renewal is not empty: %v\n%s", refresh, err, out)
		}
	}
}

// cliState reads the resources' attributes from `terraform show -json`.
func cliState(t *testing.T, c *cliRunner) map[string]map[string]any {
	t.Helper()
	var doc struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string         `json:"address"`
					Values  map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(c.must("show", "-no-color", "-json")), &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, r := range doc.Values.RootModule.Resources {
		out[r.Address] = r.Values
	}
	return out
}

// planActions maps each resource address of a JSON plan to its actions.
func planActions(t *testing.T, planJSON string) map[string]string {
	t.Helper()
	var doc struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				Actions []string `json:"actions"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(planJSON), &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, rc := range doc.ResourceChanges {
		out[rc.Address] = strings.Join(rc.Change.Actions, ",")
	}
	return out
}

// renewalLogin logs in with psql from the files Terraform wrote for the
// client, and checks they hold the client certificate in state and that the
// server's certificate is the one in state.
func renewalLogin(t *testing.T, pg *testserver.Postgres, dir string, st map[string]map[string]any) error {
	t.Helper()
	crt, err := os.ReadFile(filepath.Join(dir, "postgresql.crt"))
	if err != nil {
		return err
	}
	if string(crt) != st["pgtls_client_cert.app"]["fullchain_pem"] {
		return fmt.Errorf("postgresql.crt on disk is not the client certificate in state")
	}
	onDisk, err := os.ReadFile(filepath.Join(pg.Dir, "server.crt"))
	if err != nil || string(onDisk) != st["pgtls_server_cert.db"]["fullchain_pem"] {
		return fmt.Errorf("server.crt on disk is not the server certificate in state (%w)", err)
	}
	certs, err := pki.ParseCertificatesPEM(string(crt))
	if err != nil {
		return err
	}
	r := testserver.Psql(t, map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(pg.Port), "user": "app",
		"dbname": "postgres", "sslmode": "verify-full", "connect_timeout": "10",
		"sslcert": filepath.Join(dir, "postgresql.crt"), "sslkey": filepath.Join(dir, "postgresql.key"), "sslrootcert": filepath.Join(dir, "root.crt")},
		testserver.ClientTLS{}, "SELECT client_serial FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	if r.ExitCode != 0 {
		return fmt.Errorf("psql: %s\n%s", r.Stderr, pg.Log())
	}
	if got := strings.TrimSpace(r.Stdout); got != certs[0].SerialNumber.String() {
		return fmt.Errorf("the server saw client serial %s, want %s", got, certs[0].SerialNumber)
	}
	return nil
}

// TestAccRotation_caRenewalKeepsKey: a root CA renewed with
// reuse_key_on_renewal is updated in place (same key, new serial and
// validity); the server certificate it signed is re-issued in the same apply
// (its ca_cert_pem changed), and the server certificate of before still
// verifies against the renewed root (same name and key), with Go and with
// openssl.
func TestAccRotation_caRenewalKeepsKey(t *testing.T) {
	clock := &testClock{}
	clock.set(-95 * time.Hour)
	cfg := `
resource "pgtls_root_ca" "root" {
  subject               = { common_name = "renewed with its key" }
  validity_period_hours = 100
  early_renewal_hours   = 10
  reuse_key_on_renewal  = true
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem           = pgtls_root_ca.root.cert_pem
  ca_private_key_pem    = pgtls_root_ca.root.private_key_pem
  dns_names             = ["db.example.com"]
  validity_period_hours = 96
}
`
	var before map[string]string
	snapshot := func(s *terraform.State) map[string]string {
		out := map[string]string{}
		for _, a := range []string{"pgtls_root_ca.root/cert_pem", "pgtls_root_ca.root/public_key_pem", "pgtls_root_ca.root/serial_number",
			"pgtls_server_cert.db/cert_pem", "pgtls_server_cert.db/serial_number"} {
			addr, attr, _ := strings.Cut(a, "/")
			out[a], _ = stateAttr(s, addr, attr)
		}
		return out
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: clock.factories(),
		Steps: []resource.TestStep{
			{Config: cfg, Check: func(s *terraform.State) error { before = snapshot(s); return nil }},
			{
				PreConfig: func() { clock.set(0) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("pgtls_root_ca.root", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("pgtls_server_cert.db", plancheck.ResourceActionReplace),
				}},
				Check: func(s *terraform.State) error {
					after := snapshot(s)
					if after["pgtls_root_ca.root/public_key_pem"] != before["pgtls_root_ca.root/public_key_pem"] ||
						after["pgtls_root_ca.root/serial_number"] == before["pgtls_root_ca.root/serial_number"] ||
						after["pgtls_server_cert.db/serial_number"] == before["pgtls_server_cert.db/serial_number"] {
						return fmt.Errorf("root: same key %v, new serial %v; server re-issued %v",
							after["pgtls_root_ca.root/public_key_pem"] == before["pgtls_root_ca.root/public_key_pem"],
							after["pgtls_root_ca.root/serial_number"] != before["pgtls_root_ca.root/serial_number"],
							after["pgtls_server_cert.db/serial_number"] != before["pgtls_server_cert.db/serial_number"])
					}
					roots, err := pki.ParseCertificatesPEM(after["pgtls_root_ca.root/cert_pem"])
					if err != nil {
						return err
					}
					old, err := pki.ParseCertificatesPEM(before["pgtls_server_cert.db/cert_pem"])
					if err != nil {
						return err
					}
					pool := x509.NewCertPool()
					pool.AddCert(roots[0])
					if _, err := old[0].Verify(x509.VerifyOptions{Roots: pool, CurrentTime: time.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
						return fmt.Errorf("Go: the previous server certificate does not verify against the renewed root: %w", err)
					}
					dir := t.TempDir()
					if out, err := runOpenSSL(t, "verify", "-purpose", "sslserver", "-CAfile", writeTemp(t, dir, "root.pem", after["pgtls_root_ca.root/cert_pem"]),
						writeTemp(t, dir, "old.pem", before["pgtls_server_cert.db/cert_pem"])); err != nil {
						return fmt.Errorf("openssl: the previous server certificate does not verify against the renewed root: %s", out)
					}
					return nil
				},
			},
		},
	})
}
