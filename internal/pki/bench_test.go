package pki

import (
	"crypto/rand"
	"testing"
	"time"
)

func BenchmarkRootCA(b *testing.B) {
	for _, kt := range []KeyType{KeyECDSAP256, KeyECDSAP384, KeyEd25519, KeyRSA2048} {
		b.Run(string(kt), func(b *testing.B) {
			req := caReq("bench root", kt)
			for b.Loop() {
				if _, err := NewRootCA(req, t0, rand.Reader); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNewServerCert(b *testing.B) {
	iss := issuerOf(b, mustRoot(b, caReq("bench ca", KeyECDSAP256)))
	for _, kt := range []KeyType{KeyECDSAP256, KeyECDSAP384, KeyRSA2048, KeyRSA3072, KeyEd25519} {
		b.Run(string(kt), func(b *testing.B) {
			req := ServerRequest{DNSNames: []string{"db.example.com"}, KeyType: kt, Validity: time.Hour}
			for b.Loop() {
				if _, err := NewServerCert(req, iss, t0, rand.Reader); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseIssuer(b *testing.B) {
	root := mustRoot(b, caReq("bench parse", KeyECDSAP256))
	inter, err := NewIntermediateCA(caReq("bench inter", KeyECDSAP256), issuerOf(b, root), t0, rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ParseIssuer(inter.CertPEM, inter.PrivateKeyPEM, inter.ChainPEM+inter.CABundlePEM); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssuerCacheHit is what a certificate pays for its CA once the
// provider has seen it (BenchmarkParseIssuer is the miss).
func BenchmarkIssuerCacheHit(b *testing.B) {
	root := mustRoot(b, caReq("bench cache", KeyECDSAP256))
	c := NewIssuerCache(8)
	for b.Loop() {
		if _, err := c.Issuer(root.CertPEM, root.PrivateKeyPEM, ""); err != nil {
			b.Fatal(err)
		}
	}
}
