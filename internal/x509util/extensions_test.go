package x509util

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestUnhandledCriticalExtensionsMatchOpenSSL makes CAs with openssl, each
// with one more extension (critical or not), signs a leaf with each and
// compares `openssl verify` with UnhandledCriticalExtensions (and Go's own
// verifier, which must refuse at least what is listed as Go-unhandled).
func TestUnhandledCriticalExtensionsMatchOpenSSL(t *testing.T) {
	dir := t.TempDir()
	mustOpenSSL(t, dir, "", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", "leaf.key", "-subj", "/CN=leaf", "-out", "leaf.csr")
	for _, ext := range []string{
		"subjectKeyIdentifier=critical,hash",
		"1.2.3.4=critical,ASN1:UTF8String:x",
		"1.2.3.4=ASN1:UTF8String:x",
		"issuerAltName=critical,DNS:ca.example",
		"crlDistributionPoints=critical,URI:http://ca.example/crl",
		"certificatePolicies=critical,1.2.3",
		"noCheck=critical,ignored",
		"subjectAltName=critical,DNS:ca.example",
		"extendedKeyUsage=critical,serverAuth,clientAuth",
		"nameConstraints=critical,permitted;DNS:example.com",
		"policyConstraints=critical,requireExplicitPolicy:0",
		"inhibitAnyPolicy=critical,0",
	} {
		t.Run(ext, func(t *testing.T) {
			sub := filepath.Join(dir, strings.NewReplacer("=", "_", ",", "_", ":", "_", "/", "_", ";", "_").Replace(ext))
			mustOpenSSL(t, dir, "", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
				"-keyout", sub+".key", "-subj", "/CN=ext CA", "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE",
				"-addext", "keyUsage=critical,keyCertSign,cRLSign", "-addext", ext, "-out", sub+".pem")
			mustOpenSSL(t, dir, "", "x509", "-req", "-in", "leaf.csr", "-CA", sub+".pem", "-CAkey", sub+".key", "-days", "1", "-out", sub+"-leaf.pem")
			out, err := openssl(t, dir, "", "verify", "-CAfile", sub+".pem", sub+"-leaf.pem")
			opensslRefuses := err != nil && strings.Contains(out, "unhandled critical extension")
			if err != nil && !opensslRefuses && !strings.Contains(ext, "policy") && !strings.Contains(ext, "Policy") {
				t.Fatalf("openssl verify failed for another reason:\n%s", out)
			}
			certs, perr := ParseCertificatesPEM(readFile(t, sub+".pem"))
			if perr != nil {
				// Go refuses some at parse time (a critical SKI): then
				// OpenSSL must refuse it too, at verify time.
				if !opensslRefuses || !strings.Contains(perr.Error(), "critical") {
					t.Fatalf("Go refuses (%v), openssl refuses: %v", perr, opensslRefuses)
				}
				return
			}
			got := UnhandledCriticalExtensions(certs[0])
			goRefuses := len(certs[0].UnhandledCriticalExtensions) > 0
			if opensslRefuses && len(got) == 0 {
				t.Errorf("openssl refuses (%s) but nothing is listed", strings.TrimSpace(out))
			}
			if !opensslRefuses && !goRefuses && len(got) > 0 {
				t.Errorf("listed %v but neither openssl nor Go refuses", got)
			}
			t.Logf("openssl refuses: %v, Go unhandled: %v, listed: %v", opensslRefuses, certs[0].UnhandledCriticalExtensions, got)
		})
	}
}
