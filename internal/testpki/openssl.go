package testpki

import (
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// OpenSSL runs an openssl binary (from testserver.RequireOpenSSL) in Dir.
type OpenSSL struct {
	Bin, Dir string
}

// Run runs openssl with stdin and returns its combined output and error.
func (o OpenSSL) Run(t testing.TB, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(o.Bin, args...)
	cmd.Dir = o.Dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LANG=C"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Must is Run failing the test on error.
func (o OpenSSL) Must(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	out, err := o.Run(t, stdin, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Read returns the content of a file in Dir.
func (o OpenSSL) Read(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(o.Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// CorpusCert is a certificate made by openssl for describe tests.
type CorpusCert struct {
	Name string
	PEM  string
	// SelfSignatureCheckable is false for the algorithms pgtls cannot
	// verify (ECDSA on brainpool, secp256k1 or explicit curves).
	SelfSignatureCheckable bool
}

// OpenSSLCorpus makes, with openssl, one certificate of every kind OpenSSL
// 3.0 signs that the describe code must handle: RSA with every digest
// (PKCS#1 v1.5 and PSS, rsaEncryption and RSASSA-PSS keys), ECDSA on NIST,
// brainpool, secp256k1 and explicit curves, Ed25519, Ed448, DSA, negative
// and zero serials, certificates signed by another key (self-issued with a
// different key, an Ed448 CA's leaf, an X25519 key certified by Ed25519),
// SANs and a multi-attribute subject.
func OpenSSLCorpus(t testing.TB, bin string) []CorpusCert {
	t.Helper()
	o := OpenSSL{Bin: bin, Dir: t.TempDir()}
	key := func(name string, args ...string) string {
		o.Must(t, "", append([]string{"genpkey", "-out", name}, args...)...)
		return name
	}
	rsa := key("rsa.key", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
	rsaPSS := key("rsapss.key", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048")
	p256 := key("p256.key", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
	p384 := key("p384.key", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384")
	p521 := key("p521.key", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521")
	k1 := key("k1.key", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1")
	bp := key("bp.key", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1")
	explicit := key("explicit.key", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-pkeyopt", "ec_param_enc:explicit")
	ed25519 := key("ed25519.key", "-algorithm", "ED25519")
	ed448 := key("ed448.key", "-algorithm", "ED448")
	x25519 := key("x25519.key", "-algorithm", "X25519")
	o.Must(t, "", "genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt", "dsa_paramgen_bits:2048", "-out", "dsa.param")
	dsa := key("dsa.key", "-paramfile", "dsa.param")

	var out []CorpusCert
	selfSigned := func(name, k, subj string, checkable bool, extra ...string) {
		args := append([]string{"req", "-x509", "-new", "-key", k, "-subj", subj, "-days", "30", "-out", name + ".pem"}, extra...)
		o.Must(t, "", args...)
		out = append(out, CorpusCert{Name: name, PEM: o.Read(t, name+".pem"), SelfSignatureCheckable: checkable})
	}
	for _, d := range []string{"sha256", "sha1", "md5", "sha224", "sha384", "sha512", "sha512-256", "sha3-256"} {
		selfSigned("rsa-"+d, rsa, "/CN=rsa "+d, true, "-"+d)
	}
	selfSigned("rsa-pss-sha256-salt32", rsa, "/CN=pss 32", true, "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32")
	selfSigned("rsa-pss-default", rsa, "/CN=pss default", true, "-sigopt", "rsa_padding_mode:pss")
	selfSigned("rsa-pss-sha384-mgf1-sha1", rsa, "/CN=pss mgf1 sha1", false, "-sha384", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_mgf1_md:sha1")
	selfSigned("rsassa-pss-key", rsaPSS, "/CN=rsassa-pss key", true)
	selfSigned("ecdsa-p256", p256, "/C=DE/O=Ex, Inc/CN=localhost/emailAddress=dba@example.com", true,
		"-addext", "subjectAltName=DNS:localhost,DNS:db.example.com,IP:127.0.0.1,IP:::1,email:dba@example.com")
	selfSigned("ecdsa-p256-sha3-256", p256, "/CN=ec sha3", true, "-sha3-256")
	selfSigned("ecdsa-p384-sha224", p384, "/CN=ec sha224", true, "-sha224")
	selfSigned("ecdsa-p521", p521, "/CN=ec p521", true, "-sha512")
	selfSigned("ecdsa-secp256k1", k1, "/CN=secp256k1", false)
	selfSigned("ecdsa-brainpool", bp, "/CN=brainpool", false)
	selfSigned("ecdsa-explicit", explicit, "/CN=explicit", false)
	selfSigned("ed25519", ed25519, "/CN=ed25519", true)
	selfSigned("ed448", ed448, "/CN=ed448/CN=second cn", true)
	selfSigned("dsa-sha256", dsa, "/CN=dsa", true, "-sha256")
	selfSigned("negative-serial", rsa, "/CN=negative serial", true, "-set_serial", "-12345")
	selfSigned("negative-serial-big", p256, "/CN=negative big", true, "-set_serial", "-0x8000000000000000000000000000000001")
	selfSigned("negative-serial-brainpool", bp, "/CN=negative brainpool", false, "-set_serial", "-7")
	selfSigned("zero-serial", p256, "/CN=zero serial", true, "-set_serial", "0")

	// Certificates not signed by their own key.
	o.Must(t, "", "req", "-new", "-key", p256, "-subj", "/CN=ed448", "-out", "self-issued.csr")
	o.Must(t, "", "x509", "-req", "-in", "self-issued.csr", "-CA", "ed448.pem", "-CAkey", ed448, "-days", "1", "-out", "self-issued.pem")
	out = append(out, CorpusCert{Name: "self-issued-other-key", PEM: o.Read(t, "self-issued.pem"), SelfSignatureCheckable: true})
	o.Must(t, "", "req", "-new", "-key", rsa, "-subj", "/CN=leaf of ed448", "-out", "leaf.csr")
	o.Must(t, "", "x509", "-req", "-in", "leaf.csr", "-CA", "ed448.pem", "-CAkey", ed448, "-days", "1", "-out", "ed448-leaf.pem")
	out = append(out, CorpusCert{Name: "leaf-of-ed448-ca", PEM: o.Read(t, "ed448-leaf.pem"), SelfSignatureCheckable: true})
	o.Must(t, "", "pkey", "-in", x25519, "-pubout", "-out", "x25519.pub")
	o.Must(t, "", "x509", "-new", "-subj", "/CN=x25519", "-force_pubkey", "x25519.pub", "-key", ed25519, "-days", "1", "-out", "x25519.pem")
	out = append(out, CorpusCert{Name: "x25519-key-by-ed25519", PEM: o.Read(t, "x25519.pem"), SelfSignatureCheckable: true})
	return out
}

// Facts are what openssl prints about a certificate, parsed for
// comparison: `openssl x509 -noout -text`, `-serial -subject -issuer
// -dates -fingerprint -ext ...` with -nameopt RFC2253, and whether
// `openssl verify -check_ss_sig` accepts it as its own trust anchor.
type Facts struct {
	Subject, Issuer    string // RFC 2253
	FirstCN            string // first commonName in encoding order
	Serial             *big.Int
	NotBefore          time.Time
	NotAfter           time.Time
	SHA256, SHA1       string // lowercase hex without colons
	SignatureAlgorithm string // as -text prints it: "sha256WithRSAEncryption", "rsassaPss", "ED448"
	PSSHash, PSSMGF    string // "sha256", "mgf1 with sha256" (defaults included)
	PSSSalt            int
	KeyAlgorithm       string // "rsaEncryption", "rsassaPss", "id-ecPublicKey", "ED448", ...
	KeyBits            int    // from "Public-Key: (N bit)", 0 when absent
	Curve              string // "ASN1 OID: ..." (named curves)
	NISTCurve          string // "NIST CURVE: P-256"
	ExplicitCurve      bool   // "Field Type:" present
	IsCA               bool
	DNSNames, IPs      []string // IPs in Go's canonical form
	Emails             []string
	SKI, AKI           string // lowercase hex without colons
	// SelfSignatureVerifies: `openssl pkeyutl -verify` accepts the
	// certificate's signature over its TBSCertificate with the
	// certificate's own public key and the digest and padding its
	// signature algorithm names. (Not `openssl verify -check_ss_sig`:
	// OpenSSL 3.0's chain builder does not recognise RSA-SHA512/256 and
	// SHA-3 signatures as self-signed at all.)
	SelfSignatureVerifies bool
	VerifyOutput          string
}

var (
	reSigAlg   = regexp.MustCompile(`(?m)^\s+Signature Algorithm: (\S+)`)
	rePSSHash  = regexp.MustCompile(`(?m)^\s+Hash Algorithm: (\S+)`)
	rePSSMGF   = regexp.MustCompile(`(?m)^\s+Mask Algorithm: (.+?)(?: \(default\))?\s*$`)
	rePSSSalt  = regexp.MustCompile(`(?m)^\s+Salt Length: 0x([0-9A-Fa-f]+)`)
	reKeyAlg   = regexp.MustCompile(`(?m)^\s+Public Key Algorithm: (\S+)`)
	reKeyBits  = regexp.MustCompile(`(?m)^\s+(?:\S+ )?Public-Key: \((\d+) bit\)`)
	reCurve    = regexp.MustCompile(`(?m)^\s+ASN1 OID: (\S+)`)
	reNIST     = regexp.MustCompile(`(?m)^\s+NIST CURVE: (\S+)`)
	reKV       = regexp.MustCompile(`(?m)^(serial|subject|issuer|notBefore|notAfter|sha256 Fingerprint|(?i:sha1) Fingerprint)=(.*)$`)
	reExtValue = regexp.MustCompile(`(?m)^X509v3 ([A-Za-z ]+):(?: critical)?\s*\n\s+(.*)$`)
)

func unhex(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
}

// ReadFacts runs openssl on certPEM and parses what it prints.
func (o OpenSSL) ReadFacts(t testing.TB, certPEM string) Facts {
	t.Helper()
	var f Facts
	text := o.Must(t, certPEM, "x509", "-noout", "-text", "-nameopt", "RFC2253")
	kv := o.Must(t, certPEM, "x509", "-noout", "-serial", "-subject", "-issuer", "-dates", "-fingerprint", "-sha256", "-nameopt", "RFC2253") +
		o.Must(t, certPEM, "x509", "-noout", "-fingerprint", "-sha1")
	for _, m := range reKV.FindAllStringSubmatch(kv, -1) {
		switch v := m[2]; m[1] {
		case "serial":
			neg := strings.HasPrefix(v, "-")
			f.Serial = new(big.Int)
			if _, ok := f.Serial.SetString(strings.TrimPrefix(v, "-"), 16); !ok {
				t.Fatalf("openssl serial %q", v)
			}
			if neg {
				f.Serial.Neg(f.Serial)
			}
		case "subject":
			f.Subject = v
		case "issuer":
			f.Issuer = v
		case "notBefore", "notAfter":
			tm, err := time.Parse("Jan _2 15:04:05 2006 MST", v)
			if err != nil {
				t.Fatalf("openssl date %q: %v", v, err)
			}
			tm = tm.UTC()
			if m[1] == "notBefore" {
				f.NotBefore = tm
			} else {
				f.NotAfter = tm
			}
		case "sha256 Fingerprint":
			f.SHA256 = unhex(v)
		case "SHA1 Fingerprint", "sha1 Fingerprint":
			f.SHA1 = unhex(v)
		}
	}
	first := func(re *regexp.Regexp) string {
		if m := re.FindStringSubmatch(text); m != nil {
			return m[1]
		}
		return ""
	}
	f.SignatureAlgorithm = first(reSigAlg)
	f.PSSHash, f.PSSMGF = first(rePSSHash), first(rePSSMGF)
	if s := first(rePSSSalt); s != "" {
		n, _ := strconv.ParseInt(s, 16, 32)
		f.PSSSalt = int(n)
	}
	f.KeyAlgorithm = first(reKeyAlg)
	if b := first(reKeyBits); b != "" {
		f.KeyBits, _ = strconv.Atoi(b)
	}
	f.Curve, f.NISTCurve = first(reCurve), first(reNIST)
	f.ExplicitCurve = strings.Contains(text, "Field Type:")

	multi := o.Must(t, certPEM, "x509", "-noout", "-subject", "-nameopt", "sep_multiline,sname,utf8,-esc_msb")
	for _, line := range strings.Split(multi, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "CN="); ok {
			f.FirstCN = v
			break
		}
	}
	exts, _ := o.Run(t, certPEM, "x509", "-noout", "-ext", "subjectKeyIdentifier,authorityKeyIdentifier,basicConstraints,subjectAltName")
	for _, m := range reExtValue.FindAllStringSubmatch(exts, -1) {
		switch m[1] {
		case "Subject Key Identifier":
			f.SKI = unhex(m[2])
		case "Authority Key Identifier":
			f.AKI = unhex(strings.TrimPrefix(m[2], "keyid:"))
		case "Basic Constraints":
			f.IsCA = strings.HasPrefix(m[2], "CA:TRUE")
		case "Subject Alternative Name":
			for _, n := range strings.Split(m[2], ", ") {
				switch k, v, _ := strings.Cut(n, ":"); k {
				case "DNS":
					f.DNSNames = append(f.DNSNames, v)
				case "IP Address":
					// openssl writes IPv6 uncompressed (0:0:0:0:0:0:0:1).
					if a, err := netip.ParseAddr(v); err == nil {
						v = a.String()
					}
					f.IPs = append(f.IPs, v)
				case "email":
					f.Emails = append(f.Emails, v)
				}
			}
		}
	}
	f.SelfSignatureVerifies, f.VerifyOutput = o.verifyOwnSignature(t, certPEM, f)
	return f
}

var (
	reDigestRSA   = regexp.MustCompile(`^(md5|sha\d+|sha512-\d+)WithRSAEncryption$`)
	reDigestOther = regexp.MustCompile(`^(?:RSA|ecdsa[-_]with|dsa_?[wW]ith)[-_]?(SHA[\d-]+)$`)
)

// verifyOwnSignature checks the certificate's signature with openssl
// pkeyutl and the certificate's own public key.
func (o OpenSSL) verifyOwnSignature(t testing.TB, certPEM string, f Facts) (bool, string) {
	t.Helper()
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		t.Fatal("corpus certificate is not PEM")
	}
	var cert struct {
		TBS asn1.RawValue
		Alg asn1.RawValue
		Sig asn1.BitString
	}
	if _, err := asn1.Unmarshal(block.Bytes, &cert); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"tbs.der": cert.TBS.FullBytes, "sig.bin": cert.Sig.RightAlign()} {
		if err := os.WriteFile(filepath.Join(o.Dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(o.Dir, "pub.pem"), []byte(o.Must(t, certPEM, "x509", "-noout", "-pubkey")), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "tbs.der", "-sigfile", "sig.bin"}
	switch n := f.SignatureAlgorithm; {
	case n == "ED25519" || n == "ED448":
	case n == "rsassaPss":
		args = append(args, "-digest", f.PSSHash, "-pkeyopt", "rsa_padding_mode:pss",
			"-pkeyopt", "rsa_pss_saltlen:"+strconv.Itoa(f.PSSSalt), "-pkeyopt", "rsa_mgf1_md:"+strings.TrimPrefix(f.PSSMGF, "mgf1 with "))
	case reDigestRSA.MatchString(n):
		args = append(args, "-digest", reDigestRSA.FindStringSubmatch(n)[1])
	case reDigestOther.MatchString(n):
		args = append(args, "-digest", strings.ToLower(reDigestOther.FindStringSubmatch(n)[1]))
	default:
		t.Fatalf("no pkeyutl digest for openssl's signature algorithm %q", n)
	}
	out, err := o.Run(t, "", args...)
	return err == nil, out
}

var (
	reSigRSA   = regexp.MustCompile(`^(md5|sha\d+|sha512-\d+)WithRSAEncryption$`)
	reSigRSA3  = regexp.MustCompile(`^RSA-(SHA3-\d+)$`)
	reSigECDSA = regexp.MustCompile(`^ecdsa[-_]with[-_](SHA[\d-]+)$`)
	reSigDSA   = regexp.MustCompile(`^dsa_?[wW]ith_?(SHA[\d-]+)$`)
)

// ExpectedSignatureName translates the signature algorithm openssl printed
// into pgtls's vocabulary (Go's x509.SignatureAlgorithm names, extended in
// Go's style: "SHA256-RSA", "ECDSA-SHA3-256", "Ed448", and for RSASSA-PSS
// with parameters Go does not accept "SHA256-RSAPSS (MGF1-SHA256, salt
// 222)"). It fails the test for a name it has no translation for.
func (f Facts) ExpectedSignatureName(t testing.TB) string {
	t.Helper()
	n := f.SignatureAlgorithm
	if m := reSigRSA.FindStringSubmatch(n); m != nil {
		return strings.ToUpper(m[1]) + "-RSA"
	}
	if m := reSigRSA3.FindStringSubmatch(n); m != nil {
		return m[1] + "-RSA"
	}
	if m := reSigECDSA.FindStringSubmatch(n); m != nil {
		return "ECDSA-" + m[1]
	}
	if m := reSigDSA.FindStringSubmatch(n); m != nil {
		return "DSA-" + strings.ToUpper(m[1])
	}
	switch n {
	case "ED25519":
		return "Ed25519"
	case "ED448":
		return "Ed448"
	case "rsassaPss":
		h := strings.ToUpper(f.PSSHash)
		mgf := strings.ToUpper(strings.TrimPrefix(f.PSSMGF, "mgf1 with "))
		size := map[string]int{"SHA1": 20, "SHA224": 28, "SHA256": 32, "SHA384": 48, "SHA512": 64}[h]
		name := h + "-RSAPSS"
		if mgf != h || f.PSSSalt != size {
			name += fmt.Sprintf(" (MGF1-%s, salt %d)", mgf, f.PSSSalt)
		}
		return name
	}
	t.Fatalf("no expectation for openssl's signature algorithm %q", n)
	return ""
}

// ExpectedKeyType translates the public key openssl printed into pgtls's
// key_type vocabulary ("rsa-2048", "rsa-pss-2048", "ecdsa-p256",
// "ecdsa-brainpoolp256r1", "ecdsa-explicit", "ed448", "dsa-2048", ...).
func (f Facts) ExpectedKeyType(t testing.TB) string {
	t.Helper()
	switch f.KeyAlgorithm {
	case "rsaEncryption":
		return fmt.Sprintf("rsa-%d", f.KeyBits)
	case "rsassaPss":
		return fmt.Sprintf("rsa-pss-%d", f.KeyBits)
	case "dsaEncryption":
		return fmt.Sprintf("dsa-%d", f.KeyBits)
	case "id-ecPublicKey":
		switch {
		case f.ExplicitCurve:
			return "ecdsa-explicit"
		case f.NISTCurve != "":
			return "ecdsa-" + strings.ToLower(strings.ReplaceAll(f.NISTCurve, "-", ""))
		}
		return "ecdsa-" + strings.ToLower(f.Curve)
	case "ED25519", "ED448", "X25519", "X448":
		return strings.ToLower(f.KeyAlgorithm)
	}
	t.Fatalf("no expectation for openssl's public key algorithm %q", f.KeyAlgorithm)
	return ""
}
