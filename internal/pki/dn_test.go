package pki

import (
	"strings"
	"testing"
	"time"
)

// dnCases are tricky subjects pgtls issues with the string OpenSSL's
// XN_FLAG_RFC2253 prints for them (checked against the openssl binary in
// TestRFC2253MatchesOpenSSL; the formatter itself and foreign string types
// are tested in internal/x509util).
var dnCases = []struct {
	name string
	sub  Subject
	want string
}{
	{"plain", Subject{CommonName: "alice"}, "CN=alice"},
	{"comma", Subject{CommonName: "Doe, John"}, `CN=Doe\, John`},
	{"plus", Subject{CommonName: "a+b"}, `CN=a\+b`},
	{"quotes", Subject{CommonName: `say "hi"`}, `CN=say \"hi\"`},
	{"leading space", Subject{CommonName: " lead"}, `CN=\ lead`},
	{"trailing space", Subject{CommonName: "trail "}, `CN=trail\ `},
	{"inner spaces", Subject{CommonName: "a  b"}, `CN=a  b`},
	{"hash first", Subject{CommonName: "#admin"}, `CN=\#admin`},
	{"hash inner", Subject{CommonName: "a#b"}, `CN=a#b`},
	{"hash alone", Subject{CommonName: "#"}, `CN=#`},
	{"backslash", Subject{CommonName: `dom\user`}, `CN=dom\\user`},
	{"semicolon angle", Subject{CommonName: "a;b<c>d"}, `CN=a\;b\<c\>d`},
	{"equals", Subject{CommonName: "a=b"}, `CN=a=b`},
	{"latin1", Subject{CommonName: "Jürgen"}, `CN=J\C3\BCrgen`},
	{"cjk", Subject{CommonName: "日本"}, `CN=\E6\97\A5\E6\9C\AC`},
	{"emoji", Subject{CommonName: "db🐘"}, `CN=db\F0\9F\90\98`},
	{"email", Subject{CommonName: "alice", EmailAddress: "alice@example.com"}, `emailAddress=alice@example.com,CN=alice`},
	{"full", Subject{
		CommonName: "app", Organization: "Example, Inc.", OrganizationalUnit: "DB+Ops", Country: "DE",
		Province: "Berlin", Locality: "Berlin", StreetAddress: "Hauptstraße 1", PostalCode: "10115",
		EmailAddress: "dba@example.com",
	}, `emailAddress=dba@example.com,CN=app,OU=DB\+Ops,O=Example\, Inc.,postalCode=10115,street=Hauptstra\C3\9Fe 1,L=Berlin,ST=Berlin,C=DE`},
}

func TestSubjectDNForTable(t *testing.T) {
	for _, tc := range dnCases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.sub.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got := SubjectDNFor(tc.sub); got != tc.want {
				t.Errorf("SubjectDNFor = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRFC2253EqualsSubjectDNFor(t *testing.T) {
	for i, tc := range dnCases {
		t.Run(tc.name, func(t *testing.T) {
			is, err := NewRootCA(CARequest{Subject: tc.sub, KeyType: KeyEd25519, Validity: time.Hour, MaxPathLen: -1}, t0, testRand(uint64(i)))
			if err != nil {
				t.Fatal(err)
			}
			if got := RFC2253(is.Cert); got != tc.want {
				t.Errorf("RFC2253 = %q, want %q", got, tc.want)
			}
			if Describe(is.Cert).Subject != tc.want || Describe(is.Cert).Issuer != tc.want {
				t.Errorf("Describe subject/issuer = %q / %q", Describe(is.Cert).Subject, Describe(is.Cert).Issuer)
			}
		})
	}
}

func TestRFC2253MatchesOpenSSL(t *testing.T) {
	requireOpenSSL(t)
	for i, tc := range dnCases {
		t.Run(tc.name, func(t *testing.T) {
			is, err := NewRootCA(CARequest{Subject: tc.sub, KeyType: KeyEd25519, Validity: time.Hour, MaxPathLen: -1}, t0, testRand(uint64(i)))
			if err != nil {
				t.Fatal(err)
			}
			out, err := openssl(t, is.CertPEM, "x509", "-noout", "-subject", "-nameopt", "RFC2253")
			if err != nil {
				t.Fatalf("openssl: %v\n%s", err, out)
			}
			got := strings.TrimSuffix(strings.TrimPrefix(out, "subject="), "\n")
			if got != RFC2253(is.Cert) || got != SubjectDNFor(tc.sub) {
				t.Errorf("openssl prints %q; RFC2253 = %q; SubjectDNFor = %q", got, RFC2253(is.Cert), SubjectDNFor(tc.sub))
			}
		})
	}
}
