package pki

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fastKeyTypes are the key types tested in loops (rsa-4096 is tested once).
var fastKeyTypes = []KeyType{KeyECDSAP256, KeyECDSAP384, KeyRSA2048, KeyRSA3072, KeyEd25519}

func wantSigAlg(kt KeyType) x509.SignatureAlgorithm {
	switch kt {
	case KeyECDSAP256:
		return x509.ECDSAWithSHA256
	case KeyECDSAP384:
		return x509.ECDSAWithSHA384
	case KeyEd25519:
		return x509.PureEd25519
	}
	return x509.SHA256WithRSA
}

func checkSerial(t *testing.T, c *x509.Certificate) {
	t.Helper()
	if c.SerialNumber.Sign() <= 0 {
		t.Errorf("serial %s is not positive", c.SerialNumber)
	}
	if c.SerialNumber.BitLen() > 128 {
		t.Errorf("serial has %d bits, want <= 128", c.SerialNumber.BitLen())
	}
	if SerialString(c) != c.SerialNumber.Text(10) {
		t.Errorf("SerialString = %q", SerialString(c))
	}
}

func checkSKI(t *testing.T, c *x509.Certificate) {
	t.Helper()
	var spki struct {
		Alg asn1.RawValue
		Key asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(spki.Key.Bytes)
	e, ok := ext(c, oidExtSKI)
	if !ok || e.Critical {
		t.Fatalf("SKI extension present=%v critical=%v, want present and not critical", ok, e.Critical)
	}
	if !bytes.Equal(c.SubjectKeyId, sum[:]) {
		t.Errorf("SKI = %x, want SHA-1 of the public key bits %x", c.SubjectKeyId, sum)
	}
	if SubjectKeyIDHex(c) != strings.ToLower(SubjectKeyIDHex(c)) || len(SubjectKeyIDHex(c)) != 40 {
		t.Errorf("SubjectKeyIDHex = %q", SubjectKeyIDHex(c))
	}
}

func checkCAExtensions(t *testing.T, c *x509.Certificate, pathLen int) {
	t.Helper()
	bc, ok := ext(c, oidExtBasicConstraints)
	if !ok || !bc.Critical {
		t.Fatalf("basicConstraints present=%v critical=%v, want critical", ok, bc.Critical)
	}
	var got struct {
		IsCA    bool `asn1:"optional"`
		PathLen int  `asn1:"optional,default:-1"`
	}
	if _, err := asn1.Unmarshal(bc.Value, &got); err != nil {
		t.Fatal(err)
	}
	if !got.IsCA || got.PathLen != pathLen {
		t.Errorf("basicConstraints = CA:%v pathlen:%d, want CA:TRUE pathlen:%d (-1 = absent)", got.IsCA, got.PathLen, pathLen)
	}
	ku, ok := ext(c, oidExtKeyUsage)
	if !ok || !ku.Critical {
		t.Fatalf("keyUsage present=%v critical=%v", ok, ku.Critical)
	}
	if want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature; c.KeyUsage != want {
		t.Errorf("keyUsage = %b, want %b", c.KeyUsage, want)
	}
	if _, ok := ext(c, oidExtExtKeyUsage); ok {
		t.Error("CA has an extendedKeyUsage extension")
	}
	checkSKI(t, c)
	checkSerial(t, c)
}

func checkLeafExtensions(t *testing.T, c *x509.Certificate, iss *x509.Certificate, kt KeyType, eku x509.ExtKeyUsage) {
	t.Helper()
	bc, ok := ext(c, oidExtBasicConstraints)
	if !ok || !bc.Critical {
		t.Fatalf("basicConstraints present=%v critical=%v, want critical", ok, bc.Critical)
	}
	if !bytes.Equal(bc.Value, []byte{0x30, 0x00}) { // SEQUENCE {} = CA:FALSE, no pathlen
		t.Errorf("basicConstraints value %x, want 3000 (CA:FALSE)", bc.Value)
	}
	ku, ok := ext(c, oidExtKeyUsage)
	if !ok || !ku.Critical {
		t.Fatalf("keyUsage present=%v critical=%v", ok, ku.Critical)
	}
	want := x509.KeyUsageDigitalSignature
	if strings.HasPrefix(string(kt), "rsa-") {
		want |= x509.KeyUsageKeyEncipherment
	}
	if c.KeyUsage != want {
		t.Errorf("keyUsage = %b, want %b", c.KeyUsage, want)
	}
	e, ok := ext(c, oidExtExtKeyUsage)
	if !ok || e.Critical {
		t.Fatalf("EKU present=%v critical=%v", ok, e.Critical)
	}
	if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != eku || len(c.UnknownExtKeyUsage) != 0 {
		t.Errorf("EKU = %v, want only %v", c.ExtKeyUsage, eku)
	}
	aki, ok := ext(c, oidExtAKI)
	if !ok || aki.Critical {
		t.Fatalf("AKI present=%v critical=%v", ok, aki.Critical)
	}
	if !bytes.Equal(c.AuthorityKeyId, iss.SubjectKeyId) {
		t.Errorf("AKI %x != issuer SKI %x", c.AuthorityKeyId, iss.SubjectKeyId)
	}
	checkSKI(t, c)
	checkSerial(t, c)
	if c.SignatureAlgorithm != wantSigAlg(KeyType(KeyTypeOf(iss.PublicKey))) {
		t.Errorf("signature %v for a %s issuer", c.SignatureAlgorithm, KeyTypeOf(iss.PublicKey))
	}
	if err := c.CheckSignatureFrom(iss); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
}

func TestEveryKeyType(t *testing.T) {
	for _, kt := range fastKeyTypes {
		t.Run(string(kt), func(t *testing.T) {
			root := mustRoot(t, caReq("root "+string(kt), kt))
			c := root.Cert
			checkCAExtensions(t, c, -1)
			if c.SignatureAlgorithm != wantSigAlg(kt) {
				t.Errorf("root signature %v, want %v", c.SignatureAlgorithm, wantSigAlg(kt))
			}
			if KeyTypeOf(c.PublicKey) != string(kt) || Describe(c).KeyType != string(kt) {
				t.Errorf("key type %s, want %s", KeyTypeOf(c.PublicKey), kt)
			}
			if _, ok := ext(c, oidExtAKI); ok {
				t.Error("self-signed root has an AKI")
			}
			if !isSelfSigned(c) || !reflect.DeepEqual(Describe(c).SelfSigned, boolPtr(true)) || !Describe(c).IsCA {
				t.Error("root is not self-signed CA")
			}
			if wantNB := t0.Add(-5 * time.Minute); !c.NotBefore.Equal(wantNB) {
				t.Errorf("NotBefore = %s, want %s", c.NotBefore, wantNB)
			}
			if wantNA := t0.Add(10 * 365 * 24 * time.Hour); !c.NotAfter.Equal(wantNA) {
				t.Errorf("NotAfter = %s, want %s", c.NotAfter, wantNA)
			}
			if root.CABundlePEM != root.CertPEM || root.ChainPEM != "" || root.FullchainPEM != "" {
				t.Error("root outputs: CABundle must be the root itself, chain and fullchain empty")
			}
			key, err := ParsePrivateKeyPEM(root.PrivateKeyPEM)
			if err != nil || !publicKeysEqual(key.Public(), c.PublicKey) {
				t.Fatalf("private key PEM does not round-trip: %v", err)
			}
			if !strings.HasPrefix(root.PrivateKeyPEM, "-----BEGIN PRIVATE KEY-----\n") || !strings.HasPrefix(root.PublicKeyPEM, "-----BEGIN PUBLIC KEY-----\n") {
				t.Error("key PEM types: want PKCS#8 PRIVATE KEY and PKIX PUBLIC KEY")
			}

			iss := issuerOf(t, root)
			srv := mustServer(t, iss, ServerRequest{DNSNames: []string{"DB.example.com", "*.db.example.com"}, IPAddresses: []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}, KeyType: kt, Validity: 24 * time.Hour})
			checkLeafExtensions(t, srv.Cert, c, kt, x509.ExtKeyUsageServerAuth)
			if got := srv.Cert.DNSNames; len(got) != 2 || got[0] != "db.example.com" || got[1] != "*.db.example.com" {
				t.Errorf("DNS SANs %v", got)
			}
			if got := srv.Cert.IPAddresses; len(got) != 2 || !got[0].Equal(net.ParseIP("127.0.0.1")) || len(got[0]) != 4 || !got[1].Equal(net.ParseIP("::1")) {
				t.Errorf("IP SANs %v", got)
			}
			if san, ok := ext(srv.Cert, oidExtSAN); !ok || san.Critical {
				t.Errorf("SAN present=%v critical=%v, want non-critical (subject is not empty)", ok, san.Critical)
			}
			if srv.Cert.Subject.CommonName != "DB.example.com" || RFC2253(srv.Cert) != "CN=DB.example.com" {
				t.Errorf("server CN %q, want the first DNS name", srv.Cert.Subject.CommonName)
			}
			if srv.FullchainPEM != srv.CertPEM || srv.CABundlePEM != root.CertPEM {
				t.Error("leaf under root: fullchain must be the leaf alone, CA bundle the root")
			}
			if _, err := srv.Cert.Verify(x509.VerifyOptions{Roots: pool(c), DNSName: "x.db.example.com", CurrentTime: t0}); err != nil {
				t.Errorf("Go verify: %v", err)
			}

			cli := mustClient(t, iss, ClientRequest{User: "app_user", KeyType: kt, Validity: 24 * time.Hour})
			checkLeafExtensions(t, cli.Cert, c, kt, x509.ExtKeyUsageClientAuth)
			if RFC2253(cli.Cert) != "CN=app_user" || len(cli.Cert.DNSNames)+len(cli.Cert.IPAddresses) != 0 {
				t.Errorf("client subject %q / SANs", RFC2253(cli.Cert))
			}
			if _, err := cli.Cert.Verify(x509.VerifyOptions{Roots: pool(c), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, CurrentTime: t0}); err != nil {
				t.Errorf("Go verify client: %v", err)
			}
		})
	}
}

func TestRSA4096Once(t *testing.T) {
	root := mustRoot(t, caReq("rsa4096", KeyRSA4096))
	if KeyTypeOf(root.Cert.PublicKey) != "rsa-4096" || root.Cert.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Fatalf("key %s sig %v", KeyTypeOf(root.Cert.PublicKey), root.Cert.SignatureAlgorithm)
	}
	checkCAExtensions(t, root.Cert, -1)
}

func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func TestPathLen(t *testing.T) {
	for _, pl := range []int{-1, 0, 1, 3} {
		r := caReq("pl", KeyECDSAP256)
		r.MaxPathLen = pl
		is := mustRoot(t, r)
		checkCAExtensions(t, is.Cert, pl)
		gotPL, has := pathLen(is.Cert)
		if has != (pl >= 0) || (has && gotPL != pl) {
			t.Errorf("pathLen(%d) = %d,%v", pl, gotPL, has)
		}
	}
	r := caReq("bad", KeyECDSAP256)
	r.MaxPathLen = -2
	if _, err := NewRootCA(r, t0, testRand(1)); err == nil || !strings.Contains(err.Error(), "-2") {
		t.Errorf("MaxPathLen -2: err = %v", err)
	}
}

func TestPathLenRefusal(t *testing.T) {
	r := caReq("root pl0", KeyECDSAP256)
	r.MaxPathLen = 0
	root := mustRoot(t, r)
	iss := issuerOf(t, root)
	if err := CheckCanSignCA(root.Cert); err == nil || !strings.Contains(err.Error(), "pathlen:0") {
		t.Errorf("CheckCanSignCA(pathlen 0) = %v", err)
	}
	_, err := NewIntermediateCA(caReq("inter", KeyECDSAP256), iss, t0, testRand(5))
	if err == nil || !strings.Contains(err.Error(), "pathlen:0") {
		t.Fatalf("intermediate under pathlen:0: err = %v", err)
	}
	// A leaf is still fine.
	mustServer(t, iss, ServerRequest{DNSNames: []string{"db"}, Validity: time.Hour})

	// pathlen:1 on the root allows one intermediate but not a second one.
	r.MaxPathLen = 1
	root = mustRoot(t, r)
	if err := CheckCanSignCA(root.Cert); err != nil {
		t.Errorf("CheckCanSignCA(pathlen 1) = %v", err)
	}
	inter, err := NewIntermediateCA(caReq("inter1", KeyECDSAP256), issuerOf(t, root), t0, testRand(6))
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewIntermediateCA(caReq("inter2", KeyECDSAP256), issuerOf(t, inter), t0, testRand(7))
	if err == nil || !strings.Contains(err.Error(), `"CN=root pl0,O=pgtls tests"`) || !strings.Contains(err.Error(), "pathlen:1") {
		t.Fatalf("second intermediate under root pathlen:1: err = %v", err)
	}
}

func TestNameConstraintsExtension(t *testing.T) {
	r := caReq("nc", KeyECDSAP256)
	r.PermittedDNSDomains = []string{"Example.com", ".internal"}
	r.ExcludedDNSDomains = []string{"bad.example.com"}
	r.PermittedIPRanges = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	r.ExcludedIPRanges = []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}
	c := mustRoot(t, r).Cert
	e, ok := ext(c, oidExtNameConstraints)
	if !ok || !e.Critical {
		t.Fatalf("nameConstraints present=%v critical=%v, want critical", ok, e.Critical)
	}
	if strings.Join(c.PermittedDNSDomains, " ") != "example.com .internal" || strings.Join(c.ExcludedDNSDomains, " ") != "bad.example.com" {
		t.Errorf("DNS constraints %v / %v", c.PermittedDNSDomains, c.ExcludedDNSDomains)
	}
	if len(c.PermittedIPRanges) != 2 || c.PermittedIPRanges[0].String() != "10.0.0.0/8" || len(c.PermittedIPRanges[0].IP) != 4 || c.PermittedIPRanges[1].String() != "fd00::/8" {
		t.Errorf("IP constraints %v", c.PermittedIPRanges)
	}
	if len(c.ExcludedIPRanges) != 1 || c.ExcludedIPRanges[0].String() != "10.9.0.0/16" {
		t.Errorf("excluded IP %v", c.ExcludedIPRanges)
	}
	if _, ok := ext(mustRoot(t, caReq("nonc", KeyECDSAP256)).Cert, oidExtNameConstraints); ok {
		t.Error("name constraints present without any constraint")
	}
}

func TestChainOutputs(t *testing.T) {
	root := mustRoot(t, caReq("Root", KeyECDSAP384))
	r1 := caReq("Inter 1", KeyECDSAP256)
	inter1, err := NewIntermediateCA(r1, issuerOf(t, root), t0, testRand(11))
	if err != nil {
		t.Fatal(err)
	}
	checkCAExtensions(t, inter1.Cert, -1)
	if !bytes.Equal(inter1.Cert.AuthorityKeyId, root.Cert.SubjectKeyId) {
		t.Error("intermediate AKI != root SKI")
	}
	if inter1.Cert.SignatureAlgorithm != x509.ECDSAWithSHA384 {
		t.Errorf("P-384 root signed with %v", inter1.Cert.SignatureAlgorithm)
	}
	if inter1.ChainPEM != inter1.CertPEM || inter1.CABundlePEM != root.CertPEM || inter1.FullchainPEM != "" {
		t.Error("inter1: chain must be inter1 alone (root excluded), bundle the root")
	}
	iss1 := issuerOf(t, inter1)
	if iss1.Root == nil || !iss1.Root.Equal(root.Cert) || len(iss1.Intermediates) != 0 {
		t.Fatalf("issuer inter1: root %v intermediates %d", iss1.Root != nil, len(iss1.Intermediates))
	}
	inter2, err := NewIntermediateCA(caReq("Inter 2", KeyRSA2048), iss1, t0, testRand(12))
	if err != nil {
		t.Fatal(err)
	}
	if inter2.ChainPEM != inter2.CertPEM+inter1.CertPEM || inter2.CABundlePEM != root.CertPEM {
		t.Error("inter2: chain must be inter2 + inter1, bundle the root")
	}
	iss2 := issuerOf(t, inter2)
	if len(iss2.Intermediates) != 1 || !iss2.Intermediates[0].Equal(inter1.Cert) || !iss2.Root.Equal(root.Cert) {
		t.Fatal("issuer inter2: want intermediates [inter1], root")
	}
	leaf := mustServer(t, iss2, ServerRequest{DNSNames: []string{"db.example.com"}, Validity: time.Hour})
	checkLeafExtensions(t, leaf.Cert, inter2.Cert, KeyECDSAP256, x509.ExtKeyUsageServerAuth)
	if leaf.FullchainPEM != leaf.CertPEM+inter2.CertPEM+inter1.CertPEM || leaf.ChainPEM != leaf.FullchainPEM {
		t.Error("leaf fullchain must be leaf + inter2 + inter1 (root excluded)")
	}
	if leaf.CABundlePEM != root.CertPEM {
		t.Error("leaf CA bundle must be the root")
	}
	chain, err := ParseCertificatesPEM(leaf.FullchainPEM)
	if err != nil || len(chain) != 3 {
		t.Fatalf("fullchain parse: %v", err)
	}
	if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: pool(root.Cert), Intermediates: pool(chain[1:]...), DNSName: "db.example.com", CurrentTime: t0}); err != nil {
		t.Errorf("Go verify of 2-level chain: %v", err)
	}
	// Chain given in any order, with copies of the issuer and the root, and
	// without the root.
	for name, chainPEM := range map[string]string{
		"reversed":   root.CertPEM + inter1.CertPEM,
		"with copy":  inter2.CertPEM + root.CertPEM + inter1.CertPEM + inter1.CertPEM,
		"root first": root.CertPEM + "\n\n" + inter1.CertPEM,
	} {
		iss, err := ParseIssuer(inter2.CertPEM, inter2.PrivateKeyPEM, chainPEM)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(iss.Intermediates) != 1 || !iss.Root.Equal(root.Cert) {
			t.Errorf("%s: intermediates %d root %v", name, len(iss.Intermediates), iss.Root != nil)
		}
	}
	noRoot, err := ParseIssuer(inter2.CertPEM, inter2.PrivateKeyPEM, inter1.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	if noRoot.Root != nil || noRoot.RootPEM() != "" {
		t.Error("root must be unknown without it in the chain")
	}
	leaf2 := mustServer(t, noRoot, ServerRequest{DNSNames: []string{"db"}, Validity: time.Hour})
	if leaf2.CABundlePEM != "" || leaf2.FullchainPEM != leaf2.CertPEM+inter2.CertPEM+inter1.CertPEM {
		t.Error("without a root: empty CA bundle, fullchain still complete")
	}
	ic, err := ParseIssuerCert(inter2.CertPEM, inter1.CertPEM+root.CertPEM)
	if err != nil || ic.RootPEM() != root.CertPEM {
		t.Errorf("ParseIssuerCert root: %v", err)
	}
}

func TestLeafNotBeforeClampedToIssuer(t *testing.T) {
	root := mustRoot(t, caReq("r", KeyECDSAP256))
	leaf, err := NewServerCert(ServerRequest{DNSNames: []string{"db"}, Validity: time.Hour}, issuerOf(t, root), t0.Add(-time.Minute), testRand(1))
	if err != nil {
		t.Fatal(err)
	}
	if !leaf.Cert.NotBefore.Equal(root.Cert.NotBefore) {
		t.Errorf("NotBefore %s, want the issuer's %s", leaf.Cert.NotBefore, root.Cert.NotBefore)
	}
	if !leaf.Cert.NotAfter.Equal(t0.Add(-time.Minute + time.Hour)) {
		t.Errorf("NotAfter %s", leaf.Cert.NotAfter)
	}
}

func TestServerCommonName(t *testing.T) {
	iss := issuerOf(t, mustRoot(t, caReq("r", KeyEd25519)))
	ipOnly := mustServer(t, iss, ServerRequest{IPAddresses: []netip.Addr{netip.MustParseAddr("::ffff:10.1.2.3")}, Validity: time.Hour})
	if ipOnly.Cert.Subject.CommonName != "10.1.2.3" || len(ipOnly.Cert.IPAddresses[0]) != 4 {
		t.Errorf("IP-only CN %q, ip %v", ipOnly.Cert.Subject.CommonName, ipOnly.Cert.IPAddresses)
	}
	explicit := mustServer(t, iss, ServerRequest{CommonName: "primary", DNSNames: []string{"db"}, Validity: time.Hour})
	if explicit.Cert.Subject.CommonName != "primary" {
		t.Errorf("explicit CN %q", explicit.Cert.Subject.CommonName)
	}
}

func TestClientSubject(t *testing.T) {
	iss := issuerOf(t, mustRoot(t, caReq("r", KeyECDSAP256)))
	sub := Subject{Organization: "Acme", EmailAddress: "alice@example.com"}
	cli := mustClient(t, iss, ClientRequest{User: "alice", Subject: &sub, Validity: time.Hour})
	want := "emailAddress=alice@example.com,CN=alice,O=Acme"
	if RFC2253(cli.Cert) != want || SubjectDNFor(ClientRequest{User: "alice", Subject: &sub}.EffectiveSubject()) != want {
		t.Errorf("client DN %q, want %q", RFC2253(cli.Cert), want)
	}
	other := Subject{CommonName: "Alice Example"}
	cli = mustClient(t, iss, ClientRequest{User: "alice", Subject: &other, Validity: time.Hour})
	if cli.Cert.Subject.CommonName != "Alice Example" {
		t.Errorf("explicit subject CN %q", cli.Cert.Subject.CommonName)
	}
}

func TestDeterministicRendering(t *testing.T) {
	// Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic: with the
	// same keys, rand and now, the DER is identical.
	rootKey, err := GenerateKey(KeyEd25519, testRand(1))
	if err != nil {
		t.Fatal(err)
	}
	req := caReq("det", KeyEd25519)
	a, err := newRootCAWithKey(req, rootKey, t0, testRand(9))
	if err != nil {
		t.Fatal(err)
	}
	b, err := newRootCAWithKey(req, rootKey, t0, testRand(9))
	if err != nil {
		t.Fatal(err)
	}
	if a.CertPEM != b.CertPEM || a.PrivateKeyPEM != b.PrivateKeyPEM {
		t.Fatal("root rendering is not deterministic")
	}
	iss := issuerOf(t, a)
	leafKey, _ := GenerateKey(KeyEd25519, testRand(2))
	sreq := ServerRequest{DNSNames: []string{"db"}, Validity: time.Hour}
	l1, err := newServerCertWithKey(sreq, iss, leafKey, t0, testRand(3))
	if err != nil {
		t.Fatal(err)
	}
	l2, _ := newServerCertWithKey(sreq, iss, leafKey, t0, testRand(3))
	if l1.CertPEM != l2.CertPEM {
		t.Fatal("leaf rendering is not deterministic")
	}
	l3, _ := newServerCertWithKey(sreq, iss, leafKey, t0, testRand(4))
	if l3.Cert.SerialNumber.Cmp(l1.Cert.SerialNumber) == 0 {
		t.Fatal("different rand gave the same serial")
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestSerial(t *testing.T) {
	if _, err := newSerial(zeroReader{}); err == nil {
		t.Error("all-zero entropy must not give serial 0")
	}
	max := new(big.Int).Lsh(big.NewInt(1), 128)
	for i := range 200 {
		s, err := newSerial(testRand(uint64(i)))
		if err != nil || s.Sign() <= 0 || s.Cmp(max) >= 0 {
			t.Fatalf("serial %v err %v", s, err)
		}
	}
}

func TestChainExpiryAboveIssuer(t *testing.T) {
	// A foreign chain where the intermediate outlives its root: a leaf may
	// not outlive the root either.
	root := mustRoot(t, CARequest{Subject: Subject{CommonName: "short root"}, Validity: 10 * time.Hour, MaxPathLen: -1})
	rootIss := issuerOf(t, root)
	key, _ := GenerateKey(KeyECDSAP256, testRand(61))
	tmpl, err := caTemplate(CARequest{Subject: Subject{CommonName: "long inter"}, MaxPathLen: -1}, bigOne(), t0.Add(-time.Minute), t0.Add(100*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	inter, err := sign(tmpl, rootIss, key, testRand(1))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := MarshalPrivateKeyPEM(key)
	iss, err := ParseIssuer(inter.CertPEM, keyPEM, root.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewServerCert(ServerRequest{DNSNames: []string{"db"}, Validity: 20 * time.Hour}, iss, t0, testRand(1))
	if err == nil || !strings.Contains(err.Error(), `after its issuer "CN=short root" expires`) {
		t.Fatalf("leaf outliving the root: %v", err)
	}
	mustServer(t, iss, ServerRequest{DNSNames: []string{"db"}, Validity: 10 * time.Hour})
}
