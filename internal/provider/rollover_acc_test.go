package provider

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// rolloverPhase renders the configuration of one step of the CA rollover
// in the guide "Revoking and rotating":
//
//	0: the old CA, its CRL, a server and a client certificate from it;
//	1: add the new CA and its CRL; servers trust old + new (ssl_ca_file,
//	   ssl_crl_file) and clients get old + new as root.crt;
//	2: re-issue the server (and the clients) from the new CA;
//	3: drop the old CA: trust, CRLs and certificates.
//
// pgtls_file_set writes the server's files and reloads it.
func rolloverPhase(phase int, crlsOverride string) string {
	var b strings.Builder
	b.WriteString(`
variable "port" { type = number }
variable "server_dir" { type = string }
variable "socket_dir" { type = string }
variable "owner" { type = string }

resource "pgtls_root_ca" "new" {
  count   = ` + map[bool]string{true: "1", false: "0"}[phase >= 1] + `
  subject = { common_name = "rollover root 2027" }
}

resource "pgtls_crl" "new" {
  count              = length(pgtls_root_ca.new)
  ca_cert_pem        = pgtls_root_ca.new[0].cert_pem
  ca_private_key_pem = pgtls_root_ca.new[0].private_key_pem
}

resource "pgtls_client_cert" "app_new" {
  count              = length(pgtls_root_ca.new)
  ca_cert_pem        = pgtls_root_ca.new[0].cert_pem
  ca_private_key_pem = pgtls_root_ca.new[0].private_key_pem
  user               = "app"
}
`)
	if phase <= 2 {
		b.WriteString(`
resource "pgtls_root_ca" "old" {
  subject = { common_name = "rollover root 2026" }
}

resource "pgtls_crl" "old" {
  ca_cert_pem        = pgtls_root_ca.old.cert_pem
  ca_private_key_pem = pgtls_root_ca.old.private_key_pem
}

resource "pgtls_client_cert" "app_old" {
  ca_cert_pem        = pgtls_root_ca.old.cert_pem
  ca_private_key_pem = pgtls_root_ca.old.private_key_pem
  user               = "app"
}
`)
	}
	signer := "pgtls_root_ca.old"
	if phase >= 2 {
		signer = "pgtls_root_ca.new[0]"
	}
	trust, crls := "pgtls_root_ca.old.cert_pem", "[pgtls_crl.old]"
	switch phase {
	case 1, 2:
		trust, crls = `"${pgtls_root_ca.old.cert_pem}${pgtls_root_ca.new[0].cert_pem}"`, "[pgtls_crl.old, pgtls_crl.new[0]]"
	case 3:
		trust, crls = "pgtls_root_ca.new[0].cert_pem", "[pgtls_crl.new[0]]"
	}
	if crlsOverride != "" {
		crls = crlsOverride
	}
	fmt.Fprintf(&b, `
resource "pgtls_server_cert" "db" {
  ca_cert_pem        = %[1]s.cert_pem
  ca_private_key_pem = %[1]s.private_key_pem
  dns_names          = ["localhost"]
  ip_addresses       = ["127.0.0.1"]
}

locals {
  # What servers put in ssl_ca_file and clients in root.crt.
  trust = %[2]s
}

resource "pgtls_crl_bundle" "server" {
  crls         = %[3]s
  ca_certs_pem = local.trust
}

resource "pgtls_file_set" "pg" {
  directory = var.server_dir
  owner     = var.owner
  files = {
    "server.crt" = { content = pgtls_server_cert.db.fullchain_pem }
    "ca.crt"     = { content = local.trust }
    "root.crl"   = { content = pgtls_crl_bundle.server.crl_pem }
  }
  sensitive_files = {
    "server.key" = { content = pgtls_server_cert.db.private_key_pem }
  }
  reload = {
    program = "postgresql"
    host    = var.socket_dir
    port    = var.port
    user    = "postgres"
    sslmode = "disable"
  }
}

output "client_root_crt" {
  value = local.trust
}
`, signer, trust, crls)
	return b.String()
}

// TestAccRotation_caRollover runs the CA rollover of the guide against a
// real PostgreSQL 15 with cert authentication and CRLs (ssl_crl_file), each
// step applied by Terraform, which writes the server's files and reloads it
// (pgtls_file_set). At every step every client that should log in does; a
// step that would trust the new CA without its CRL fails at plan time;
// after the last step the old CA's certificates are refused.
func TestAccRotation_caRollover(t *testing.T) {
	testserver.RequirePostgres(t)
	var pg *testserver.Postgres
	lazy := func(f func(*testserver.Postgres) any, zero any) lazyVar {
		return func() any {
			if pg == nil {
				return zero
			}
			return f(pg)
		}
	}
	vars := config.Variables{
		"port":       lazy(func(p *testserver.Postgres) any { return p.Port }, 5432),
		"server_dir": lazy(func(p *testserver.Postgres) any { return p.Dir }, "/nonexistent"),
		"socket_dir": lazy(func(p *testserver.Postgres) any { return p.SocketDir }, "/nonexistent"),
		"owner":      config.StringVariable(serverOwner()),
	}
	// The server starts with a throwaway certificate, CA and CRL, so
	// ssl_ca_file and ssl_crl_file point at the files Terraform then writes.
	start := func() {
		throwaway := testpki.NewCA(t, "throwaway")
		srv := throwaway.Server(t, "localhost", "localhost", "127.0.0.1")
		pg = testserver.StartPostgres(t, testserver.PostgresConfig{SSL: true, CertPEM: srv.CertPEM, KeyPEM: srv.KeyPEM,
			CAPEM: throwaway.PEM, CRLPEM: throwaway.CRL(t, srv.Cert.NotBefore, srv.Cert.NotAfter),
			HBA: "hostssl all app 127.0.0.1/32 cert\n", Roles: []string{"app"}})
	}
	get := func(s *terraform.State, addr, attr string) string { v, _ := stateAttr(s, addr, attr); return v }
	clientOf := func(s *terraform.State, addr, root, name string) rolloverClient {
		c := rolloverClient{name, get(s, addr, "cert_pem"), get(s, addr, "private_key_pem"), root}
		if c.cert == "" || c.key == "" || c.root == "" {
			t.Fatalf("%s: %s is not in state", name, addr)
		}
		return c
	}
	output := func(s *terraform.State, name string) string {
		if o, ok := s.RootModule().Outputs[name]; ok {
			if v, ok := o.Value.(string); ok {
				return v
			}
		}
		return ""
	}
	login := func(c rolloverClient) (bool, string) {
		r := testserver.Psql(t, map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(pg.Port), "user": "app",
			"dbname": "postgres", "sslmode": "verify-full", "connect_timeout": "10"},
			testserver.ClientTLS{RootCertPEM: c.root, CertPEM: c.cert, KeyPEM: c.key}, "SELECT current_user")
		return r.ExitCode == 0 && strings.TrimSpace(r.Stdout) == "app", strings.TrimSpace(r.Stderr)
	}
	expect := func(in []rolloverClient, out []rolloverRefusal) error {
		var errs []string
		for _, c := range in {
			if ok, msg := login(c); !ok {
				errs = append(errs, fmt.Sprintf("%s should log in: %s", c.name, msg))
			}
		}
		for _, r := range out {
			if ok, msg := login(r.client); ok || !strings.Contains(msg, r.why) {
				errs = append(errs, fmt.Sprintf("%s should be refused (%q): ok=%v %s", r.client.name, r.why, ok, msg))
			}
		}
		if len(errs) > 0 {
			return fmt.Errorf("%s\n%s", strings.Join(errs, "\n"), pg.Log())
		}
		return nil
	}
	var oldRoot, oldClientCert, oldClientKey string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: start,
				Config:    rolloverPhase(0, ""), ConfigVariables: vars,
				Check: func(s *terraform.State) error {
					oldRoot = get(s, "pgtls_root_ca.old", "cert_pem")
					oldClientCert, oldClientKey = get(s, "pgtls_client_cert.app_old", "cert_pem"), get(s, "pgtls_client_cert.app_old", "private_key_pem")
					return expect([]rolloverClient{clientOf(s, "pgtls_client_cert.app_old", output(s, "client_root_crt"), "old-CA client")}, nil)
				},
			},
			{
				// Trusting the new CA without its CRL would refuse every
				// certificate below it. The new CA does not exist yet, so the
				// bundle finds out at apply, before any file is written.
				Config: rolloverPhase(1, "[pgtls_crl.old]"), ConfigVariables: vars,
				ExpectError: wrapped(`no CRL from CA "CN=rollover root 2027"`),
			},
			{
				// Nothing reached the server: the old client still logs in.
				// With the new CA in state, the same mistake fails the plan.
				PreConfig: func() {
					if ok, msg := login(rolloverClient{"old-CA client", oldClientCert, oldClientKey, oldRoot}); !ok {
						t.Errorf("after the refused apply the old client cannot log in: %s", msg)
					}
				},
				Config: rolloverPhase(1, "[pgtls_crl.old]"), ConfigVariables: vars,
				PlanOnly: true, ExpectError: wrapped(`no CRL from CA "CN=rollover root 2027"`),
			},
			{
				// Step 1: new CA published to servers and clients.
				Config: rolloverPhase(1, ""), ConfigVariables: vars,
				Check: func(s *terraform.State) error {
					bundle := output(s, "client_root_crt")
					if !strings.Contains(bundle, oldRoot) || strings.Count(bundle, "BEGIN CERTIFICATE") != 2 {
						return fmt.Errorf("the trust bundle is not old + new")
					}
					return expect([]rolloverClient{
						clientOf(s, "pgtls_client_cert.app_old", oldRoot, "old-CA client, old root.crt (not updated yet)"),
						clientOf(s, "pgtls_client_cert.app_old", bundle, "old-CA client, bundle"),
						clientOf(s, "pgtls_client_cert.app_new.0", bundle, "new-CA client, bundle"),
					}, nil)
				},
			},
			{
				// Step 2: the server certificate comes from the new CA.
				Config: rolloverPhase(2, ""), ConfigVariables: vars,
				Check: func(s *terraform.State) error {
					bundle := output(s, "client_root_crt")
					// A client that never got the bundle cannot verify the
					// new server certificate: step 1 must reach every client
					// before step 2.
					return expect([]rolloverClient{
						clientOf(s, "pgtls_client_cert.app_old", bundle, "old-CA client, bundle"),
						clientOf(s, "pgtls_client_cert.app_new.0", bundle, "new-CA client, bundle"),
					}, []rolloverRefusal{{rolloverClient{"old-CA client, old root.crt", oldClientCert, oldClientKey, oldRoot}, "certificate verify failed"}})
				},
			},
			{
				// Step 3: the old CA is gone.
				Config: rolloverPhase(3, ""), ConfigVariables: vars,
				Check: func(s *terraform.State) error {
					newRoot := output(s, "client_root_crt")
					if strings.Contains(newRoot, oldRoot) {
						return fmt.Errorf("the old root is still trusted")
					}
					return expect([]rolloverClient{
						clientOf(s, "pgtls_client_cert.app_new.0", newRoot, "new-CA client, new root.crt"),
						clientOf(s, "pgtls_client_cert.app_new.0", newRoot+oldRoot, "new-CA client, bundle not cleaned up yet"),
					}, []rolloverRefusal{{rolloverClient{"old-CA client", oldClientCert, oldClientKey, newRoot + oldRoot}, "unknown ca"}})
				},
			},
		},
	})
}

type rolloverClient struct{ name, cert, key, root string }

type rolloverRefusal struct {
	client rolloverClient
	why    string // a fragment of psql's error
}
