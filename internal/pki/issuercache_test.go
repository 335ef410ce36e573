package pki

import (
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
)

func TestIssuerCache(t *testing.T) {
	root := mustRoot(t, caReq("cache root", KeyECDSAP256))
	other := mustRoot(t, caReq("cache other", KeyECDSAP256))
	inter, err := NewIntermediateCA(caReq("cache inter", KeyECDSAP256), issuerOf(t, root), t0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	chain := inter.ChainPEM + inter.CABundlePEM
	c := NewIssuerCache(2)

	want, err := ParseIssuer(inter.CertPEM, inter.PrivateKeyPEM, chain)
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Issuer(inter.CertPEM, inter.PrivateKeyPEM, chain)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Cert.Equal(want.Cert) || !first.Root.Equal(want.Root) || len(first.Intermediates) != len(want.Intermediates) {
		t.Fatalf("cached issuer differs from ParseIssuer: %+v vs %+v", first, want)
	}
	again, _ := c.Issuer(inter.CertPEM, inter.PrivateKeyPEM, chain)
	if again != first {
		t.Error("second lookup parsed again instead of reusing the first result")
	}
	ic, err := c.IssuerCert(inter.CertPEM, chain)
	if err != nil || !ic.Cert.Equal(want.Cert) {
		t.Fatalf("IssuerCert: %v", err)
	}
	// The chain is part of the key: without it the root is not known.
	noChain, err := c.IssuerCert(inter.CertPEM, "")
	if err != nil || noChain.Root != nil {
		t.Fatalf("issuer without its chain: root %v, err %v", noChain.Root, err)
	}

	// Refusals are ParseIssuer's and are never remembered: a key that does
	// not match is refused every time, also after the right one was cached.
	for i := 0; i < 2; i++ {
		_, err := c.Issuer(inter.CertPEM, other.PrivateKeyPEM, chain)
		_, want := ParseIssuer(inter.CertPEM, other.PrivateKeyPEM, chain)
		if err == nil || want == nil || err.Error() != want.Error() {
			t.Fatalf("mismatched key: cache says %v, ParseIssuer says %v", err, want)
		}
	}
	if _, err := c.IssuerCert("not a pem", ""); err == nil {
		t.Fatal("garbage issuer accepted")
	}

	// Bounded: never more than max entries of each kind.
	for i, is := range []*Issued{root, other, inter} {
		if _, err := c.Issuer(is.CertPEM, is.PrivateKeyPEM, ""); err != nil {
			t.Fatalf("issuer %d: %v", i, err)
		}
		if len(c.issuers) > 2 || len(c.certs) > 2 {
			t.Fatalf("cache holds %d issuers and %d certificates, bound is 2", len(c.issuers), len(c.certs))
		}
	}
}

// TestIssuerCacheConcurrent is for -race: Terraform plans and applies
// resources in parallel through one provider process.
func TestIssuerCacheConcurrent(t *testing.T) {
	cas := []*Issued{mustRoot(t, caReq("race a", KeyECDSAP256)), mustRoot(t, caReq("race b", KeyEd25519))}
	c := NewIssuerCache(1)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ca := cas[i%2]
			iss, err := c.Issuer(ca.CertPEM, ca.PrivateKeyPEM, "")
			if err == nil && iss.Cert.Subject.CommonName != fmt.Sprintf("race %c", 'a'+i%2) {
				err = fmt.Errorf("got issuer %s for CA %d", iss.Cert.Subject.CommonName, i%2)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
