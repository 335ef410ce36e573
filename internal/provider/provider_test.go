package provider

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// testClock is a clock the tests can move: now() is the real time plus a
// shift, so certificates made in one step can be seen from the future in
// the next.
type testClock struct{ shift atomic.Int64 }

func (c *testClock) now() time.Time      { return time.Now().Add(time.Duration(c.shift.Load())) }
func (c *testClock) set(d time.Duration) { c.shift.Store(int64(d)) }
func (c *testClock) factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"pgtls": providerserver.NewProtocol6WithError(NewWithClock("test", c.now)()),
	}
}

// testAccProtoV6ProviderFactories serves the provider in-process with the
// real clock.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"pgtls": providerserver.NewProtocol6WithError(New("test")()),
}

// stateAttr reads one attribute of a resource from state.
func stateAttr(s *terraform.State, addr, attr string) (string, bool) {
	rs, ok := s.RootModule().Resources[addr]
	if !ok || rs.Primary == nil {
		return "", false
	}
	v, ok := rs.Primary.Attributes[attr]
	return v, ok
}

// writeTemp writes PEM content to a fresh file in dir with mode 0600.
func writeTemp(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runOpenSSL runs openssl and returns combined output, failing on error.
func runOpenSSL(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(testserver.RequireOpenSSL(t), args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func regexpMust(s string) *regexp.Regexp { return regexp.MustCompile(s) }
