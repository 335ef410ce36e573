package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
)

// TestUnitCRLBundle: the bundle of a root's and an intermediate's CRL, its
// file and directory forms known at plan time, and the coverage check at
// plan time (also while a CRL is being re-issued).
func TestUnitCRLBundle(t *testing.T) {
	c := &fixedClock{t: time.Now().UTC().Truncate(time.Second)}
	u := newUnitProvider(t, c.now)
	root := u.create("pgtls_root_ca", map[string]any{"subject": map[string]any{"common_name": "bundle root"}})
	inter := u.create("pgtls_intermediate_ca", map[string]any{"subject": map[string]any{"common_name": "bundle inter"},
		"ca_cert_pem": strOf(t, root, "cert_pem"), "ca_private_key_pem": strOf(t, root, "private_key_pem")})
	crlOf := func(ca tftypes.Value, extra map[string]any) tftypes.Value {
		return u.create("pgtls_crl", merged(map[string]any{"ca_cert_pem": strOf(t, ca, "cert_pem"),
			"ca_private_key_pem": strOf(t, ca, "private_key_pem")}, extra))
	}
	rootCRL := crlOf(root, nil)
	interCRL := crlOf(inter, map[string]any{"validity_period_hours": 100, "early_renewal_hours": 10})
	both := strOf(t, root, "cert_pem") + strOf(t, inter, "cert_pem")
	elem := func(crl tftypes.Value, ca tftypes.Value) map[string]any {
		return map[string]any{"crl_pem": strOf(t, crl, "crl_pem"), "ca_cert_pem": strOf(t, ca, "cert_pem")}
	}

	pr := u.plan("pgtls_crl_bundle", nil, u.config("pgtls_crl_bundle", map[string]any{
		"crls": []any{elem(rootCRL, root), elem(interCRL, inter)}, "ca_certs_pem": both}))
	if hasErrors(pr.diags) {
		t.Fatal(diagText(pr.diags))
	}
	if got, want := strOf(t, pr.planned, "crl_pem"), strOf(t, rootCRL, "crl_pem")+strOf(t, interCRL, "crl_pem"); got != want {
		t.Errorf("crl_pem is not the two CRLs in order")
	}
	if got, want := strOf(t, pr.planned, "next_update"), strOf(t, interCRL, "next_update"); got != want {
		t.Errorf("next_update %s, want the earliest %s", got, want)
	}
	var files map[string]tftypes.Value
	if err := attrOf(t, pr.planned, "crl_dir_files").As(&files); err != nil {
		t.Fatal(err)
	}
	for _, crl := range []tftypes.Value{rootCRL, interCRL} {
		name := strOf(t, crl, "issuer_hash") + ".r0"
		var got string
		if v, ok := files[name]; !ok || v.As(&got) != nil || got != strOf(t, crl, "crl_pem") {
			t.Errorf("crl_dir_files lacks %s with the CRL (have %d files)", name, len(files))
		}
	}

	type bundleCase struct {
		name  string
		cfg   map[string]any
		attr  string
		wants []string
	}
	cases := []bundleCase{
		{"root CRL missing", map[string]any{"crls": []any{elem(interCRL, inter)}, "ca_certs_pem": both},
			"ca_certs_pem", []string{"no CRL from CA \"CN=bundle root\"", "CRL_CHECK_ALL", "its own certificate"}},
		{"intermediate CRL missing", map[string]any{"crls": []any{elem(rootCRL, root)}, "ca_certs_pem": both},
			"ca_certs_pem", []string{"no CRL from CA \"CN=bundle inter\""}},
		{"CRL of another CA", map[string]any{"crls": []any{map[string]any{"crl_pem": strOf(t, rootCRL, "crl_pem"), "ca_cert_pem": strOf(t, inter, "cert_pem")}}},
			"crls", []string{"not signed by the CA in ca_cert_pem"}},
		{"not a CRL", map[string]any{"crls": []any{map[string]any{"crl_pem": "x"}}}, "crls", []string{"not PEM"}},
	}
	// An expired CRL of the root, and a second CRL of the root.
	rootCert := parseCert(t, strOf(t, root, "cert_pem"))
	rootKey, err := pki.ParsePrivateKeyPEM(strOf(t, root, "private_key_pem"))
	if err != nil {
		t.Fatal(err)
	}
	tp := testpki.AsCA(t, rootCert, rootKey)
	expired := tp.CRL(t, c.t.Add(-48*time.Hour), c.t.Add(-time.Hour))
	second := tp.CRL(t, c.t.Add(-time.Hour), c.t.Add(time.Hour))
	cases = append(cases,
		bundleCase{"expired", map[string]any{"crls": []any{map[string]any{"crl_pem": expired}, elem(interCRL, inter)}}, "crls", []string{"expired at", "certificate expired"}},
		bundleCase{"two CRLs of the root", map[string]any{"crls": []any{elem(rootCRL, root), map[string]any{"crl_pem": second}}}, "crls", []string{"two different CRLs from the same CA"}},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pr := u.plan("pgtls_crl_bundle", nil, u.config("pgtls_crl_bundle", tc.cfg))
			wantDiag(t, pr.diags, tc.attr, tc.wants...)
		})
	}

	// The intermediate's CRL is being re-issued (unknown) but its CA is
	// known: covered, no error, outputs unknown until apply.
	pending := map[string]any{"crl_pem": unknown, "ca_cert_pem": strOf(t, inter, "cert_pem")}
	pr = u.plan("pgtls_crl_bundle", nil, u.config("pgtls_crl_bundle", map[string]any{"crls": []any{elem(rootCRL, root), pending}, "ca_certs_pem": both}))
	if hasErrors(pr.diags) || attrOf(t, pr.planned, "crl_pem").IsKnown() {
		t.Errorf("pending CRL: %s, crl_pem known=%v", diagText(pr.diags), attrOf(t, pr.planned, "crl_pem").IsKnown())
	}
	// ... while a missing root CRL is still found.
	pr = u.plan("pgtls_crl_bundle", nil, u.config("pgtls_crl_bundle", map[string]any{"crls": []any{pending}, "ca_certs_pem": both}))
	wantDiag(t, pr.diags, "ca_certs_pem", "CN=bundle root")
	if strings.Contains(diagText(pr.diags), "CN=bundle inter\"") && strings.Contains(diagText(pr.diags), "no CRL from CA \"CN=bundle inter") {
		t.Errorf("the pending intermediate CRL was reported missing:\n%s", diagText(pr.diags))
	}
}
