package cipherlist

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

func TestCipherListAgainstOpenSSL(t *testing.T) {
	openssl := testserver.RequireOpenSSL(t)
	// Every cipher name pgtls accepts is known to this OpenSSL.
	for name := range opensslCipherNames {
		if out, err := exec.Command(openssl, "ciphers", name+":@SECLEVEL=0").CombinedOutput(); err != nil {
			t.Errorf("openssl does not know %s: %s", name, out)
		}
	}
	// The reason typos are errors: OpenSSL ignores an unknown name, so a
	// misspelt exclusion keeps the anonymous suites.
	out, err := exec.Command(openssl, "ciphers", "HIGH:!aNUL:@SECLEVEL=0").Output()
	if err != nil || !strings.Contains(string(out), "ADH-") {
		t.Errorf("expected OpenSSL to keep ADH suites for HIGH:!aNUL, got %s %v", out, err)
	}
	for _, c := range []struct {
		s        string
		ok, warn bool
	}{
		{"HIGH:!aNULL", true, false},
		{"HIGH:MEDIUM:+3DES:!aNULL", true, false},
		{"ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:@STRENGTH", true, false},
		{"DEFAULT:!EXPORT:!LOW", true, false},
		{"HIGH:!aNUL", false, false},
		{"!aNULL", false, false},
		{"EXPORT", false, false},
		{"ALL", true, true},
		{"HIGH:eNULL", true, true},
		{"HIGH:@SECLEVEL=0", true, true},
		{"HIGH:@SECLEVEL=9", false, false},
		{"", false, false},
	} {
		msg, warns := Check(c.s)
		if (msg == "") != c.ok || (len(warns) > 0) != c.warn {
			t.Errorf("Check(%q) = %q, %v; want ok=%v warn=%v", c.s, msg, warns, c.ok, c.warn)
		}
	}
}

func TestTLS13(t *testing.T) {
	if msg := CheckTLS13("TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"); msg != "" {
		t.Error(msg)
	}
	for _, bad := range []string{"", "TLS_AES_256_GCM_SHA384:", "TLS_AES_256_GCM", "ECDHE-RSA-AES128-GCM-SHA256"} {
		if CheckTLS13(bad) == "" {
			t.Errorf("%q accepted", bad)
		}
	}
}
