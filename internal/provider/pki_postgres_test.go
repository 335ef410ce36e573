package provider

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// TestAccPKI_realPostgres proves the certificates against real PostgreSQL 15
// and real libpq (psql): verify-full through every DNS and IP SAN, cert auth
// for the matching role only, and refusal of a foreign CA's and an expired
// client certificate.
func TestAccPKI_realPostgres(t *testing.T) {
	testserver.RequirePostgres(t)
	clock := &testClock{}
	// Everything is made "two days ago", so the one-hour client cert below
	// is already expired in real time while the rest is valid.
	clock.set(-48 * time.Hour)
	cfg := `
resource "pgtls_root_ca" "root" {
  subject = { common_name = "pgtls e2e root" }
}

resource "pgtls_intermediate_ca" "issuing" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  subject            = { common_name = "pgtls e2e issuing" }
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem
  ca_chain_pem       = "${pgtls_intermediate_ca.issuing.chain_pem}${pgtls_intermediate_ca.issuing.ca_bundle_pem}"
  dns_names          = ["localhost", "db.pgtls.test"]
  ip_addresses       = ["127.0.0.1"]
  # The subject of seed 000's server certificate.
  subject = { country = "CN", province = "BC", organization = "HighGo", email_address = "dba@pgtls.test" }
}

resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem
  ca_chain_pem       = pgtls_intermediate_ca.issuing.chain_pem
  user               = "app"
  # PostgreSQL's cert authentication ignores SANs: the login below still
  # works on the CN alone (seed 004 puts a DNS SAN on client certificates).
  dns_names       = ["anyhost.anydomain"]
  email_addresses = ["app@pgtls.test"]
  uris            = ["spiffe://pgtls.test/app"]
}

resource "pgtls_client_cert" "expired" {
  ca_cert_pem           = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem    = pgtls_intermediate_ca.issuing.private_key_pem
  ca_chain_pem          = pgtls_intermediate_ca.issuing.chain_pem
  user                  = "app"
  validity_period_hours = 1
}

resource "pgtls_root_ca" "foreign" {
  subject = { common_name = "someone else's root" }
}

resource "pgtls_client_cert" "foreign" {
  ca_cert_pem        = pgtls_root_ca.foreign.cert_pem
  ca_private_key_pem = pgtls_root_ca.foreign.private_key_pem
  user               = "app"
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: clock.factories(),
		Steps: []resource.TestStep{{
			Config: cfg,
			Check:  func(s *terraform.State) error { return checkRealPostgres(t, s) },
		}},
	})
}

func checkRealPostgres(t *testing.T, s *terraform.State) error {
	get := func(addr, attr string) string { v, _ := stateAttr(s, addr, attr); return v }
	root := get("pgtls_root_ca.root", "cert_pem")
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{
		SSL:     true,
		CertPEM: get("pgtls_server_cert.db", "fullchain_pem"),
		KeyPEM:  get("pgtls_server_cert.db", "private_key_pem"),
		CAPEM:   get("pgtls_server_cert.db", "ca_bundle_pem"),
		HBA:     "hostssl all all 127.0.0.1/32 cert\n",
		Roles:   []string{"app", "other"},
	})
	client := func(cert string) testserver.ClientTLS {
		// libpq sends the whole sslcert file, so the intermediate travels
		// with the leaf and the server only needs the root.
		return testserver.ClientTLS{RootCertPEM: root, CertPEM: get(cert, "fullchain_pem"), KeyPEM: get(cert, "private_key_pem")}
	}
	conn := func(host, user string, extra ...string) map[string]string {
		m := map[string]string{"host": host, "port": strconv.Itoa(pg.Port), "dbname": "postgres", "user": user,
			"sslmode": "verify-full", "connect_timeout": "10"}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	const who = "SELECT current_user || ' ' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

	var errs []string
	expectOK := func(what string, ci map[string]string, tlsFiles testserver.ClientTLS) {
		r := testserver.Psql(t, ci, tlsFiles, who)
		if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != ci["user"]+" true" {
			errs = append(errs, fmt.Sprintf("%s: want login as %s over TLS, got exit %d stdout %q stderr %q",
				what, ci["user"], r.ExitCode, r.Stdout, r.Stderr))
		}
	}
	expectFail := func(what string, ci map[string]string, tlsFiles testserver.ClientTLS, reason string) {
		r := testserver.Psql(t, ci, tlsFiles, who)
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, reason) {
			errs = append(errs, fmt.Sprintf("%s: want refusal mentioning %q, got exit %d stdout %q stderr %q",
				what, reason, r.ExitCode, r.Stdout, r.Stderr))
		}
	}

	app := client("pgtls_client_cert.app")
	expectOK("DNS SAN localhost", conn("localhost", "app"), app)
	expectOK("DNS SAN db.pgtls.test", conn("db.pgtls.test", "app", "hostaddr", "127.0.0.1"), app)
	expectOK("IP SAN 127.0.0.1", conn("127.0.0.1", "app"), app)
	expectFail("name not in the SANs", conn("other.pgtls.test", "app", "hostaddr", "127.0.0.1"), app,
		`does not match host name "other.pgtls.test"`)
	expectFail("same certificate, other role", conn("127.0.0.1", "other"), app,
		`certificate authentication failed for user "other"`)
	expectFail("client certificate from a foreign CA", conn("127.0.0.1", "app"), client("pgtls_client_cert.foreign"),
		"unknown ca")
	expectFail("expired client certificate", conn("127.0.0.1", "app"), client("pgtls_client_cert.expired"),
		"certificate expired")
	if len(errs) > 0 {
		return fmt.Errorf("real PostgreSQL disagrees with the generated PKI:\n%s\nserver log:\n%s",
			strings.Join(errs, "\n"), pg.Log())
	}
	return nil
}
