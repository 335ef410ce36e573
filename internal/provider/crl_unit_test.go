package provider

// Unit tests of pgtls_crl through the protocol harness (no CLI).

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
)

// fixedClock is a settable clock.
type fixedClock struct{ t time.Time }

func (c *fixedClock) now() time.Time { return c.t }

type unitCRL struct {
	u          *unitProvider
	clock      *fixedClock
	root       tftypes.Value
	app1, app2 tftypes.Value
}

func newUnitCRL(t *testing.T) *unitCRL {
	c := &fixedClock{t: time.Now().UTC().Truncate(time.Second)}
	u := newUnitProvider(t, c.now)
	p := &unitCRL{u: u, clock: c}
	p.root = u.create("pgtls_root_ca", map[string]any{"subject": map[string]any{"common_name": "crl unit root"}})
	issuer := map[string]any{"ca_cert_pem": strOf(t, p.root, "cert_pem"), "ca_private_key_pem": strOf(t, p.root, "private_key_pem")}
	p.app1 = u.create("pgtls_client_cert", merged(issuer, map[string]any{"user": "app1", "validity_period_hours": 48}))
	p.app2 = u.create("pgtls_client_cert", merged(issuer, map[string]any{"user": "app2"}))
	return p
}

func merged(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func (p *unitCRL) crlConfig(t *testing.T, revoked []any, extra map[string]any) tftypes.Value {
	attrs := map[string]any{"ca_cert_pem": strOf(t, p.root, "cert_pem"), "ca_private_key_pem": strOf(t, p.root, "private_key_pem")}
	if revoked != nil {
		attrs["revoked"] = revoked
	}
	return p.u.config("pgtls_crl", merged(attrs, extra))
}

// certRef is a revoked entry given as a certificate resource's cert_pem
// and serial_number (what `revoked = [pgtls_client_cert.app1]` converts
// to).
func certRef(t *testing.T, cert tftypes.Value) map[string]any {
	return map[string]any{"cert_pem": strOf(t, cert, "cert_pem"), "serial_number": strOf(t, cert, "serial_number")}
}

func int64Of(t *testing.T, v tftypes.Value, name string) int64 {
	t.Helper()
	a := attrOf(t, v, name)
	if !a.IsKnown() || a.IsNull() {
		t.Fatalf("%s is %s, want a known number", name, a)
	}
	var f big.Float
	if err := a.As(&f); err != nil {
		t.Fatal(err)
	}
	n, _ := f.Int64()
	return n
}

type entryRow struct {
	serial, time, reason, expires string
	retained                      bool
}

func entryRows(t *testing.T, v tftypes.Value) []entryRow {
	t.Helper()
	l := attrOf(t, v, "entries")
	if !l.IsKnown() {
		t.Fatal("entries unknown")
	}
	var elems []tftypes.Value
	if err := l.As(&elems); err != nil {
		t.Fatal(err)
	}
	var out []entryRow
	for _, e := range elems {
		r := entryRow{serial: strOf(t, e, "serial_number"), time: "(unknown)", reason: strOf(t, e, "reason")}
		if attrOf(t, e, "revocation_time").IsKnown() {
			r.time = strOf(t, e, "revocation_time")
		}
		if ex := attrOf(t, e, "expires_at"); !ex.IsNull() {
			r.expires = strOf(t, e, "expires_at")
		}
		_ = attrOf(t, e, "retained").As(&r.retained)
		out = append(out, r)
	}
	return out
}

func parseCRLState(t *testing.T, st tftypes.Value) *x509.RevocationList {
	t.Helper()
	crls, err := pki.ParseCRLsPEM(strOf(t, st, "crl_pem"))
	if err != nil || len(crls) != 1 {
		t.Fatalf("crl_pem: %v (%d CRLs)", err, len(crls))
	}
	return crls[0]
}

func (p *unitCRL) planApply(t *testing.T, prior *tftypes.Value, cfg tftypes.Value) (planResult, tftypes.Value) {
	t.Helper()
	pr := p.u.plan("pgtls_crl", prior, cfg)
	if hasErrors(pr.diags) {
		t.Fatalf("plan: %s", diagText(pr.diags))
	}
	st, d := p.u.apply("pgtls_crl", prior, cfg, pr)
	if hasErrors(d) {
		t.Fatalf("apply: %s", diagText(d))
	}
	return pr, st
}

// TestUnitCRLLifecycle walks a CRL through create, an empty second plan,
// adding and removing entries, renewal in its window without refresh, an
// in-place change of the window alone, and re-creation. Nothing planned
// depends on the clock (Terraform re-plans during apply and needs the same
// values): the first number and a new entry's time come from the issuing
// time at apply, every later number is known at plan (previous + 1).
func TestUnitCRLLifecycle(t *testing.T) {
	p := newUnitCRL(t)
	start := p.clock.t
	cfg := p.crlConfig(t, []any{merged(certRef(t, p.app1), map[string]any{"reason": "key_compromise"})}, nil)
	pr := p.u.plan("pgtls_crl", nil, cfg)
	if hasErrors(pr.diags) {
		t.Fatal(diagText(pr.diags))
	}
	for _, a := range []string{"crl_number", "id", "crl_pem", "this_update", "next_update"} {
		if attrOf(t, pr.planned, a).IsKnown() {
			t.Errorf("%s known at the first plan: it comes from the issuing time", a)
		}
	}
	root := parseCert(t, strOf(t, p.root, "cert_pem"))
	facts, err := pki.CRLIssuerFactsOf(root)
	if err != nil {
		t.Fatal(err)
	}
	for attr, want := range map[string]string{"issuer_dn": "CN=crl unit root", "issuer_hash": facts.Hash,
		"authority_key_id": strOf(t, p.root, "subject_key_id"), "signature_algorithm": "ECDSA-SHA256"} {
		if got := strOf(t, pr.planned, attr); got != want {
			t.Errorf("planned %s = %q, want %q", attr, got, want)
		}
	}
	rows := entryRows(t, pr.planned)
	app1Serial := strOf(t, p.app1, "serial_number")
	if want := (entryRow{app1Serial, "(unknown)", "key_compromise", strOf(t, p.app1, "not_after"), false}); len(rows) != 1 || rows[0] != want {
		t.Fatalf("planned entries %+v, want %+v", rows, want)
	}
	// Terraform re-plans at apply with a later clock: the same plan.
	p.clock.t = start.Add(2 * time.Second)
	if again := p.u.plan("pgtls_crl", nil, cfg); !again.planned.Equal(pr.planned) {
		t.Errorf("the plan changed with the clock:\n%s\n%s", pr.planned, again.planned)
	}
	issued := p.clock.t
	st1, d := p.u.apply("pgtls_crl", nil, cfg, pr)
	if hasErrors(d) {
		t.Fatal(diagText(d))
	}
	want1 := entryRow{app1Serial, issued.Format(time.RFC3339), "key_compromise", strOf(t, p.app1, "not_after"), false}
	crl := parseCRLState(t, st1)
	if crl.Number.Int64() != issued.Unix() || int64Of(t, st1, "crl_number") != issued.Unix() || strOf(t, st1, "id") != strconv.FormatInt(issued.Unix(), 10) {
		t.Errorf("first number %s (state %d), want the Unix time of the apply %d", crl.Number, int64Of(t, st1, "crl_number"), issued.Unix())
	}
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.String() != app1Serial ||
		crl.RevokedCertificateEntries[0].ReasonCode != 1 || !crl.RevokedCertificateEntries[0].RevocationTime.Equal(issued) {
		t.Errorf("issued CRL entries %+v", crl.RevokedCertificateEntries)
	}
	if err := crl.CheckSignatureFrom(root); err != nil {
		t.Errorf("signature: %v", err)
	}
	if got, want := strOf(t, st1, "next_update"), issued.Add(hoursCRLDefault*time.Hour).Format(time.RFC3339); got != want {
		t.Errorf("next_update %s, want %s", got, want)
	}
	if rows := entryRows(t, st1); len(rows) != 1 || rows[0] != want1 {
		t.Errorf("state entries %+v, want %+v", rows, want1)
	}

	// Second plan, later, nothing changed: the plan equals the state.
	p.clock.t = start.Add(time.Hour)
	pr = p.u.plan("pgtls_crl", &st1, cfg)
	if hasErrors(pr.diags) || !pr.planned.Equal(st1) {
		t.Fatalf("second plan is not empty: %s\nplanned %s\nstate   %s", diagText(pr.diags), pr.planned, st1)
	}

	// Add app2 (by serial only, in hex): re-issued with the next number,
	// known at plan; app1 keeps its revocation time.
	app2Serial, _ := new(big.Int).SetString(strOf(t, p.app2, "serial_number"), 10)
	cfg2 := p.crlConfig(t, []any{merged(certRef(t, p.app1), map[string]any{"reason": "key_compromise"}),
		map[string]any{"serial_number": "0x" + app2Serial.Text(16)}}, nil)
	pr, st2 := p.planApply(t, &st1, cfg2)
	n2 := int64Of(t, st2, "crl_number")
	if n2 != issued.Unix()+1 || int64Of(t, pr.planned, "crl_number") != n2 {
		t.Errorf("crl_number after adding an entry: planned %d, state %d, want %d", int64Of(t, pr.planned, "crl_number"), n2, issued.Unix()+1)
	}
	rows = entryRows(t, st2)
	if len(rows) != 2 || rows[0] != want1 || rows[1] != (entryRow{app2Serial.String(), p.clock.t.Format(time.RFC3339), "unspecified", "", false}) {
		t.Errorf("entries after adding app2: %+v", rows)
	}
	// The same entries written differently (decimal serial): no re-issue.
	cfg2b := p.crlConfig(t, []any{merged(certRef(t, p.app1), map[string]any{"reason": "key_compromise"}),
		map[string]any{"serial_number": app2Serial.String()}}, nil)
	pr = p.u.plan("pgtls_crl", &st2, cfg2b)
	if hasErrors(pr.diags) || !attrOf(t, pr.planned, "crl_pem").Equal(attrOf(t, st2, "crl_pem")) {
		t.Errorf("a serial written in decimal instead of hex re-issues the CRL: %s", diagText(pr.diags))
	}

	// Remove app1 from revoked: it stays (retained) with a warning.
	cfg3 := p.crlConfig(t, []any{map[string]any{"serial_number": app2Serial.String()}}, nil)
	pr, st3 := p.planApply(t, &st2, cfg3)
	if !strings.Contains(diagText(pr.diags), "stays on the CRL until the certificate expires") {
		t.Errorf("no warning for the retained entry:\n%s", diagText(pr.diags))
	}
	if n := int64Of(t, st3, "crl_number"); n != n2+1 {
		t.Errorf("crl_number: %d, want %d", n, n2+1)
	}
	rows = entryRows(t, st3)
	if len(rows) != 2 || rows[0].serial != app2Serial.String() || rows[1].serial != app1Serial || !rows[1].retained || rows[1].time != want1.time {
		t.Errorf("entries after removing app1: %+v", rows)
	}
	if c := parseCRLState(t, st3); len(c.RevokedCertificateEntries) != 2 {
		t.Errorf("the CRL lost the retained entry: %d entries", len(c.RevokedCertificateEntries))
	}

	// app1 expires (48 h): that alone does not re-issue; the next re-issue
	// still lists it (it expired after the last CRL was issued), the one
	// after drops it.
	p.clock.t = start.Add(72 * time.Hour)
	pr = p.u.plan("pgtls_crl", &st3, cfg3)
	if !pr.planned.Equal(st3) {
		t.Errorf("an expired retained entry alone re-issues the CRL")
	}
	cfg4 := p.crlConfig(t, []any{map[string]any{"serial_number": app2Serial.String(), "reason": "superseded"}}, nil)
	_, st4 := p.planApply(t, &st3, cfg4)
	if rows := entryRows(t, st4); len(rows) != 2 || rows[0].reason != "superseded" {
		t.Errorf("entries after app1 expired, first re-issue: %+v", rows)
	}
	cfg4b := p.crlConfig(t, []any{map[string]any{"serial_number": app2Serial.String(), "reason": "key_compromise"}}, nil)
	_, st4 = p.planApply(t, &st4, cfg4b)
	if rows := entryRows(t, st4); len(rows) != 1 || rows[0].reason != "key_compromise" {
		t.Errorf("entries after app1 expired, second re-issue: %+v", rows)
	}

	// Renewal: 16 days after issuing, inside the default 15-day window of
	// a 30-day CRL. The plan (no refresh) re-issues in place.
	issued4 := p.clock.t
	p.clock.t = issued4.Add(16 * 24 * time.Hour)
	pr, st5 := p.planApply(t, &st4, cfg4b)
	if attrOf(t, pr.planned, "crl_pem").IsKnown() || len(pr.replace) != 0 {
		t.Errorf("renewal window: crl_pem known=%v, replace=%v; want an in-place re-issue", attrOf(t, pr.planned, "crl_pem").IsKnown(), pr.replace)
	}
	if got, want := strOf(t, st5, "next_update"), p.clock.t.Add(hoursCRLDefault*time.Hour).Format(time.RFC3339); got != want {
		t.Errorf("renewed next_update %s, want %s", got, want)
	}
	if rows := entryRows(t, st5); len(rows) != 1 || rows[0] != entryRows(t, st4)[0] {
		t.Errorf("renewal changed the entries: %+v", rows)
	}
	// Read (refresh) in the window says so.
	p.clock.t = p.clock.t.Add(16 * 24 * time.Hour)
	var due bool
	if err := attrOf(t, p.u.read("pgtls_crl", st5), "ready_for_renewal").As(&due); err != nil || !due {
		t.Errorf("ready_for_renewal after refresh in the window: %v %v", due, err)
	}

	// A longer window alone changes in place without re-issuing.
	p.clock.t = issued4.Add(16*24*time.Hour + time.Hour)
	cfg6 := p.crlConfig(t, []any{map[string]any{"serial_number": app2Serial.String(), "reason": "key_compromise"}}, map[string]any{"early_renewal_hours": 200})
	_, st6 := p.planApply(t, &st5, cfg6)
	if !attrOf(t, st6, "crl_pem").Equal(attrOf(t, st5, "crl_pem")) || int64Of(t, st6, "early_renewal_hours") != 200 {
		t.Errorf("early_renewal_hours alone re-issued the CRL or was not stored")
	}

	// Re-created from scratch (state lost, -replace): the clock keeps the
	// number above every earlier one.
	pr = p.u.plan("pgtls_crl", nil, cfg6)
	st7, d := p.u.apply("pgtls_crl", nil, cfg6, pr)
	if hasErrors(d) {
		t.Fatal(diagText(d))
	}
	if n := int64Of(t, st7, "crl_number"); n <= int64Of(t, st6, "crl_number") {
		t.Errorf("re-created CRL number %d is not above the last one %d", n, int64Of(t, st6, "crl_number"))
	}
}

// TestUnitCRLPlanRefusals: every known-input problem fails the plan on its
// attribute, naming the value and the rule.
func TestUnitCRLPlanRefusals(t *testing.T) {
	p := newUnitCRL(t)
	other := p.u.create("pgtls_root_ca", map[string]any{"subject": map[string]any{"common_name": "crl unit other"}})
	foreign := p.u.create("pgtls_client_cert", map[string]any{"ca_cert_pem": strOf(t, other, "cert_pem"),
		"ca_private_key_pem": strOf(t, other, "private_key_pem"), "user": "x"})
	noCRLSign := testpki.NewCAFrom(t, &x509.Certificate{Subject: pkix.Name{CommonName: "no crl sign"}, KeyUsage: x509.KeyUsageCertSign}, nil)
	base := map[string]any{"ca_cert_pem": strOf(t, p.root, "cert_pem"), "ca_private_key_pem": strOf(t, p.root, "private_key_pem")}
	future := p.clock.t.Add(time.Hour).Format(time.RFC3339)
	cases := []struct {
		name  string
		set   map[string]any
		attr  string
		wants []string
	}{
		{"CA without cRLSign", map[string]any{"ca_cert_pem": noCRLSign.PEM, "ca_private_key_pem": noCRLSign.KeyPEM}, "ca_cert_pem", []string{"lacks the cRLSign key usage"}},
		{"key of another CA", map[string]any{"ca_private_key_pem": strOf(t, other, "private_key_pem")}, "ca_private_key_pem", []string{"does not match"}},
		{"a leaf as CA", map[string]any{"ca_cert_pem": strOf(t, p.app1, "cert_pem")}, "ca_cert_pem", []string{"not a CA"}},
		{"another CA's certificate", map[string]any{"revoked": []any{certRef(t, foreign)}}, "revoked", []string{"entry", "CN=crl unit other", "can only revoke its own CA's certificates"}},
		{"serial and certificate disagree", map[string]any{"revoked": []any{map[string]any{"cert_pem": strOf(t, p.app1, "cert_pem"), "serial_number": "7"}}}, "revoked", []string{"serial number 7 does not match"}},
		{"empty entry", map[string]any{"revoked": []any{map[string]any{"reason": "superseded"}}}, "revoked", []string{"serial_number"}},
		{"twice", map[string]any{"revoked": []any{certRef(t, p.app1), map[string]any{"serial_number": strOf(t, p.app1, "serial_number")}}}, "revoked", []string{"revoked twice (also entry 1)"}},
		{"future time", map[string]any{"revoked": []any{map[string]any{"serial_number": "5", "revocation_time": future}}}, "revoked", []string{"in the future"}},
		{"bad time", map[string]any{"revoked": []any{map[string]any{"serial_number": "5", "revocation_time": "yesterday"}}}, "revoked", []string{"RFC 3339"}},
		{"bad reason", map[string]any{"revoked": []any{map[string]any{"serial_number": "5", "reason": "keyCompromise"}}}, "revoked", []string{"key_compromise"}},
		{"bad serial", map[string]any{"revoked": []any{map[string]any{"serial_number": "-5"}}}, "revoked", []string{"-5"}},
		{"fullchain as cert", map[string]any{"revoked": []any{map[string]any{"cert_pem": strOf(t, p.app1, "cert_pem") + strOf(t, p.root, "cert_pem")}}}, "revoked", []string{"exactly one"}},
		{"window as long as validity", map[string]any{"validity_period_hours": 24, "early_renewal_hours": 24}, "early_renewal_hours", []string{"must be less than"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pr := p.u.plan("pgtls_crl", nil, p.u.config("pgtls_crl", merged(base, tc.set)))
			wantDiag(t, pr.diags, tc.attr, tc.wants...)
			for _, d := range pr.diags {
				if strings.Contains(d.Detail, "PRIVATE KEY") {
					t.Errorf("diagnostic echoes a key: %s", d.Detail)
				}
			}
		})
	}
	// The entry errors are on the entry's own attribute.
	pr := p.u.plan("pgtls_crl", nil, p.u.config("pgtls_crl", merged(base, map[string]any{"revoked": []any{certRef(t, p.app1), certRef(t, foreign)}})))
	found := false
	for _, d := range pr.diags {
		if d.Attribute != nil && strings.Contains(d.Attribute.String(), `ElementKeyInt(1)`) && strings.Contains(d.Attribute.String(), `"cert_pem"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("the foreign certificate's error is not on revoked[1].cert_pem:\n%s", diagText(pr.diags))
	}
}

// TestUnitCRLUnknownEntries: a revoked certificate that does not exist yet
// leaves entries unknown at plan time; apply fills them.
func TestUnitCRLUnknownEntries(t *testing.T) {
	p := newUnitCRL(t)
	cfg := p.crlConfig(t, []any{map[string]any{"cert_pem": unknown, "serial_number": unknown}}, nil)
	pr := p.u.plan("pgtls_crl", nil, cfg)
	if hasErrors(pr.diags) {
		t.Fatal(diagText(pr.diags))
	}
	if attrOf(t, pr.planned, "entries").IsKnown() || !attrOf(t, pr.planned, "issuer_dn").IsKnown() {
		t.Errorf("entries known=%v issuer_dn known=%v; want unknown entries, known issuer",
			attrOf(t, pr.planned, "entries").IsKnown(), attrOf(t, pr.planned, "issuer_dn").IsKnown())
	}
	cfgApply := p.crlConfig(t, []any{certRef(t, p.app2)}, nil)
	st, d := p.u.apply("pgtls_crl", nil, cfgApply, planResult{planned: withAttr(t, pr.planned, "revoked", []any{certRef(t, p.app2)})})
	if hasErrors(d) {
		t.Fatal(diagText(d))
	}
	if rows := entryRows(t, st); len(rows) != 1 || rows[0].serial != strOf(t, p.app2, "serial_number") {
		t.Errorf("entries after apply: %+v", rows)
	}
}

// TestUnitCRLImport adopts a CRL made by openssl-like tooling (here the test
// fixture) by its PEM: its number is continued and its entries are kept.
func TestUnitCRLImport(t *testing.T) {
	p := newUnitCRL(t)
	rootCert := parseCert(t, strOf(t, p.root, "cert_pem"))
	key, err := pki.ParsePrivateKeyPEM(strOf(t, p.root, "private_key_pem"))
	if err != nil {
		t.Fatal(err)
	}
	old := testpki.AsCA(t, rootCert, key).CRL(t, p.clock.t.Add(-time.Hour), p.clock.t.Add(time.Hour), big.NewInt(777))
	oldCRL, _ := pki.ParseCRLsPEM(old)
	for _, tc := range []struct {
		id      string
		number  int64
		entries int
	}{{old, oldCRL[0].Number.Int64(), 1}, {"9999999999", 9999999999, 0}} {
		resp, err := p.u.srv.ImportResourceState(context.Background(), &tfprotov6.ImportResourceStateRequest{TypeName: "pgtls_crl", ID: tc.id})
		if err != nil || hasErrors(resp.Diagnostics) || len(resp.ImportedResources) != 1 {
			t.Fatalf("import: %v %s", err, diagText(resp.Diagnostics))
		}
		imported := p.u.decode("pgtls_crl", resp.ImportedResources[0].State)
		st := p.u.read("pgtls_crl", imported)
		_, st2 := p.planApply(t, &st, p.crlConfig(t, nil, nil))
		want := tc.number + 1
		if n := int64Of(t, st2, "crl_number"); n != want {
			t.Errorf("number after import of %d: %d, want %d", tc.number, n, want)
		}
		rows := entryRows(t, st2)
		if len(rows) != tc.entries || tc.entries == 1 && (rows[0].serial != "777" || !rows[0].retained) {
			t.Errorf("entries after import: %+v", rows)
		}
	}
	for _, bad := range []string{"0", "x", "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"} {
		resp, _ := p.u.srv.ImportResourceState(context.Background(), &tfprotov6.ImportResourceStateRequest{TypeName: "pgtls_crl", ID: bad})
		if !hasErrors(resp.Diagnostics) {
			t.Errorf("import id %q accepted", bad)
		}
	}
}

func parseCert(t *testing.T, pemText string) *x509.Certificate {
	t.Helper()
	certs, err := pki.ParseCertificatesPEM(pemText)
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}

// TestUnitCRLLogged: issuing a CRL logs one line with the issuer, the
// number, the entry count and next_update, and never the CA key.
func TestUnitCRLLogged(t *testing.T) {
	p := newUnitCRL(t)
	keyPEM := strOf(t, p.root, "private_key_pem")
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	r := &crlResource{data: defaultProviderData(p.clock.now)}
	entry, d := types.ObjectValue(revokedAttrTypes(), map[string]attr.Value{
		"serial_number": types.StringValue("77"), "cert_pem": types.StringNull(), "reason": types.StringNull(), "revocation_time": types.StringNull()})
	if d.HasError() {
		t.Fatal(d)
	}
	revoked, d := types.ListValue(types.ObjectType{AttrTypes: revokedAttrTypes()}, []attr.Value{entry})
	if d.HasError() {
		t.Fatal(d)
	}
	m := crlModel{
		CACertPEM: types.StringValue(strOf(t, p.root, "cert_pem")), CAPrivateKeyPEM: types.StringValue(keyPEM),
		Revoked: revoked, ValidityPeriodHours: types.Int64Value(48), EarlyRenewalHours: types.Int64Value(12),
		CRLNumber: types.Int64Unknown(), Entries: types.ListUnknown(types.ObjectType{AttrTypes: crlEntryAttrTypes}),
	}
	var diags diag.Diagnostics
	r.issue(ctx, &m, nil, &diags)
	if diags.HasError() {
		t.Fatal(diags)
	}
	out := buf.String()
	if strings.Contains(out, keyPEM[40:80]) || strings.Contains(out, "PRIVATE KEY") {
		t.Fatalf("the CA key reached the log:\n%s", out)
	}
	entries, err := tflogtest.MultilineJSONDecode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e["@message"] != "issued CRL" {
			continue
		}
		found = true
		if e["issuer"] != "CN=crl unit root" || e["crl_number"] != strconv.FormatInt(p.clock.t.Unix(), 10) ||
			e["entries"] != float64(1) || e["next_update"] != p.clock.t.Add(48*time.Hour).Format(time.RFC3339) {
			t.Errorf("log entry %v", e)
		}
	}
	if !found {
		t.Errorf("no \"issued CRL\" log line:\n%s", out)
	}
}
