package reload

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/pgtls/terraform-provider-pgtls/internal/localfiles"
	"github.com/pgtls/terraform-provider-pgtls/internal/x509util"
)

// tlsFiles are the TLS files a program loads on reload (absolute paths,
// "" when unset).
type tlsFiles struct {
	Cert, Key, CA, CRL string
	// KeyOwner is the uid a key file must have unless root owns it (the
	// program's user); -1 when unknown.
	KeyOwner int
	// Program names the reader in messages.
	Program Program
}

// touched reports whether the set holds one of the files.
func (tf tlsFiles) touched(ix *fileIndex) bool {
	for _, p := range []string{tf.Cert, tf.Key, tf.CA, tf.CRL} {
		if _, ok := ix.lookup(p); ok {
			return true
		}
	}
	return false
}

// check loads the files as the program is about to, and reports what would
// make it keep its old TLS configuration (PostgreSQL: "SSL configuration
// was not reloaded", and a server that no longer starts) or drop TLS.
// Messages never contain file content.
func (tf tlsFiles) check() (findings []Finding, warnings []string) {
	add := func(file, format string, a ...any) {
		findings = append(findings, Finding{File: file, Message: fmt.Sprintf(format, a...)})
	}
	var certPEM []byte
	if tf.Cert != "" {
		b, err := os.ReadFile(tf.Cert)
		if err != nil {
			add(tf.Cert, "could not load server certificate file: %v", err)
		} else if _, err := x509util.ParseCertificatesPEM(string(b)); err != nil {
			add(tf.Cert, "could not load server certificate file: %v", err)
		} else {
			certPEM = b
		}
	}
	if tf.Key != "" {
		fi, err := os.Stat(tf.Key)
		if err != nil {
			add(tf.Key, "could not access private key file: %v", err)
		} else {
			if !fi.Mode().IsRegular() {
				add(tf.Key, "private key file is not a regular file")
			}
			uid, ok := ownerOf(fi)
			if ok && tf.KeyOwner >= 0 && uid != tf.KeyOwner && uid != 0 {
				add(tf.Key, "private key file must be owned by the %s user (uid %d) or root, not uid %d", programName(tf.Program), tf.KeyOwner, uid)
			}
			if ok {
				if msg := localfiles.ModeProblem(localfiles.PrivateKey, fi.Mode().Perm(), uid == 0); msg != "" {
					add(tf.Key, "private key file mode %s %s", localfiles.FormatMode(fi.Mode().Perm()), msg)
				}
			}
			key, err := os.ReadFile(tf.Key)
			switch {
			case err != nil:
				add(tf.Key, "could not load private key file: %v", err)
			case bytes.Contains(key, []byte("ENCRYPTED")):
				warnings = append(warnings, tf.Key+": the private key is encrypted; whether the passphrase command unlocks it and whether it matches the certificate was not checked")
			case certPEM != nil:
				if _, err := tls.X509KeyPair(certPEM, key); err != nil {
					// crypto/tls errors describe the mismatch, never the key.
					add(tf.Key, "private key does not match the certificate in %s (or is not a PEM private key): %v", tf.Cert, err)
				}
			}
		}
	}
	if tf.CA != "" {
		b, err := os.ReadFile(tf.CA)
		if err != nil {
			add(tf.CA, "could not load root certificate file: %v", err)
		} else {
			if _, err := x509util.ParseCertificatesPEM(string(b)); err != nil {
				add(tf.CA, "could not load root certificate file: %v", err)
			}
		}
	}
	if tf.CRL != "" {
		b, err := os.ReadFile(tf.CRL)
		if err != nil {
			add(tf.CRL, "could not load SSL certificate revocation list file: %v", err)
		} else {
			if _, err := x509util.ParseCRLsPEM(string(b)); err != nil {
				add(tf.CRL, "could not load SSL certificate revocation list file: %v", err)
			}
		}
	}
	return findings, warnings
}

// leafFingerprint is the SHA-256 of the first certificate in the file at
// path, lower-case hex ("" when there is none).
func leafFingerprint(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	certs, err := x509util.ParseCertificatesPEM(string(b))
	if err != nil || len(certs) == 0 {
		return ""
	}
	return fingerprint(certs[0])
}

func fingerprint(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return hex.EncodeToString(s[:])
}
