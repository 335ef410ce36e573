package check

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

func TestWildcardMatchLibpqRules(t *testing.T) {
	cases := []struct {
		pat, host string
		want      bool
	}{
		{"*.example.com", "db.example.com", true},
		{"*.example.com", "DB.Example.COM", true},
		{"*.example.com", "a.b.example.com", false}, // one label only
		{"*.example.com", "example.com", false},
		{"*.example.com", ".example.com", false},
		{"*example.com", "dbexample.com", false}, // only a leading "*."
		{"db.*.com", "db.example.com", false},
		{"*.", "a.", false},
		{"*.*.com", "a.b.com", false},
		{"*.0.0.1", "127.0.0.1", true}, // libpq compares strings, even for IP hosts
	}
	for _, c := range cases {
		if got := wildcardMatch(c.pat, c.host); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", c.pat, c.host, got, c.want)
		}
	}
}

func TestMatchHostNameLibpqRules(t *testing.T) {
	ca := newCA(t, "Unit Root")
	cases := []struct {
		name   string
		leaf   *leaf
		host   string
		ok     bool
		errHas string
	}{
		{"dns SAN exact", ca.server(t, "ignored", []string{"db.example.com"}), "db.example.com", true, ""},
		{"dns SAN case-insensitive", ca.server(t, "ignored", []string{"DB.example.com"}), "db.EXAMPLE.com", true, ""},
		{"dns SAN disables CN for dns host", ca.server(t, "db.example.com", []string{"other.example.com"}), "db.example.com", false, `server certificate for "other.example.com" does not match host name "db.example.com"`},
		{"CN only, dns host", ca.server(t, "db.example.com", nil), "db.example.com", true, ""},
		{"CN only, ip host", ca.server(t, "127.0.0.1", nil), "127.0.0.1", true, ""},
		{"ip SAN", ca.server(t, "x", nil, "127.0.0.1"), "127.0.0.1", true, ""},
		{"ip SAN v6", ca.server(t, "x", nil, "::1"), "::1", true, ""},
		{"ip SAN v4 vs v6 host", ca.server(t, "x", nil, "127.0.0.1"), "::ffff:127.0.0.1", false, "does not match"},
		{"ip SAN disables CN for ip host", ca.server(t, "127.0.0.2", nil, "127.0.0.1"), "127.0.0.2", false, "does not match"},
		{"ip host, only dns SANs: CN used (15+)", ca.server(t, "127.0.0.1", []string{"localhost"}), "127.0.0.1", true, ""},
		{"ip host, dns SAN with the ip text matches", ca.issue(t, leafOpts{cn: "x", dns: []string{"127.0.0.1"}, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}), "127.0.0.1", true, ""},
		{"dns host, only ip SANs: CN used", ca.server(t, "localhost", nil, "127.0.0.1"), "localhost", true, ""},
		{"wildcard SAN", ca.server(t, "x", []string{"*.example.com"}), "db.example.com", true, ""},
		{"wildcard SAN two labels", ca.server(t, "x", []string{"*.example.com"}), "a.db.example.com", false, `server certificate for "*.example.com" does not match host name "a.db.example.com"`},
		{"no names", ca.server(t, "", nil), "db", false, "could not get server's host name"},
	}
	for _, c := range cases {
		err := matchHostName(c.leaf.cert, c.host)
		if c.ok && err != nil {
			t.Errorf("%s: unexpected error %v", c.name, err)
		}
		if !c.ok && (err == nil || !strings.Contains(err.Error(), c.errHas)) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.errHas)
		}
	}
}

func TestFirstCommonNameIsOpenSSLs(t *testing.T) {
	ca := newCA(t, "Unit Root")
	c := ca.tp.Issue(t, &x509.Certificate{
		Subject:     pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidCommonName, Value: "first.example"}, {Type: oidCommonName, Value: "second.example"}}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}).Cert
	if cn, ok := firstCommonName(c); !ok || cn != "first.example" {
		t.Fatalf("firstCommonName = %q, %v (Go's CommonName is %q)", cn, ok, c.Subject.CommonName)
	}
	if err := matchHostName(c, "first.example"); err != nil {
		t.Errorf("libpq matches the first CN: %v", err)
	}
	if err := matchHostName(c, "second.example"); err == nil {
		t.Errorf("libpq ignores later CNs, but second.example matched")
	}
}

func TestValidateProblemsNameFieldsAndHideSecrets(t *testing.T) {
	ca := newCA(t, "Unit Root")
	alice := ca.client(t, "alice")
	bob := ca.client(t, "bob")
	const secret = "s3cr3t-Password"
	req := Request{
		Host: "", Port: 70000, User: "", Password: secret + "\x00",
		SSLModes:      []SSLMode{"require", "bogus", "require"},
		RootCertPEM:   "not a pem",
		ClientCertPEM: alice.certPEM,
		ClientKeyPEM:  bob.keyPEM, // does not match
		CRLPEM:        alice.certPEM,
	}
	probs := req.Validate()
	fields := map[string]bool{}
	for _, p := range probs {
		fields[p.Field] = true
		s := p.String()
		if strings.Contains(s, secret) || strings.Contains(s, "PRIVATE KEY-----") || strings.Contains(s, strings.Split(bob.keyPEM, "\n")[1]) {
			t.Errorf("problem leaks a secret: %s", s)
		}
	}
	for _, f := range []string{"host", "port", "user", "password", "sslmodes", "root_cert_pem", "client_key_pem", "crl_pem"} {
		if !fields[f] {
			t.Errorf("no problem reported for %s; got %v", f, probs)
		}
	}
	var unknown, dup bool
	for _, p := range probs {
		if p.Field == "sslmodes" && p.Value == "bogus" && strings.Contains(p.Message, "unknown sslmode") {
			unknown = true
		}
		if p.Field == "sslmodes" && p.Value == "require" && strings.Contains(p.Message, "more than once") {
			dup = true
		}
	}
	if !unknown || !dup {
		t.Errorf("sslmodes problems incomplete: %v", probs)
	}

	good := Request{Host: "127.0.0.1", User: "alice", RootCertPEM: ca.pem, ClientCertPEM: alice.certPEM, ClientKeyPEM: alice.keyPEM, CRLPEM: ca.crl(t)}
	if p := good.Validate(); len(p) != 0 {
		t.Fatalf("valid request reported %v", p)
	}
	enc := good
	enc.ClientKeyPEM = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
	if p := enc.Validate(); len(p) != 1 || !strings.Contains(p[0].Message, "encrypted") {
		t.Fatalf("encrypted key: %v", p)
	}
	// Run turns problems into failed results without dialing anything.
	res := Run(t.Context(), req)
	if len(res) != 3 {
		t.Fatalf("results %d", len(res))
	}
	for _, r := range res {
		if r.Success || r.Category != CatInvalidReq || strings.Contains(r.Error, secret) {
			t.Errorf("invalid request result %+v", r)
		}
	}
}

func TestCompare(t *testing.T) {
	res := []Result{
		{Mode: ModeDisable, Success: false, Error: "FATAL: no pg_hba.conf entry"},
		{Mode: ModeRequire, Success: true, Path: PathTLS, AuthenticatedUser: "alice"},
		{Mode: ModeVerifyFull, Success: false, Error: "hostname"},
	}
	got := Compare(res, Expectation{ModeDisable: false, ModeRequire: false, ModeVerifyFull: false, ModeAllow: true})
	if len(got) != 2 {
		t.Fatalf("mismatches %v", got)
	}
	if got[0].Mode != ModeRequire || got[0].Expected || !got[0].Got || !strings.Contains(got[0].Reason, "alice") {
		t.Errorf("first mismatch %+v", got[0])
	}
	if got[1].Mode != ModeAllow || !got[1].Expected || !strings.Contains(got[1].Reason, "not checked") {
		t.Errorf("second mismatch %+v", got[1])
	}
	if m := Compare(res, Expectation{ModeDisable: false, ModeRequire: true}); len(m) != 0 {
		t.Errorf("unexpected mismatches %v", m)
	}
	exp, probs := ParseExpectation(map[string]string{"require": "success", "verify-ca": "failure", "nope": "success", "allow": "maybe"}, nil)
	if len(probs) != 2 || exp[ModeRequire] != true || exp[ModeVerifyCA] != false || len(exp) != 2 {
		t.Errorf("ParseExpectation = %v, %v", exp, probs)
	}
}

func backendMsg(typ byte, body []byte) []byte {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(len(body)+4))
	return append(b, body...)
}

func TestAuthSniffer(t *testing.T) {
	u32 := func(v uint32) []byte { b := make([]byte, 4); binary.BigEndian.PutUint32(b, v); return b }
	stream := append(backendMsg('S', []byte("a\x00b\x00")), backendMsg('R', u32(0))...)
	a := &attempt{}
	// Feed byte by byte to exercise message reassembly.
	s := &authSniffer{r: iotestOneByte(stream), a: a, noPassword: true}
	if _, err := io.ReadAll(s); err != nil {
		t.Fatal(err)
	}
	if !a.authOK.Load() {
		t.Fatal("AuthenticationOk not seen")
	}
	a2 := &attempt{}
	s2 := &authSniffer{r: bytes.NewReader(backendMsg('R', append(u32(10), []byte("SCRAM-SHA-256\x00\x00")...))), a: a2, noPassword: true}
	if _, err := io.ReadAll(s2); !errors.Is(err, errNoPassword) || !a2.noPassword.Load() || a2.authOK.Load() {
		t.Fatalf("SASL request without password: err %v", err)
	}
	a3 := &attempt{}
	s3 := &authSniffer{r: bytes.NewReader(backendMsg('R', u32(5))), a: a3, noPassword: false}
	if _, err := io.ReadAll(s3); err != nil || a3.noPassword.Load() {
		t.Fatalf("MD5 request with password: err %v", err)
	}
}

type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}

func iotestOneByte(b []byte) io.Reader { return &oneByteReader{b: b} }

func TestVerifyChainRules(t *testing.T) {
	ca := newCA(t, "Unit Root")
	other := newCA(t, "Other Root")
	now := time.Now()
	mk := func(root string, crl string) *material {
		m, p := Request{Host: "h", User: "u", RootCertPEM: root, CRLPEM: crl}.prepare()
		if len(p) != 0 {
			t.Fatal(p)
		}
		return m
	}
	good := ca.server(t, "localhost", []string{"localhost"})
	noEKU := ca.issue(t, leafOpts{cn: "localhost", eku: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	expired := ca.issue(t, leafOpts{cn: "localhost", eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, notBefore: now.Add(-48 * time.Hour), notAfter: now.Add(-24 * time.Hour)})
	cases := []struct {
		name   string
		m      *material
		leaf   *leaf
		errHas string
	}{
		{"good", mk(ca.pem, ""), good, ""},
		{"wrong CA", mk(other.pem, ""), good, "unable to get local issuer"},
		{"no serverAuth", mk(ca.pem, ""), noEKU, "unsupported certificate purpose"},
		{"expired", mk(ca.pem, ""), expired, "certificate has expired"},
		{"crl ok", mk(ca.pem, ca.crl(t)), good, ""},
		{"crl revoked", mk(ca.pem, ca.crl(t, good)), good, "certificate revoked"},
		{"crl of another CA only", mk(ca.pem, other.crl(t)), good, "unable to get certificate CRL"},
	}
	for _, c := range cases {
		err := c.m.verifyChain([]*x509.Certificate{c.leaf.cert}, now)
		if c.errHas == "" && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.errHas != "" && (err == nil || !strings.Contains(err.Error(), c.errHas)) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.errHas)
		}
	}
}

func TestBaseConfigIsHermetic(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for k, v := range map[string]string{
		"PGSSLMODE": "verify-full", "PGAPPNAME": "leak", "PGOPTIONS": "-c work_mem=bogus", "PGPASSWORD": "envpw",
		"PGSSLROOTCERT": "/nonexistent/root.crt", "PGSSLCERT": "/nonexistent/c.crt", "PGSSLKEY": "/nonexistent/c.key",
		"PGTZ": "Mars/Olympus", "PGTARGETSESSIONATTRS": "read-write", "PGCHANNELBINDING": "require", "PGREQUIREAUTH": "md5",
		"PGHOST": "envhost", "PGPORT": "1", "PGUSER": "envuser", "PGDATABASE": "envdb", "PGCONNECT_TIMEOUT": "99",
	} {
		t.Setenv(k, v)
	}
	m, p := Request{Host: "127.0.0.1", Port: 6543, User: "alice", Database: "db"}.prepare()
	if len(p) != 0 {
		t.Fatal(p)
	}
	cfg, err := baseConfig(Request{Host: "127.0.0.1", Port: 6543, User: "alice", Database: "db"}, m)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "127.0.0.1" || cfg.Port != 6543 || cfg.User != "alice" || cfg.Database != "db" || cfg.Password != "" {
		t.Errorf("identity fields influenced by env: %+v", cfg)
	}
	if len(cfg.RuntimeParams) != 0 || cfg.TLSConfig != nil || len(cfg.Fallbacks) != 0 || cfg.ValidateConnect != nil ||
		cfg.ChannelBinding != "prefer" || cfg.RequireAuth != "" || cfg.ConnectTimeout != 0 {
		t.Errorf("config influenced by env: params %v tls %v fallbacks %d cb %s ra %s", cfg.RuntimeParams, cfg.TLSConfig, len(cfg.Fallbacks), cfg.ChannelBinding, cfg.RequireAuth)
	}
}

func TestMalformedInputsDoNotPanic(t *testing.T) {
	ca := newCA(t, "Unit Root")
	alice := ca.client(t, "alice")
	garbage := []string{
		"", " ", "\x00", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		"-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n",
		"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
		"-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n",
		"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMAA=\n-----END RSA PRIVATE KEY-----\n",
		ca.pem + "trailing", alice.certPEM + alice.keyPEM,
	}
	for _, g := range garbage {
		for _, r := range []Request{
			{Host: "127.0.0.1", User: "u", RootCertPEM: g},
			{Host: "127.0.0.1", User: "u", CRLPEM: g},
			{Host: "127.0.0.1", User: "u", ClientCertPEM: g, ClientKeyPEM: alice.keyPEM},
			{Host: "127.0.0.1", User: "u", ClientCertPEM: alice.certPEM, ClientKeyPEM: g},
			{Host: g, User: g, ServerName: g, Port: -1, ConnectTimeout: -1},
		} {
			probs := r.Validate()
			if strings.TrimSpace(g) != "" && len(probs) == 0 && g != ca.pem+"trailing" {
				// every garbage value above is invalid in every field it is put in
				t.Errorf("no problem for %q in %+v", g, r)
			}
			for _, p := range probs {
				if strings.Contains(p.String(), strings.TrimSpace(strings.Split(alice.keyPEM, "\n")[1])) {
					t.Errorf("key material in problem: %s", p)
				}
			}
		}
	}
	//lint:ignore SA1012 a nil context must not panic
	res := Run(nil, Request{Host: "", User: "u", SSLModes: []SSLMode{ModeDisable}}) //nolint:staticcheck
	if len(res) != 1 || res[0].Success {
		t.Fatalf("Run(nil, invalid) = %+v", res)
	}
}

// TestLongestNamesFitTheStartupPacket: with user and database at
// MaxNameBytes, the startup message pgconn sends for the check (user,
// database, nothing else: baseConfig sets no runtime parameters) stays far
// below PostgreSQL's MAX_STARTUP_PACKET_LENGTH, so the name rule is the only
// length rule the request needs.
func TestLongestNamesFitTheStartupPacket(t *testing.T) {
	req := Request{Host: "127.0.0.1", User: strings.Repeat("u", MaxNameBytes), Database: strings.Repeat("d", MaxNameBytes)}
	m, probs := req.prepare()
	if len(probs) != 0 {
		t.Fatalf("longest names refused: %v", probs)
	}
	cfg, err := baseConfig(req, m)
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]string{"user": cfg.User, "database": cfg.Database}
	for k, v := range cfg.RuntimeParams {
		params[k] = v
	}
	msg := pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: params}
	buf, err := msg.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(buf) != 4+4+len("user")+1+MaxNameBytes+1+len("database")+1+MaxNameBytes+1+1 || len(buf) > MaxStartupPacket {
		t.Errorf("startup packet of the longest valid request is %d bytes (limit %d): %v", len(buf), MaxStartupPacket, params)
	}
	for _, long := range []Request{
		{Host: "127.0.0.1", User: req.User + "u"},
		{Host: "127.0.0.1", User: "u", Database: req.Database + "d"},
	} {
		if p := long.Validate(); len(p) != 1 || !strings.Contains(p[0].Message, "NAMEDATALEN") {
			t.Errorf("%d/%d-byte names: %v", len(long.User), len(long.Database), p)
		}
	}
}

func TestParseExpectationAgainstModes(t *testing.T) {
	exp, probs := ParseExpectation(map[string]string{"require": " SUCCESS ", "verify-full": "failure", "Prefer": "success"}, []SSLMode{ModeRequire})
	if len(exp) != 2 || !exp[ModeRequire] || exp[ModeVerifyFull] {
		t.Errorf("expectation %v", exp)
	}
	if len(probs) != 2 {
		t.Fatalf("problems %v", probs)
	}
	// sorted by key: "Prefer" < "verify-full"
	if probs[0].Key != "Prefer" || !strings.Contains(probs[0].Message, `use "prefer"`) {
		t.Errorf("case problem %v", probs[0])
	}
	if probs[1].Key != "verify-full" || !strings.Contains(probs[1].Message, "expected but not checked") {
		t.Errorf("unchecked-mode problem %v", probs[1])
	}
	if _, probs := ParseExpectation(map[string]string{"verify-full": "failure"}, nil); len(probs) != 0 {
		t.Errorf("nil modes means all six: %v", probs)
	}
}
