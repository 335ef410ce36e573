package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"reflect"
	"strings"
	"testing"
)

func TestKeyTypes(t *testing.T) {
	want := []string{"ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519"}
	if !reflect.DeepEqual(KeyTypes(), want) {
		t.Fatalf("KeyTypes() = %v", KeyTypes())
	}
	for _, s := range want {
		if kt, err := ParseKeyType(s); err != nil || string(kt) != s {
			t.Errorf("ParseKeyType(%q) = %q, %v", s, kt, err)
		}
	}
	for _, s := range []string{"rsa-1024", "rsa-1536", "rsa-512", "RSA-1024"} {
		_, err := ParseKeyType(s)
		if err == nil || !strings.Contains(err.Error(), "2048") || !strings.Contains(err.Error(), "NIST") || !strings.Contains(err.Error(), "security level 2") || !strings.Contains(err.Error(), s) {
			t.Errorf("ParseKeyType(%q) = %v, want a too-weak explanation", s, err)
		}
	}
	for _, s := range []string{"", "rsa", "rsa-8192", "ecdsa-p521", "ED25519", "dsa-2048", "rsa-2048 "} {
		_, err := ParseKeyType(s)
		if err == nil || !strings.Contains(err.Error(), "ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096, ed25519") {
			t.Errorf("ParseKeyType(%q) = %v, want the list of valid values", s, err)
		}
	}
	if _, err := GenerateKey("rsa-1024", testRand(1)); err == nil {
		t.Error("GenerateKey(rsa-1024) succeeded")
	}
	if k, err := GenerateKey("", testRand(1)); err != nil || KeyTypeOf(k.Public()) != "ecdsa-p256" {
		t.Errorf("GenerateKey(\"\") = %v, %v; want the P-256 default", k, err)
	}
	if CAKeyTypeWarning(KeyEd25519) == "" || !strings.Contains(CAKeyTypeWarning(KeyEd25519), "could not find digest for NID UNDEF") {
		t.Error("Ed25519 CA warning missing")
	}
	for _, kt := range []KeyType{KeyECDSAP256, KeyECDSAP384, KeyRSA2048, KeyRSA3072, KeyRSA4096} {
		if w := CAKeyTypeWarning(kt); w != "" {
			t.Errorf("warning for %s: %q", kt, w)
		}
	}
}

func TestGenerateKeyTypes(t *testing.T) {
	for _, kt := range fastKeyTypes {
		k, err := GenerateKey(kt, testRand(7))
		if err != nil {
			t.Fatal(err)
		}
		if KeyTypeOf(k.Public()) != string(kt) {
			t.Errorf("%s: got %s", kt, KeyTypeOf(k.Public()))
		}
	}
}

func TestParsePrivateKeyPEM(t *testing.T) {
	ec, _ := GenerateKey(KeyECDSAP256, testRand(1))
	rk, _ := GenerateKey(KeyRSA2048, testRand(2))
	ed, _ := GenerateKey(KeyEd25519, testRand(3))
	pk8, _ := MarshalPrivateKeyPEM(ec)
	sec1DER, _ := x509.MarshalECPrivateKey(ec.(*ecdsa.PrivateKey))
	sec1 := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1DER}))
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk.(*rsa.PrivateKey))}))
	edPEM, _ := MarshalPrivateKeyPEM(ed)
	for name, in := range map[string]string{"pkcs8": pk8, "sec1": sec1, "pkcs1": pkcs1, "ed25519": edPEM} {
		k, err := ParsePrivateKeyPEM(in)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		switch name {
		case "pkcs8", "sec1":
			if !k.(*ecdsa.PrivateKey).Equal(ec) {
				t.Errorf("%s: wrong key", name)
			}
		case "pkcs1":
			if !k.(*rsa.PrivateKey).Equal(rk) {
				t.Errorf("%s: wrong key", name)
			}
		case "ed25519":
			if !k.(ed25519.PrivateKey).Equal(ed) {
				t.Errorf("%s: wrong key", name)
			}
		}
	}
	secret := strings.Split(pk8, "\n")[1]
	encrypted := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: sec1DER}))
	cases := map[string]struct{ in, want string }{
		"empty":       {"", "empty"},
		"not pem":     {"hello " + secret, "no private key found"},
		"two keys":    {pk8 + sec1, "is a second private key"},
		"trailing":    {pk8 + secret + "-----END", "holds a PEM marker"},
		"certificate": {mustRoot(t, caReq("k", KeyEd25519)).CertPEM, `"CERTIFICATE", not a private key`},
		"encrypted":   {encrypted, "encrypted"},
		"pkcs8 enc":   {strings.ReplaceAll(pk8, "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"), "encrypted"},
		"corrupt":     {"-----BEGIN PRIVATE KEY-----\n" + base64.StdEncoding.EncodeToString([]byte("0123456789")) + "\n-----END PRIVATE KEY-----\n", "cannot parse"},
		"wrong type":  {strings.ReplaceAll(pk8, "PRIVATE KEY", "RSA PRIVATE KEY"), "cannot parse"},
	}
	for name, tc := range cases {
		_, err := ParsePrivateKeyPEM(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:16]) {
			t.Errorf("%s: error leaks key material", name)
		}
	}
}

func TestPKCS8DERBase64(t *testing.T) {
	for _, kt := range []KeyType{KeyECDSAP256, KeyRSA2048, KeyEd25519} {
		k, _ := GenerateKey(kt, testRand(4))
		s, err := PKCS8DERBase64(k)
		if err != nil {
			t.Fatal(err)
		}
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil || !publicKeysEqual(back.(crypto.Signer).Public(), k.Public()) {
			t.Errorf("%s: PKCS#8 round trip failed: %v", kt, err)
		}
	}
	if _, err := PKCS8DERBase64(nil); err == nil {
		t.Error("nil key accepted")
	}
}
