package pki

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestValidateDNSName(t *testing.T) {
	ok := []string{"db", "db.example.com", "DB.Example.COM", "*.example.com", "*.local", "a-b.c-d.e", "xn--mller-kva.de",
		strings.Repeat("a", 63) + ".com", "1.example.com", "0db.example"}
	for _, n := range ok {
		if err := ValidateDNSName(n); err != nil {
			t.Errorf("ValidateDNSName(%q) = %v", n, err)
		}
	}
	bad := map[string]string{
		"":                                    "empty",
		"*":                                   "bare wildcard",
		"a.*.com":                             "not the first label",
		"*a.example.com":                      "partial-label wildcard",
		"a*.example.com":                      "partial-label wildcard",
		"*.*.x":                               "not the first label",
		"db.example.com.":                     "ends with a dot",
		"db..example.com":                     `label "" is empty`,
		".example.com":                        `label "" is empty`,
		"-db.example.com":                     "hyphen",
		"db-.example.com":                     "hyphen",
		"my_db.example.com":                   `contains '_'`,
		"müller.de":                           "punycode",
		"db example":                          `contains ' '`,
		"10.0.0.1":                            "is an IP address",
		"::1":                                 "is an IP address",
		strings.Repeat("a", 64) + ".com":      "64 characters",
		strings.Repeat("abcdefghi.", 26):      "ends with a dot",
		strings.Repeat("abcdefgh.", 29) + "x": "characters long",
	}
	for n, want := range bad {
		err := ValidateDNSName(n)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateDNSName(%q) = %v, want %q", n, err, want)
			continue
		}
		if n != "" && !strings.Contains(err.Error(), n) {
			t.Errorf("error %q does not name the value", err)
		}
		if !strings.Contains(err.Error(), "*.") && !strings.Contains(err.Error(), "IP") && !strings.Contains(err.Error(), "trailing dot") {
			t.Errorf("error %q does not explain the rule", err)
		}
	}
}

func TestValidateDNSConstraint(t *testing.T) {
	for _, c := range []string{"example.com", ".example.com", "Internal", "a.b.c"} {
		if err := ValidateDNSConstraint(c); err != nil {
			t.Errorf("%q: %v", c, err)
		}
	}
	for c, want := range map[string]string{"": "empty", ".": "empty", "*.example.com": "wildcard", "..x": "not a domain", "10.0.0.0": "IP address", "a_b": "not a domain"} {
		if err := ValidateDNSConstraint(c); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", c, err, want)
		}
	}
}

func TestValidateRoleName(t *testing.T) {
	ok := []string{"alice", "app_user", "Alice", "PUBLIC", "None", "Pg_monitor", "pg", "pgx_user", "user with space", "ünïcödé",
		strings.Repeat("a", 63), strings.Repeat("é", 31) + "a", "current_user", "a\"b"}
	for _, n := range ok {
		if err := ValidateRoleName(n); err != nil {
			t.Errorf("ValidateRoleName(%q) = %v", n, err)
		}
	}
	bad := map[string]string{
		"":                      "empty",
		"public":                "reserved",
		"none":                  "reserved",
		"pg_monitor":            `starting with "pg_"`,
		"pg_":                   `starting with "pg_"`,
		strings.Repeat("a", 64): "64 bytes",
		strings.Repeat("é", 32): "64 bytes",
		"a\x00b":                "NUL",
		"\xff\xfe":              "UTF-8",
	}
	for n, want := range bad {
		err := ValidateRoleName(n)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateRoleName(%q) = %v, want %q", n, err, want)
		}
	}
}

func TestSubjectValidate(t *testing.T) {
	good := Subject{CommonName: strings.Repeat("x", 64), Organization: "Ä", Country: "DE", EmailAddress: "a.b+c@example.co.uk", Province: strings.Repeat("p", 128), PostalCode: strings.Repeat("1", 40)}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		s    Subject
		want string
	}{
		"cn too long":     {Subject{CommonName: strings.Repeat("x", 65)}, "common_name"},
		"cn runes":        {Subject{CommonName: strings.Repeat("ü", 65)}, "65 characters"},
		"org too long":    {Subject{Organization: strings.Repeat("x", 65)}, "at most 64"},
		"postal too long": {Subject{PostalCode: strings.Repeat("1", 41)}, "at most 40"},
		"country lower":   {Subject{Country: "de"}, "two-letter upper-case"},
		"country long":    {Subject{Country: "DEU"}, `country "DEU"`},
		"country digits":  {Subject{Country: "D1"}, "two-letter"},
		"nul":             {Subject{CommonName: "a\x00b"}, "control character"},
		"newline":         {Subject{Locality: "a\nb"}, "control character U+000A"},
		"del":             {Subject{CommonName: "a\x7fb"}, "control character"},
		"bad utf8":        {Subject{CommonName: "\xff"}, "not valid UTF-8"},
		"blank":           {Subject{OrganizationalUnit: "  "}, "only blanks"},
		"email no at":     {Subject{EmailAddress: "alice"}, "email_address"},
		"email name":      {Subject{EmailAddress: "Alice <alice@example.com>"}, "email_address"},
		"email non-ascii": {Subject{EmailAddress: "jürgen@example.com"}, "ASCII"},
		"email two":       {Subject{EmailAddress: "a@x.com, b@y.com"}, "email_address"},
	}
	for name, tc := range cases {
		err := tc.s.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
}

func TestRequestValidate(t *testing.T) {
	h := time.Hour
	ip := netip.MustParseAddr
	sreqs := map[string]struct {
		r    ServerRequest
		want string
	}{
		"no SAN":        {ServerRequest{CommonName: "db", Validity: h}, "at least one DNS name or IP address"},
		"bad dns":       {ServerRequest{DNSNames: []string{"a.*.com"}, Validity: h}, "a.*.com"},
		"dup dns":       {ServerRequest{DNSNames: []string{"db", "DB"}, Validity: h}, "listed twice"},
		"dup ip":        {ServerRequest{IPAddresses: []netip.Addr{ip("10.0.0.1"), ip("::ffff:10.0.0.1")}, Validity: h}, "listed twice"},
		"zone":          {ServerRequest{IPAddresses: []netip.Addr{ip("fe80::1%eth0")}, Validity: h}, "zone"},
		"invalid ip":    {ServerRequest{IPAddresses: []netip.Addr{{}}, Validity: h}, "invalid"},
		"long cn":       {ServerRequest{CommonName: strings.Repeat("c", 65), DNSNames: []string{"db"}, Validity: h}, "at most 64"},
		"zero validity": {ServerRequest{DNSNames: []string{"db"}}, "must be positive"},
		"key type":      {ServerRequest{DNSNames: []string{"db"}, Validity: h, KeyType: "rsa-1024"}, "2048"},
	}
	for name, tc := range sreqs {
		if err := tc.r.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("server %s: err = %v, want %q", name, err, tc.want)
		}
	}
	if err := (ServerRequest{IPAddresses: []netip.Addr{ip("127.0.0.1")}, Validity: h}).Validate(); err != nil {
		t.Errorf("IP-only server: %v", err)
	}
	creqs := map[string]struct {
		r    ClientRequest
		want string
	}{
		"reserved":    {ClientRequest{User: "pg_read_all_data", Validity: h}, "pg_"},
		"empty":       {ClientRequest{Validity: h}, "empty"},
		"control":     {ClientRequest{User: "a\tb", Validity: h}, "control character"},
		"bad subject": {ClientRequest{User: "alice", Subject: &Subject{Country: "xx"}, Validity: h}, "country"},
		"validity":    {ClientRequest{User: "alice", Validity: -h}, "positive"},
	}
	for name, tc := range creqs {
		if err := tc.r.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("client %s: err = %v, want %q", name, err, tc.want)
		}
	}
	pfx := netip.MustParsePrefix
	careqs := map[string]struct {
		r    CARequest
		want string
	}{
		"no cn":       {CARequest{Subject: Subject{Organization: "o"}, Validity: h}, "common_name"},
		"pathlen":     {CARequest{Subject: Subject{CommonName: "c"}, Validity: h, MaxPathLen: -5}, "-5"},
		"dns nc":      {CARequest{Subject: Subject{CommonName: "c"}, Validity: h, PermittedDNSDomains: []string{"*.x.com"}}, "wildcard"},
		"excluded nc": {CARequest{Subject: Subject{CommonName: "c"}, Validity: h, ExcludedDNSDomains: []string{""}}, "empty"},
		"host bits":   {CARequest{Subject: Subject{CommonName: "c"}, Validity: h, PermittedIPRanges: []netip.Prefix{pfx("10.1.2.3/8")}}, "did you mean 10.0.0.0/8"},
		"invalid pfx": {CARequest{Subject: Subject{CommonName: "c"}, Validity: h, ExcludedIPRanges: []netip.Prefix{{}}}, "not a valid CIDR"},
		"mapped pfx":  {CARequest{Subject: Subject{CommonName: "c"}, Validity: h, PermittedIPRanges: []netip.Prefix{pfx("::ffff:10.0.0.0/104")}}, "IPv4-mapped"},
		"ca validity": {CARequest{Subject: Subject{CommonName: "c"}}, "positive"},
	}
	for name, tc := range careqs {
		if err := tc.r.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CA %s: err = %v, want %q", name, err, tc.want)
		}
	}
}

func TestCheckNotOutliving(t *testing.T) {
	root := mustRoot(t, CARequest{Subject: Subject{CommonName: "short"}, Validity: 100 * time.Hour, MaxPathLen: -1})
	// Root: NotAfter = t0 + 100h.
	if err := CheckNotOutliving(root.Cert, t0, 100*time.Hour); err != nil {
		t.Errorf("exactly the issuer's not_after must be allowed: %v", err)
	}
	err := CheckNotOutliving(root.Cert, t0, 100*time.Hour+time.Second)
	if err == nil {
		t.Fatal("one second past the issuer accepted")
	}
	want := `the certificate would be valid until 2026-01-06T07:04:06Z (now + 100h0m1s), after its issuer "CN=short" expires at 2026-01-06T07:04:05Z`
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "at most 100 hours") {
		t.Errorf("err = %q\nwant it to contain %q", err, want)
	}
	err = CheckNotOutliving(root.Cert, t0.Add(time.Hour), 100*time.Hour)
	if err == nil || !strings.Contains(err.Error(), "(now + 100 hours)") || !strings.Contains(err.Error(), "at most 99 hours") {
		t.Errorf("err = %v", err)
	}
	err = CheckNotOutliving(root.Cert, t0.Add(200*time.Hour), time.Hour)
	if err == nil || !strings.Contains(err.Error(), "expired at 2026-01-06T07:04:05Z") {
		t.Errorf("expired issuer: %v", err)
	}
	// Sub-second now is truncated like the certificate times are.
	if err := CheckNotOutliving(root.Cert, t0.Add(999*time.Millisecond), 100*time.Hour); err != nil {
		t.Errorf("sub-second now: %v", err)
	}
	// Issuance returns the same error.
	iss := issuerOf(t, root)
	_, ierr := NewServerCert(ServerRequest{DNSNames: []string{"db"}, Validity: 101 * time.Hour}, iss, t0, testRand(1))
	if cerr := CheckNotOutliving(root.Cert, t0, 101*time.Hour); ierr == nil || ierr.Error() != cerr.Error() {
		t.Errorf("NewServerCert err %v, CheckNotOutliving %v", ierr, cerr)
	}
	_, ierr = NewIntermediateCA(CARequest{Subject: Subject{CommonName: "i"}, Validity: 101 * time.Hour, MaxPathLen: -1}, iss, t0, testRand(1))
	if ierr == nil || !strings.Contains(ierr.Error(), "after its issuer") {
		t.Errorf("NewIntermediateCA err %v", ierr)
	}
	_, ierr = NewClientCert(ClientRequest{User: "alice", Validity: 101 * time.Hour}, iss, t0, testRand(1))
	if ierr == nil || !strings.Contains(ierr.Error(), "after its issuer") {
		t.Errorf("NewClientCert err %v", ierr)
	}
}

func TestReadyForRenewal(t *testing.T) {
	na := t0.Add(100 * time.Hour)
	cases := []struct {
		early time.Duration
		now   time.Time
		want  bool
	}{
		{0, na.Add(-time.Nanosecond), false},
		{0, na, true},
		{0, na.Add(time.Hour), true},
		{24 * time.Hour, na.Add(-24*time.Hour - time.Second), false},
		{24 * time.Hour, na.Add(-24 * time.Hour), true},
		{24 * time.Hour, na.Add(-23 * time.Hour), true},
		{200 * time.Hour, t0, true},
	}
	for _, tc := range cases {
		if got := ReadyForRenewal(na, tc.early, tc.now); got != tc.want {
			t.Errorf("ReadyForRenewal(na, %s, na%+v) = %v", tc.early, tc.now.Sub(na), got)
		}
	}
}
