package libpq

import (
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
)

// A role other than the certificate's CN warns unless the bundle names the
// pg_ident map that allows it.
func TestUserDiffersFromCNNeedsIdentMap(t *testing.T) {
	ca := testpki.NewCA(t, "root")
	leaf := ca.Client(t, "app1")
	b := Bundle{Hosts: []string{"db.example.com"}, User: "app_rw", CertPEM: leaf.CertPEM, KeyPEM: leaf.KeyPEM, RootCertPEM: ca.PEM}
	warned := func(b Bundle) bool {
		for _, p := range b.Validate() {
			if p.Field == "user" && strings.Contains(p.Message, "pg_ident map") {
				return true
			}
		}
		return false
	}
	if !warned(b) {
		t.Fatal("user app_rw with a certificate for CN app1 must warn without ident_map")
	}
	b.IdentMap = "certmap"
	if warned(b) {
		t.Fatal("the warning must go once the pg_ident map is named")
	}
}
