package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestUnitRenewalKeyRotation: inside the renewal window every certificate
// resource renews. By default it is replaced (a new key); with
// reuse_key_on_renewal it is re-issued in place with the key in state: the
// plan keeps the key outputs known and makes the certificate outputs
// unknown, re-planning later (as Terraform does during apply) gives the same
// plan, and the new certificate has the same key, subject and SANs and a
// new serial and validity.
func TestUnitRenewalKeyRotation(t *testing.T) {
	clock := &testClock{}
	u := newUnitProvider(t, clock.now)
	root := u.create("pgtls_root_ca", map[string]any{"subject": map[string]any{"common_name": "rotation root"}})
	issuer := map[string]any{"ca_cert_pem": strOf(t, root, "cert_pem"), "ca_private_key_pem": strOf(t, root, "private_key_pem")}
	window := map[string]any{"validity_period_hours": 100, "early_renewal_hours": 10}
	configs := map[string]map[string]any{
		"pgtls_root_ca":         merged(window, map[string]any{"subject": map[string]any{"common_name": "renewed root"}}),
		"pgtls_intermediate_ca": merged(window, issuer, map[string]any{"subject": map[string]any{"common_name": "renewed inter"}}),
		"pgtls_server_cert":     merged(window, issuer, map[string]any{"dns_names": []string{"db.example.com"}, "ip_addresses": []string{"10.0.0.5"}}),
		"pgtls_client_cert":     merged(window, issuer, map[string]any{"user": "app", "dns_names": []string{"app.example.com"}}),
	}
	keyOutputs := []string{"private_key_pem", "public_key_pem", "subject_key_id"}
	identity := map[string][]string{
		"pgtls_server_cert": {"subject_dn"}, "pgtls_client_cert": {"subject_dn", "private_key_pkcs8_der_base64"},
	}
	for typ, attrs := range configs {
		for _, reuse := range []bool{false, true} {
			t.Run(typ+map[bool]string{true: "/reuse", false: "/rotate"}[reuse], func(t *testing.T) {
				clock.set(0)
				attrs := merged(attrs, map[string]any{"reuse_key_on_renewal": reuse})
				state := u.create(typ, attrs)
				cfg := u.config(typ, attrs)
				clock.set(95 * time.Hour)
				pr := u.plan(typ, &state, cfg)
				if hasErrors(pr.diags) {
					t.Fatal(diagText(pr.diags))
				}
				if attrOf(t, pr.planned, "cert_pem").IsKnown() {
					t.Error("cert_pem known in a renewal plan")
				}
				if !reuse {
					if len(pr.replace) != 1 || !strings.Contains(pr.replace[0], "ready_for_renewal") {
						t.Fatalf("default renewal is not a replacement: %v", pr.replace)
					}
				} else {
					if len(pr.replace) != 0 {
						t.Fatalf("renewal keeping the key replaces: %v", pr.replace)
					}
					for _, a := range append(keyOutputs, identity[typ]...) {
						if !attrOf(t, pr.planned, a).Equal(attrOf(t, state, a)) {
							t.Errorf("%s changes in the plan of a renewal that keeps the key", a)
						}
					}
					clock.set(95*time.Hour + 30*time.Second)
					if again := u.plan(typ, &state, cfg); !again.planned.Equal(pr.planned) {
						t.Errorf("re-planning later gives another plan")
					}
				}
				renewed, d := u.apply(typ, &state, cfg, pr)
				if hasErrors(d) {
					t.Fatal(diagText(d))
				}
				// Terraform's rule: every value known in the plan is the
				// applied one.
				var planned, applied map[string]tftypes.Value
				_ = pr.planned.As(&planned)
				_ = renewed.As(&applied)
				for name, v := range planned {
					if v.IsFullyKnown() && !v.Equal(applied[name]) {
						t.Errorf("%s: planned %s, applied %s", name, v, applied[name])
					}
				}
				if strOf(t, renewed, "serial_number") == strOf(t, state, "serial_number") || strOf(t, renewed, "not_after") == strOf(t, state, "not_after") {
					t.Error("the renewed certificate has the old serial or validity")
				}
				var due bool
				_ = attrOf(t, renewed, "ready_for_renewal").As(&due)
				if due {
					t.Error("the renewed certificate is due for renewal")
				}
				sameKey := strOf(t, renewed, "private_key_pem") == strOf(t, state, "private_key_pem")
				if sameKey != reuse {
					t.Errorf("reuse_key_on_renewal=%v but the key is the same: %v", reuse, sameKey)
				}
				for _, a := range identity[typ] {
					if a == "subject_dn" && strOf(t, renewed, a) != strOf(t, state, a) {
						t.Errorf("subject_dn changed on renewal: %s -> %s", strOf(t, state, a), strOf(t, renewed, a))
					}
				}
				c := parseCert(t, strOf(t, renewed, "cert_pem"))
				old := parseCert(t, strOf(t, state, "cert_pem"))
				if c.Subject.String() != old.Subject.String() || strings.Join(c.DNSNames, ",") != strings.Join(old.DNSNames, ",") ||
					len(c.IPAddresses) != len(old.IPAddresses) {
					t.Errorf("identity changed on renewal: %s %v -> %s %v", old.Subject, old.DNSNames, c.Subject, c.DNSNames)
				}
				if reuse {
					// The next plan is empty.
					if pr := u.plan(typ, &renewed, cfg); len(pr.replace) != 0 || !pr.planned.Equal(renewed) {
						t.Errorf("the plan after an in-place renewal is not empty")
					}
				}
			})
		}
	}
	// Switching the mode alone changes nothing but the attribute.
	clock.set(0)
	attrs := merged(configs["pgtls_server_cert"], map[string]any{"reuse_key_on_renewal": false})
	state := u.create("pgtls_server_cert", attrs)
	pr := u.plan("pgtls_server_cert", &state, u.config("pgtls_server_cert", merged(attrs, map[string]any{"reuse_key_on_renewal": true})))
	if len(pr.replace) != 0 || !attrOf(t, pr.planned, "cert_pem").Equal(attrOf(t, state, "cert_pem")) ||
		!attrOf(t, pr.planned, "reuse_key_on_renewal").Equal(tftypes.NewValue(tftypes.Bool, true)) {
		t.Errorf("switching reuse_key_on_renewal re-issues: replace %v", pr.replace)
	}
}
