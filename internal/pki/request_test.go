package pki

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestValidateEmailAddress(t *testing.T) {
	for _, ok := range []string{"dba@example.com", "a.b+c@sub.example.co.uk", "x@localhost", "o'neil@example.com"} {
		if err := ValidateEmailAddress(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for in, want := range map[string]string{
		"":                          "not valid",
		"alice":                     "not valid",
		"@example.com":              "not valid",
		"Alice <alice@example.com>": "contains ' '",
		"jürgen@example.com":        "contains 'Ã'",
		"a@b@example.com":           "not valid",
		"a@-x.example.com":          "host name",
		"a@*.example.com":           "wildcard",
		`"a b"@example.com`:         "contains ' '",
		"a@[10.0.0.1]":              "not valid",
		"a,b@example.com":           "not valid",
	} {
		if err := ValidateEmailAddress(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}

func TestValidateURI(t *testing.T) {
	for _, ok := range []string{"spiffe://example.org/ns/db/sa/app", "urn:example:app", "https://10.0.0.1:8443/x", "https://[fd00::1]/", "mailto:dba@example.com"} {
		if err := ValidateURI(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for in, want := range map[string]string{
		"":                        "empty",
		"example.org/app":         "no scheme",
		"https://exa mple.org/":   "contains ' '",
		"https://ex\u00e4.org/":   "contains",
		"https://*.example.org":   "wildcard",
		"https://-bad-.org/":      "neither an IP address nor a host name",
		"HTTPS://example.org/":    `would be written as "https://example.org/"`,
		"https://example.org/%zz": "does not parse",
	} {
		if err := ValidateURI(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}

func TestClientRequestSANValidation(t *testing.T) {
	h := time.Hour
	for name, tc := range map[string]struct {
		r     ClientRequest
		input Input
		want  string
	}{
		"bad dns":    {ClientRequest{User: "app", DNSNames: []string{"a..b"}, Validity: h}, InputDNSNames, "a..b"},
		"dup dns":    {ClientRequest{User: "app", DNSNames: []string{"x.example", "X.example"}, Validity: h}, InputDNSNames, "twice"},
		"bad email":  {ClientRequest{User: "app", EmailAddresses: []string{"nope"}, Validity: h}, InputEmailAddresses, "nope"},
		"dup email":  {ClientRequest{User: "app", EmailAddresses: []string{"a@x.org", "A@X.org"}, Validity: h}, InputEmailAddresses, "twice"},
		"bad uri":    {ClientRequest{User: "app", URIs: []string{"no-scheme"}, Validity: h}, InputURIs, "no scheme"},
		"dup uri":    {ClientRequest{User: "app", URIs: []string{"urn:a", "urn:a"}, Validity: h}, InputURIs, "twice"},
		"bad user":   {ClientRequest{User: "pg_x", Validity: h}, InputUser, "pg_"},
		"bad sub":    {ClientRequest{User: "app", Subject: &Subject{Country: "de"}, Validity: h}, InputSubject, "country"},
		"key type":   {ClientRequest{User: "app", KeyType: "rsa-1024", Validity: h}, InputKeyType, "2048"},
		"no validty": {ClientRequest{User: "app"}, InputValidity, "positive"},
	} {
		err := tc.r.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) || InputOf(err) != tc.input {
			t.Errorf("%s: err = %v (input %d), want %q on input %d", name, err, InputOf(err), tc.want, tc.input)
		}
	}
	sreq := ServerRequest{CommonName: "a", Subject: &Subject{CommonName: "b"}, DNSNames: []string{"db"}, Validity: h}
	if err := sreq.Validate(); err == nil || InputOf(err) != InputSubject || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("server CN twice: %v", err)
	}
}

// TestLeafSubjectsAndSANsWithOpenSSL issues the certificates of seeds 000
// (server subject C/ST/O/CN/emailAddress) and 004 (a DNS SAN on client
// certificates) plus email and URI SANs, and reads them back with openssl.
func TestLeafSubjectsAndSANsWithOpenSSL(t *testing.T) {
	requireOpenSSL(t)
	root := mustRoot(t, caReq("san root", KeyECDSAP256))
	iss := issuerOf(t, root)
	dir := t.TempDir()
	const h = time.Hour
	rootPath := writeFile(t, dir, "root.pem", root.CertPEM)

	srv := mustServer(t, iss, ServerRequest{
		Subject:  &Subject{Country: "CN", Province: "BC", Organization: "HighGo", EmailAddress: "m.usama@highgo.ca"},
		DNSNames: []string{"localhost"}, Validity: 24 * time.Hour,
	})
	cli := mustClient(t, iss, ClientRequest{
		User: "client1", Subject: &Subject{CommonName: "PostgreSQL client1"},
		DNSNames: []string{"anyhost.anydomain"}, EmailAddresses: []string{"app@example.com"}, URIs: []string{"spiffe://example.org/app"},
		Validity: 24 * time.Hour,
	})
	for _, tc := range []struct {
		name, pem, purpose, dn string
		text                   []string
	}{
		{"server", srv.CertPEM, "sslserver", "emailAddress=m.usama@highgo.ca,CN=localhost,O=HighGo,ST=BC,C=CN",
			[]string{"DNS:localhost"}},
		{"client", cli.CertPEM, "sslclient", "CN=PostgreSQL client1",
			[]string{"DNS:anyhost.anydomain", "email:app@example.com", "URI:spiffe://example.org/app", "TLS Web Client Authentication"}},
	} {
		p := writeFile(t, dir, tc.name+".pem", tc.pem)
		out, err := openssl(t, "", "x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", p)
		if err != nil || strings.TrimSpace(out) != "subject="+tc.dn {
			t.Errorf("%s subject = %q (%v), want %q", tc.name, out, err, tc.dn)
		}
		c, _ := ParseCertificatesPEM(tc.pem)
		if got := RFC2253(c[0]); got != tc.dn {
			t.Errorf("%s RFC2253 = %q", tc.name, got)
		}
		out, err = openssl(t, "", "x509", "-noout", "-text", "-in", p)
		for _, w := range tc.text {
			if err != nil || !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s", tc.name, w, out)
			}
		}
		if out, err := openssl(t, "", "verify", "-x509_strict", "-attime", strconv.FormatInt(t0.Add(h).Unix(), 10), "-purpose", tc.purpose, "-CAfile", rootPath, p); err != nil {
			t.Errorf("%s: openssl verify: %v\n%s", tc.name, err, out)
		}
	}
}

// TestCheckIssuerIsTheIssuanceRule: every issuer-side refusal that needs
// no key is returned by CheckIssuer (what the provider runs at plan time)
// exactly as issuance returns it, blamed on the input to change, and
// openssl agrees that the refused certificates would not verify.
func TestCheckIssuerIsTheIssuanceRule(t *testing.T) {
	h := time.Hour
	constrained := mustRoot(t, CARequest{Subject: Subject{CommonName: "nc root"}, KeyType: KeyECDSAP256, Validity: 1000 * h, MaxPathLen: -1,
		PermittedDNSDomains: []string{"example.com"}, PermittedIPRanges: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	nc := issuerOf(t, constrained)
	zero := mustRoot(t, CARequest{Subject: Subject{CommonName: "pathlen zero"}, KeyType: KeyECDSAP256, Validity: 1000 * h, MaxPathLen: 0})
	pz := issuerOf(t, zero)
	for _, tc := range []struct {
		name  string
		check func(ic *IssuerCert) error
		issue func(iss *Issuer) error
		iss   *Issuer
		input Input
		want  string
	}{
		{"server localhost under example.com",
			func(ic *IssuerCert) error {
				return ServerRequest{DNSNames: []string{"localhost"}, Validity: h}.CheckIssuer(ic, t0)
			},
			func(iss *Issuer) error {
				_, err := NewServerCert(ServerRequest{DNSNames: []string{"localhost"}, Validity: h}, iss, t0, testRand(1))
				return err
			}, nc, InputDNSNames, `DNS name "localhost" is outside the permitted DNS domains`},
		{"server IP outside 10/8",
			func(ic *IssuerCert) error {
				return ServerRequest{DNSNames: []string{"db.example.com"}, IPAddresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, Validity: h}.CheckIssuer(ic, t0)
			},
			func(iss *Issuer) error {
				_, err := NewServerCert(ServerRequest{DNSNames: []string{"db.example.com"}, IPAddresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, Validity: h}, iss, t0, testRand(1))
				return err
			}, nc, InputIPAddresses, "IP address 127.0.0.1 is outside"},
		{"client host-like CN",
			func(ic *IssuerCert) error { return ClientRequest{User: "john.doe", Validity: h}.CheckIssuer(ic, t0) },
			func(iss *Issuer) error {
				_, err := NewClientCert(ClientRequest{User: "john.doe", Validity: h}, iss, t0, testRand(1))
				return err
			}, nc, InputSubject, `"john.doe"`},
		{"client DNS SAN",
			func(ic *IssuerCert) error {
				return ClientRequest{User: "app", DNSNames: []string{"app.other.org"}, Validity: h}.CheckIssuer(ic, t0)
			},
			func(iss *Issuer) error {
				_, err := NewClientCert(ClientRequest{User: "app", DNSNames: []string{"app.other.org"}, Validity: h}, iss, t0, testRand(1))
				return err
			}, nc, InputDNSNames, `"app.other.org"`},
		{"outliving",
			func(ic *IssuerCert) error {
				return ServerRequest{DNSNames: []string{"db.example.com"}, Validity: 1001 * h}.CheckIssuer(ic, t0)
			},
			func(iss *Issuer) error {
				_, err := NewServerCert(ServerRequest{DNSNames: []string{"db.example.com"}, Validity: 1001 * h}, iss, t0, testRand(1))
				return err
			}, nc, InputValidity, "after its issuer"},
		{"intermediate below pathlen 0",
			func(ic *IssuerCert) error {
				return CARequest{Subject: Subject{CommonName: "i"}, Validity: h, MaxPathLen: -1}.CheckIssuer(ic, t0)
			},
			func(iss *Issuer) error {
				_, err := NewIntermediateCA(CARequest{Subject: Subject{CommonName: "i"}, Validity: h, MaxPathLen: -1}, iss, t0, testRand(1))
				return err
			}, pz, InputIssuer, "pathlen:0"},
		{"intermediate outliving",
			func(ic *IssuerCert) error {
				return CARequest{Subject: Subject{CommonName: "i"}, Validity: 2000 * h, MaxPathLen: -1}.CheckIssuer(ic, t0)
			},
			func(iss *Issuer) error {
				_, err := NewIntermediateCA(CARequest{Subject: Subject{CommonName: "i"}, Validity: 2000 * h, MaxPathLen: -1}, iss, t0, testRand(1))
				return err
			}, nc, InputValidity, "after its issuer"},
	} {
		ic := tc.iss.certs()
		perr, aerr := tc.check(ic), tc.issue(tc.iss)
		if perr == nil || aerr == nil || perr.Error() != aerr.Error() {
			t.Errorf("%s: plan-time %v, issuance %v: want the same refusal", tc.name, perr, aerr)
			continue
		}
		if InputOf(perr) != tc.input || !strings.Contains(perr.Error(), tc.want) {
			t.Errorf("%s: %v on input %d, want %q on input %d", tc.name, perr, InputOf(perr), tc.want, tc.input)
		}
	}
}

// TestUnevaluatedConstraints: a CA made by openssl with email and URI name
// constraints. pgtls refuses email and URI names below it (and says why),
// issues certificates without them, and openssl verifies those.
func TestUnevaluatedConstraints(t *testing.T) {
	certPEM, keyPEM := opensslCA(t, []string{"ecparam", "-name", "prime256v1", "-genkey", "-noout"}, nil,
		"basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign",
		"nameConstraints=critical,permitted;email:example.com,permitted;URI:.example.com,permitted;DNS:example.com")
	iss, err := ParseIssuer(certPEM, keyPEM, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(iss.Cert.PermittedEmailAddresses) == 0 || len(iss.Cert.PermittedURIDomains) == 0 {
		t.Fatal("fixture: the openssl CA lacks email or URI constraints")
	}
	now := time.Now()
	for _, tc := range []struct {
		r     ClientRequest
		input Input
	}{
		{ClientRequest{User: "app", EmailAddresses: []string{"app@example.com"}, Validity: time.Hour}, InputEmailAddresses},
		{ClientRequest{User: "app", Subject: &Subject{EmailAddress: "app@example.com"}, Validity: time.Hour}, InputSubject},
		{ClientRequest{User: "app", URIs: []string{"https://db.example.com/app"}, Validity: time.Hour}, InputURIs},
	} {
		_, err := NewClientCert(tc.r, iss, now, nil)
		if err == nil || InputOf(err) != tc.input || !strings.Contains(err.Error(), "pgtls does not evaluate") {
			t.Errorf("%+v: err = %v", tc.r, err)
		}
		if perr := tc.r.CheckIssuer(iss.certs(), now); perr == nil || err == nil || perr.Error() != err.Error() {
			t.Errorf("plan-time check %v differs from issuance %v", perr, err)
		}
	}
	cli, err := NewClientCert(ClientRequest{User: "app", DNSNames: []string{"app.example.com"}, Validity: time.Hour}, iss, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if out, err := openssl(t, "", "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", writeFile(t, dir, "ca.pem", certPEM),
		writeFile(t, dir, "cli.pem", cli.CertPEM)); err != nil {
		t.Errorf("openssl verify: %v\n%s", err, out)
	}
}
