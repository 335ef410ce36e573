package x509util

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// openssl runs the openssl binary (the oracle) in dir with stdin and
// returns its combined output and error.
func openssl(t testing.TB, dir, stdin string, args ...string) (string, error) {
	t.Helper()
	return testpki.OpenSSL{Bin: testserver.RequireOpenSSL(t), Dir: dir}.Run(t, stdin, args...)
}

// mustOpenSSL is openssl that fails the test on error.
func mustOpenSSL(t testing.TB, dir, stdin string, args ...string) string {
	t.Helper()
	out, err := openssl(t, dir, stdin, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeAll(dir string, files map[string]string) error {
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	return nil
}
