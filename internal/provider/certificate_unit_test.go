package provider

// Unit tests of the certificate resources: they run with plain `go test`
// (no Terraform CLI) through the protocol harness in unit_harness_test.go.

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

// unitPKI is a provider with a root CA (plain and name-constrained) in
// state, for the leaf and intermediate tests.
type unitPKI struct {
	u                 *unitProvider
	clock             *testClock
	root, constrained tftypes.Value
}

func newUnitPKI(t *testing.T) *unitPKI {
	clock := &testClock{}
	u := newUnitProvider(t, clock.now)
	p := &unitPKI{u: u, clock: clock}
	p.root = u.create("pgtls_root_ca", map[string]any{"subject": map[string]any{"common_name": "unit root"},
		"validity_period_hours": 1000})
	p.constrained = u.create("pgtls_root_ca", map[string]any{"subject": map[string]any{"common_name": "unit constrained"},
		"validity_period_hours": 1000, "permitted_dns_domains": []string{"example.com"}, "permitted_ip_ranges": []string{"10.0.0.0/8"}})
	return p
}

// signedBy returns the issuer attributes of a leaf or intermediate signed
// by ca, plus extra.
func (p *unitPKI) signedBy(t *testing.T, ca tftypes.Value, extra map[string]any) map[string]any {
	m := map[string]any{"ca_cert_pem": strOf(t, ca, "cert_pem"), "ca_private_key_pem": strOf(t, ca, "private_key_pem")}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// TestUnitConfigRefusals: every refused number, name and subject is an
// attribute error of ValidateResourceConfig, naming the value and the rule.
func TestUnitConfigRefusals(t *testing.T) {
	p := newUnitPKI(t)
	base := map[string]map[string]any{
		"pgtls_root_ca":         {"subject": map[string]any{"common_name": "r"}},
		"pgtls_intermediate_ca": p.signedBy(t, p.root, map[string]any{"subject": map[string]any{"common_name": "i"}}),
		"pgtls_server_cert":     p.signedBy(t, p.root, map[string]any{"dns_names": []string{"db.example.com"}}),
		"pgtls_client_cert":     p.signedBy(t, p.root, map[string]any{"user": "app"}),
	}
	type refusal struct {
		set   map[string]any
		attr  string
		wants []string
	}
	common := []refusal{
		{map[string]any{"validity_period_hours": 0}, "validity_period_hours", []string{"0 hours", "at least 1 hour"}},
		{map[string]any{"validity_period_hours": 5124096}, "validity_period_hours", []string{"5124096", "at most 2562047 hours"}},
		{map[string]any{"validity_period_hours": 100000000}, "validity_period_hours", []string{"100000000", "9999-12-31T23:59:59Z"}},
		{map[string]any{"validity_period_hours": int64(9223372036854775807)}, "validity_period_hours", []string{"at most 2562047"}},
		{map[string]any{"early_renewal_hours": -1}, "early_renewal_hours", []string{"-1", "negative"}},
		{map[string]any{"early_renewal_hours": 2562048}, "early_renewal_hours", []string{"2562048", "at most 2562047"}},
		{map[string]any{"validity_period_hours": 10, "early_renewal_hours": 10}, "early_renewal_hours", []string{"early_renewal_hours (10) must be less than validity_period_hours (10)"}},
		{map[string]any{"key_type": "rsa-1024"}, "key_type", []string{"rsa-1024", "2048"}},
	}
	specific := map[string][]refusal{
		"pgtls_root_ca": {
			{map[string]any{"max_path_length": -2}, "max_path_length", []string{"-2", "-1 for no limit"}},
			{map[string]any{"max_path_length": int64(2147483648)}, "max_path_length", []string{"2147483648", "at most 2147483647"}},
			{map[string]any{"subject": map[string]any{"common_name": "x", "country": "Germany"}}, "subject", []string{"Germany"}},
			{map[string]any{"permitted_ip_ranges": []string{"10.0.0.1/8"}}, "permitted_ip_ranges", []string{"10.0.0.1/8", "host bits"}},
			{map[string]any{"excluded_dns_domains": []string{"*.example.com"}}, "excluded_dns_domains", []string{"wildcard"}},
		},
		"pgtls_intermediate_ca": {
			{map[string]any{"max_path_length": int64(-9223372036854775808)}, "max_path_length", []string{"-1 for no limit"}},
			{map[string]any{"ca_cert_pem": "not a certificate"}, "ca_cert_pem", []string{"not PEM"}},
			{map[string]any{"ca_chain_pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, "ca_chain_pem", []string{"Invalid certificate PEM"}},
		},
		"pgtls_server_cert": {
			{map[string]any{"dns_names": nil, "ip_addresses": nil}, "dns_names", []string{"without subjectAltName"}},
			{map[string]any{"dns_names": []string{"db.*.example.com"}}, "dns_names", []string{"db.*.example.com"}},
			{map[string]any{"ip_addresses": []string{"10.0.0.300"}}, "ip_addresses", []string{"10.0.0.300"}},
			{map[string]any{"subject": map[string]any{"email_address": "not mail"}}, "subject", []string{"not mail"}},
		},
		"pgtls_client_cert": {
			{map[string]any{"user": "pg_monitor"}, "user", []string{"pg_monitor", "reserved"}},
			{map[string]any{"email_addresses": []string{"Alice <alice@example.com>"}}, "email_addresses", []string{"Alice"}},
			{map[string]any{"uris": []string{"example.org/app"}}, "uris", []string{"no scheme"}},
			{map[string]any{"dns_names": []string{"-bad.example.com"}}, "dns_names", []string{"-bad.example.com"}},
		},
	}
	for typeName, b := range base {
		for _, r := range append(append([]refusal{}, common...), specific[typeName]...) {
			attrs := map[string]any{}
			for k, v := range b {
				attrs[k] = v
			}
			for k, v := range r.set {
				attrs[k] = v
			}
			t.Run(fmt.Sprintf("%s/%v", typeName, r.set), func(t *testing.T) {
				wantDiag(t, p.u.validate(typeName, p.u.config(typeName, attrs)), r.attr, r.wants...)
			})
		}
		// The base configuration itself is valid.
		if d := p.u.validate(typeName, p.u.config(typeName, b)); hasErrors(d) {
			t.Errorf("%s base: %s", typeName, diagText(d))
		}
	}
}

// opensslForeignCA makes a CA with openssl carrying extra extensions.
func opensslForeignCA(t *testing.T, exts ...string) (certPEM, keyPEM string) {
	dir := t.TempDir()
	args := []string{"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", filepath.Join(dir, "k.pem"), "-out", filepath.Join(dir, "c.pem"), "-days", "30",
		"-subj", "/O=Corp/CN=Foreign CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"}
	for _, e := range exts {
		args = append(args, "-addext", e)
	}
	if out, err := runOpenSSL(t, args...); err != nil {
		t.Fatalf("openssl req: %v: %s", err, out)
	}
	c, _ := os.ReadFile(filepath.Join(dir, "c.pem"))
	k, _ := os.ReadFile(filepath.Join(dir, "k.pem"))
	return string(c), string(k)
}

// TestUnitPlanRefusals: what the issuer forbids fails the plan, on the
// attribute to change, once the issuer's certificate is known (a CA
// already in state or brought as PEM).
func TestUnitPlanRefusals(t *testing.T) {
	p := newUnitPKI(t)
	clientOnlyCA, clientOnlyKey := opensslForeignCA(t, "extendedKeyUsage=clientAuth")
	serverOnlyCA, serverOnlyKey := opensslForeignCA(t, "extendedKeyUsage=serverAuth")
	emailCA, emailKey := opensslForeignCA(t, "nameConstraints=critical,permitted;email:example.com")
	// A CA that becomes valid tomorrow (made by pki with tomorrow's clock).
	future, err := pki.NewRootCA(pki.CARequest{Subject: pki.Subject{CommonName: "tomorrow"}, Validity: 1000 * time.Hour, MaxPathLen: -1},
		time.Now().Add(24*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	zero := p.u.create("pgtls_root_ca", map[string]any{"subject": map[string]any{"common_name": "pathlen zero"},
		"max_path_length": 0, "validity_period_hours": 1000})
	foreign := func(cert, key string, extra map[string]any) map[string]any {
		m := map[string]any{"ca_cert_pem": cert, "ca_private_key_pem": key}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name, typeName string
		attrs          map[string]any
		attr           string
		wants          []string
	}{
		{"localhost outside permitted_dns_domains", "pgtls_server_cert",
			p.signedBy(t, p.constrained, map[string]any{"dns_names": []string{"localhost"}, "validity_period_hours": 10}),
			"dns_names", []string{`DNS name "localhost" is outside the permitted DNS domains [example.com]`}},
		{"IP outside permitted_ip_ranges", "pgtls_server_cert",
			p.signedBy(t, p.constrained, map[string]any{"dns_names": []string{"db.example.com"}, "ip_addresses": []string{"127.0.0.1"}, "validity_period_hours": 10}),
			"ip_addresses", []string{"127.0.0.1", "10.0.0.0/8"}},
		{"IP-only server: its CN is checked as a DNS name", "pgtls_server_cert",
			p.signedBy(t, p.constrained, map[string]any{"ip_addresses": []string{"10.1.2.3"}, "validity_period_hours": 10}),
			"ip_addresses", []string{"common name", "10.1.2.3"}},
		{"host-like client CN", "pgtls_client_cert",
			p.signedBy(t, p.constrained, map[string]any{"user": "john.doe", "validity_period_hours": 10}),
			"user", []string{`"john.doe"`}},
		{"client DNS SAN outside", "pgtls_client_cert",
			p.signedBy(t, p.constrained, map[string]any{"user": "app", "dns_names": []string{"app.other.org"}, "validity_period_hours": 10}),
			"dns_names", []string{`"app.other.org"`}},
		{"foreign CA without serverAuth", "pgtls_server_cert",
			foreign(clientOnlyCA, clientOnlyKey, map[string]any{"dns_names": []string{"db.corp.test"}, "validity_period_hours": 10}),
			"ca_cert_pem", []string{"Foreign CA", "does not allow serverAuth"}},
		{"foreign CA without clientAuth", "pgtls_client_cert",
			foreign(serverOnlyCA, serverOnlyKey, map[string]any{"user": "app", "validity_period_hours": 10}),
			"ca_cert_pem", []string{"does not allow clientAuth"}},
		{"email SAN under email constraints", "pgtls_client_cert",
			foreign(emailCA, emailKey, map[string]any{"user": "app", "email_addresses": []string{"app@example.com"}, "validity_period_hours": 10}),
			"email_addresses", []string{"pgtls does not evaluate"}},
		{"issuer not valid yet", "pgtls_server_cert",
			foreign(future.CertPEM, future.PrivateKeyPEM, map[string]any{"dns_names": []string{"db"}}),
			"ca_cert_pem", []string{"is not valid before"}},
		{"leaf outlives the root", "pgtls_server_cert",
			p.signedBy(t, p.root, map[string]any{"dns_names": []string{"db"}, "validity_period_hours": 1001}),
			"validity_period_hours", []string{"after its issuer", "shorten the validity to at most"}},
		{"key does not match", "pgtls_server_cert",
			map[string]any{"ca_cert_pem": strOf(t, p.root, "cert_pem"), "ca_private_key_pem": strOf(t, zero, "private_key_pem"), "dns_names": []string{"db"}},
			"ca_private_key_pem", []string{"does not match"}},
		{"intermediate below pathlen 0", "pgtls_intermediate_ca",
			p.signedBy(t, zero, map[string]any{"subject": map[string]any{"common_name": "i"}, "validity_period_hours": 10}),
			"ca_cert_pem", []string{"pathlen:0"}},
		{"intermediate outlives the root", "pgtls_intermediate_ca",
			p.signedBy(t, p.root, map[string]any{"subject": map[string]any{"common_name": "i"}, "validity_period_hours": 2000}),
			"validity_period_hours", []string{"after its issuer"}},
		{"intermediate with email under email constraints", "pgtls_intermediate_ca",
			foreign(emailCA, emailKey, map[string]any{"subject": map[string]any{"common_name": "i", "email_address": "ca@example.com"}, "validity_period_hours": 10}),
			"subject", []string{"pgtls does not evaluate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr := p.u.plan(tc.typeName, nil, p.u.config(tc.typeName, tc.attrs))
			wantDiag(t, pr.diags, tc.attr, tc.wants...)
		})
	}

	// A root whose validity would end after 9999-12-31T23:59:59Z: only a
	// clock near the end of time gets there within the hour limit.
	late := newUnitProvider(t, func() time.Time { return time.Date(9995, 1, 1, 0, 0, 0, 0, time.UTC) })
	pr := late.plan("pgtls_root_ca", nil, late.config("pgtls_root_ca", map[string]any{"subject": map[string]any{"common_name": "late"}}))
	wantDiag(t, pr.diags, "validity_period_hours", "would end after 9999-12-31T23:59:59Z", "at most")
}

// TestUnitReplacement: the declared modifiers replace a certificate when
// an input changes, keep it (and every output) when only the renewal
// window changes, and plan nothing when nothing changes.
func TestUnitReplacement(t *testing.T) {
	p := newUnitPKI(t)
	u := p.u
	cases := []struct {
		typeName string
		attrs    map[string]any
		change   map[string]any
	}{
		{"pgtls_root_ca", map[string]any{"subject": map[string]any{"common_name": "r2"}},
			map[string]any{"subject": map[string]any{"common_name": "r3"}, "key_type": "ecdsa-p384", "validity_period_hours": 100,
				"max_path_length": 2, "permitted_dns_domains": []string{"example.com"}, "excluded_ip_ranges": []string{"10.0.0.0/8"}}},
		{"pgtls_intermediate_ca", p.signedBy(t, p.root, map[string]any{"subject": map[string]any{"common_name": "i"}, "validity_period_hours": 100}),
			map[string]any{"ca_chain_pem": strOf(t, p.root, "cert_pem"), "max_path_length": 1, "validity_period_hours": 99}},
		{"pgtls_server_cert", p.signedBy(t, p.root, map[string]any{"dns_names": []string{"db"}, "validity_period_hours": 100}),
			map[string]any{"dns_names": []string{"db2"}, "ip_addresses": []string{"10.0.0.1"}, "subject": map[string]any{"organization": "o"}}},
		{"pgtls_client_cert", p.signedBy(t, p.root, map[string]any{"user": "app", "validity_period_hours": 100}),
			map[string]any{"user": "app2", "dns_names": []string{"a.example"}, "email_addresses": []string{"a@example.com"},
				"uris": []string{"urn:a"}, "subject": map[string]any{"organization": "o"}, "key_type": "ed25519"}},
	}
	for _, tc := range cases {
		t.Run(tc.typeName, func(t *testing.T) {
			state := u.create(tc.typeName, tc.attrs)
			cfg := u.config(tc.typeName, tc.attrs)

			// Nothing changed: the planned state is the prior state.
			pr := u.plan(tc.typeName, &state, cfg)
			if hasErrors(pr.diags) || len(pr.replace) != 0 || !pr.planned.Equal(state) {
				t.Fatalf("unchanged config: replace %v, diags %s, planned == state: %v", pr.replace, diagText(pr.diags), pr.planned.Equal(state))
			}

			// Only the renewal window: in place, every output kept.
			early := map[string]any{}
			for k, v := range tc.attrs {
				early[k] = v
			}
			early["early_renewal_hours"] = 5
			ecfg := u.config(tc.typeName, early)
			pr = u.plan(tc.typeName, &state, ecfg)
			if hasErrors(pr.diags) || len(pr.replace) != 0 {
				t.Fatalf("early_renewal_hours: replace %v diags %s", pr.replace, diagText(pr.diags))
			}
			for _, out := range []string{"cert_pem", "private_key_pem", "serial_number", "not_after", "ca_bundle_pem"} {
				if !attrOf(t, pr.planned, out).Equal(attrOf(t, state, out)) {
					t.Errorf("early_renewal_hours change plans a new %s", out)
				}
			}
			if r := attrOf(t, pr.planned, "ready_for_renewal"); !r.IsKnown() {
				t.Error("ready_for_renewal unknown in an in-place plan")
			}
			after, d := u.apply(tc.typeName, &state, ecfg, pr)
			if hasErrors(d) || strOf(t, after, "cert_pem") != strOf(t, state, "cert_pem") {
				t.Fatalf("in-place apply: %s", diagText(d))
			}

			// Each identity input replaces, and the replacement plans new outputs.
			for name, v := range tc.change {
				changed := map[string]any{}
				for k, x := range tc.attrs {
					changed[k] = x
				}
				changed[name] = v
				pr := u.plan(tc.typeName, &state, u.config(tc.typeName, changed))
				if hasErrors(pr.diags) {
					t.Errorf("%s: %s", name, diagText(pr.diags))
					continue
				}
				if len(pr.replace) == 0 || !strings.Contains(strings.Join(pr.replace, " "), `"`+name+`"`) {
					t.Errorf("changing %s does not replace (requires replace: %v)", name, pr.replace)
				}
				if attrOf(t, pr.planned, "cert_pem").IsKnown() {
					t.Errorf("changing %s: cert_pem known in the replacement plan", name)
				}
			}
		})
	}
}

// TestUnitRenewalWindow: inside early_renewal_hours the plan replaces the
// certificate from the state alone (as with -refresh=false), also when the
// configuration equals the state (ignore_changes = all); Read reports it.
func TestUnitRenewalWindow(t *testing.T) {
	clock := &testClock{}
	u := newUnitProvider(t, clock.now)
	attrs := map[string]any{"subject": map[string]any{"common_name": "renew"}, "validity_period_hours": 100, "early_renewal_hours": 10}
	state := u.create("pgtls_root_ca", attrs)
	cfg := u.config("pgtls_root_ca", attrs)

	clock.set(85 * time.Hour)
	if pr := u.plan("pgtls_root_ca", &state, cfg); len(pr.replace) != 0 || !pr.planned.Equal(state) {
		t.Fatalf("before the window: replace %v", pr.replace)
	}
	if r := attrOf(t, u.read("pgtls_root_ca", state), "ready_for_renewal"); !r.Equal(tftypes.NewValue(tftypes.Bool, false)) {
		t.Errorf("read before the window: ready_for_renewal = %s", r)
	}

	clock.set(91 * time.Hour)
	pr := u.plan("pgtls_root_ca", &state, cfg)
	if len(pr.replace) != 1 || !strings.Contains(pr.replace[0], "ready_for_renewal") || attrOf(t, pr.planned, "cert_pem").IsKnown() {
		t.Fatalf("inside the window: replace %v, planned cert known %v", pr.replace, attrOf(t, pr.planned, "cert_pem").IsKnown())
	}
	// ignore_changes = all: Terraform sends the prior values as config.
	ignoreAll := state
	for _, computedOnly := range []string{"id", "cert_pem", "private_key_pem", "public_key_pem", "ca_bundle_pem", "serial_number",
		"fingerprint_sha256", "subject_key_id", "not_before", "not_after", "ready_for_renewal"} {
		ignoreAll = withAttr(t, ignoreAll, computedOnly, nil)
	}
	if pr := u.plan("pgtls_root_ca", &state, ignoreAll); len(pr.replace) != 1 {
		t.Errorf("ignore_changes = all: replace %v", pr.replace)
	}
	refreshed := u.read("pgtls_root_ca", state)
	if r := attrOf(t, refreshed, "ready_for_renewal"); !r.Equal(tftypes.NewValue(tftypes.Bool, true)) {
		t.Errorf("read inside the window: ready_for_renewal = %s", r)
	}
	// A refresh that already saw true still plans the replacement.
	if pr := u.plan("pgtls_root_ca", &refreshed, cfg); len(pr.replace) != 1 {
		t.Errorf("after a refresh: replace %v", pr.replace)
	}
	// The replacement is not due itself.
	renewed, d := u.apply("pgtls_root_ca", &state, cfg, pr)
	if hasErrors(d) || attrOf(t, renewed, "ready_for_renewal").Equal(tftypes.NewValue(tftypes.Bool, true)) ||
		strOf(t, renewed, "serial_number") == strOf(t, state, "serial_number") {
		t.Errorf("renewed: %s ready %s", diagText(d), attrOf(t, renewed, "ready_for_renewal"))
	}
}

// TestUnitStateMapping: what a leaf stores in state is what openssl reads
// in the certificate, and every plan-time value equals the applied one.
func TestUnitStateMapping(t *testing.T) {
	p := newUnitPKI(t)
	u := p.u
	attrs := p.signedBy(t, p.root, map[string]any{
		"subject":   map[string]any{"country": "CN", "province": "BC", "organization": "HighGo", "email_address": "m.usama@highgo.ca"},
		"dns_names": []string{"localhost"}, "ip_addresses": []string{"127.0.0.1"}, "validity_period_hours": 48,
	})
	cfg := u.config("pgtls_server_cert", attrs)
	pr := u.plan("pgtls_server_cert", nil, cfg)
	if hasErrors(pr.diags) {
		t.Fatal(diagText(pr.diags))
	}
	planDN, planBundle := strOf(t, pr.planned, "subject_dn"), strOf(t, pr.planned, "ca_bundle_pem")
	if r := attrOf(t, pr.planned, "ready_for_renewal"); !r.Equal(tftypes.NewValue(tftypes.Bool, false)) {
		t.Errorf("a new certificate plans ready_for_renewal = %s, want false", r)
	}
	st, d := u.apply("pgtls_server_cert", nil, cfg, pr)
	if hasErrors(d) {
		t.Fatal(diagText(d))
	}
	if strOf(t, st, "subject_dn") != planDN || strOf(t, st, "ca_bundle_pem") != planBundle || planBundle != strOf(t, p.root, "cert_pem") {
		t.Errorf("plan-time subject_dn %q / ca_bundle_pem differ from state %q", planDN, strOf(t, st, "subject_dn"))
	}
	pemPath := writeTemp(t, t.TempDir(), "c.pem", strOf(t, st, "cert_pem"))
	out, err := runOpenSSL(t, "x509", "-noout", "-subject", "-nameopt", "RFC2253", "-serial", "-enddate", "-startdate",
		"-fingerprint", "-sha256", "-ext", "subjectAltName", "-in", pemPath)
	if err != nil {
		t.Fatalf("openssl: %v %s", err, out)
	}
	serial, _ := new(big.Int).SetString(strOf(t, st, "serial_number"), 10)
	notAfter, _ := time.Parse(time.RFC3339, strOf(t, st, "not_after"))
	notBefore, _ := time.Parse(time.RFC3339, strOf(t, st, "not_before"))
	fp := strings.ToUpper(strOf(t, st, "fingerprint_sha256"))
	var fpColons []string
	for i := 0; i+2 <= len(fp); i += 2 {
		fpColons = append(fpColons, fp[i:i+2])
	}
	for _, want := range []string{
		"subject=emailAddress=m.usama@highgo.ca,CN=localhost,O=HighGo,ST=BC,C=CN",
		"subject=" + planDN,
		"notAfter=" + notAfter.Format("Jan _2 15:04:05 2006") + " GMT",
		"notBefore=" + notBefore.Format("Jan _2 15:04:05 2006") + " GMT",
		"sha256 Fingerprint=" + strings.Join(fpColons, ":"),
		"DNS:localhost, IP Address:127.0.0.1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("openssl output lacks %q:\n%s", want, out)
		}
	}
	// openssl prints the serial in hex, padded to whole bytes.
	var opensslSerial *big.Int
	for _, line := range strings.Split(out, "\n") {
		if hex, ok := strings.CutPrefix(line, "serial="); ok {
			opensslSerial, _ = new(big.Int).SetString(hex, 16)
		}
	}
	if serial == nil || opensslSerial == nil || serial.Cmp(opensslSerial) != 0 {
		t.Errorf("serial_number %s, openssl serial %v", strOf(t, st, "serial_number"), opensslSerial)
	}
	if got := notAfter.Sub(notBefore); got != 48*time.Hour+pki.Backdate {
		t.Errorf("not_after - not_before = %s", got)
	}
	if strOf(t, st, "fullchain_pem") != strOf(t, st, "cert_pem") || strOf(t, st, "id") != strOf(t, st, "serial_number") {
		t.Error("fullchain_pem or id mapped wrongly")
	}

	// Client: plan-time subject_dn with the default CN, SANs read by openssl.
	cattrs := p.signedBy(t, p.root, map[string]any{"user": "client1", "dns_names": []string{"anyhost.anydomain"},
		"email_addresses": []string{"client1@example.com"}, "uris": []string{"spiffe://example.org/client1"},
		"subject": map[string]any{"organization": "pgpool", "country": "CN"}, "validity_period_hours": 48})
	ccfg := u.config("pgtls_client_cert", cattrs)
	cpr := u.plan("pgtls_client_cert", nil, ccfg)
	if got := strOf(t, cpr.planned, "subject_dn"); got != "CN=client1,O=pgpool,C=CN" {
		t.Errorf("client plan-time subject_dn = %q", got)
	}
	cst, d := u.apply("pgtls_client_cert", nil, ccfg, cpr)
	if hasErrors(d) {
		t.Fatal(diagText(d))
	}
	out, err = runOpenSSL(t, "x509", "-noout", "-subject", "-nameopt", "RFC2253", "-ext", "subjectAltName,extendedKeyUsage",
		"-in", writeTemp(t, t.TempDir(), "c.pem", strOf(t, cst, "cert_pem")))
	for _, want := range []string{"subject=CN=client1,O=pgpool,C=CN", "DNS:anyhost.anydomain, email:client1@example.com, URI:spiffe://example.org/client1",
		"TLS Web Client Authentication"} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("openssl client output lacks %q: %v\n%s", want, err, out)
		}
	}
}

// TestUnitUnknownInputs: while inputs are unknown (a CA created in the same
// run, a list element from another resource), the plan succeeds with the
// values that depend on them unknown and nothing refused.
func TestUnitUnknownInputs(t *testing.T) {
	p := newUnitPKI(t)
	u := p.u
	for _, tc := range []struct {
		typeName string
		attrs    map[string]any
		unknowns []string // planned unknown
		knowns   []string // planned known
	}{
		{"pgtls_server_cert", map[string]any{"ca_cert_pem": unknown, "ca_private_key_pem": unknown, "dns_names": []string{"db"}},
			[]string{"ca_bundle_pem", "cert_pem"}, []string{"subject_dn", "ready_for_renewal"}},
		{"pgtls_server_cert", p.signedBy(t, p.root, map[string]any{"dns_names": []any{"db", unknown}, "validity_period_hours": 10}),
			[]string{"subject_dn", "cert_pem"}, []string{"ca_bundle_pem"}},
		{"pgtls_client_cert", p.signedBy(t, p.root, map[string]any{"user": unknown, "validity_period_hours": 10}),
			[]string{"subject_dn"}, []string{"ca_bundle_pem"}},
		{"pgtls_client_cert", p.signedBy(t, p.root, map[string]any{"user": "app", "subject": map[string]any{"organization": unknown},
			"validity_period_hours": 10}), []string{"subject_dn"}, []string{"ca_bundle_pem"}},
		{"pgtls_intermediate_ca", map[string]any{"ca_cert_pem": strOf(t, p.root, "cert_pem"), "ca_private_key_pem": unknown,
			"subject": map[string]any{"common_name": "i"}, "validity_period_hours": 10}, []string{"chain_pem"}, []string{"ca_bundle_pem"}},
		{"pgtls_root_ca", map[string]any{"subject": map[string]any{"common_name": "r"}, "permitted_dns_domains": []any{unknown}},
			[]string{"cert_pem"}, []string{"ready_for_renewal"}},
	} {
		pr := u.plan(tc.typeName, nil, u.config(tc.typeName, tc.attrs))
		if hasErrors(pr.diags) {
			t.Errorf("%s %v: %s", tc.typeName, tc.attrs, diagText(pr.diags))
			continue
		}
		for _, name := range tc.unknowns {
			if attrOf(t, pr.planned, name).IsKnown() {
				t.Errorf("%s: %s known although it depends on an unknown input", tc.typeName, name)
			}
		}
		for _, name := range tc.knowns {
			if !attrOf(t, pr.planned, name).IsKnown() {
				t.Errorf("%s: %s unknown although its inputs are known", tc.typeName, name)
			}
		}
	}
}

// TestPlanEdits: edits land in one pass, names the schema lacks are
// skipped (a root CA has no ca_cert_pem), and a value of the wrong type is
// a diagnostic, never a panic or a silently changed plan.
func TestPlanEdits(t *testing.T) {
	ctx := context.Background()
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"a": tftypes.String, "b": tftypes.Bool}}
	plan := tfsdk.Plan{Raw: tftypes.NewValue(typ, map[string]tftypes.Value{
		"a": tftypes.NewValue(tftypes.String, "old"), "b": tftypes.NewValue(tftypes.Bool, nil)})}
	var d diag.Diagnostics
	planEdits{"a": types.StringUnknown(), "b": types.BoolValue(true), "absent": types.StringValue("x")}.write(ctx, &plan, &d)
	if d.HasError() {
		t.Fatal(d)
	}
	want := tftypes.NewValue(typ, map[string]tftypes.Value{
		"a": tftypes.NewValue(tftypes.String, tftypes.UnknownValue), "b": tftypes.NewValue(tftypes.Bool, true)})
	if !plan.Raw.Equal(want) {
		t.Fatalf("plan = %s, want %s", plan.Raw, want)
	}
	before := plan.Raw
	planEdits{"b": types.StringValue("not a bool")}.write(ctx, &plan, &d)
	if !d.HasError() || !plan.Raw.Equal(before) {
		t.Fatalf("wrong type: diags %v, plan %s", d, plan.Raw)
	}
}
