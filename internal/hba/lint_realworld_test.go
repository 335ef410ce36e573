package hba

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// realWorldCase is a pg_hba.conf shaped like the ones teams run (distro
// defaults, container images, cloud and HA templates, hand-written
// migrations) with the exact findings it must produce: every code must be
// right when it fires (precision) and fire when it is right (recall).
type realWorldCase struct {
	name    string
	v       int
	content string
	ident   string // pg_ident.conf; "" = maps unknown
	want    []string
}

func realWorldCases() []realWorldCase {
	return []realWorldCase{
		{name: "Debian/Ubuntu default", v: 15, content: `
local   all             postgres                                peer
local   all             all                                     peer
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     peer
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
`},
		{name: "container image (postgres:15) appends a catch-all", v: 15, content: `
local all all trust
host all all 127.0.0.1/32 trust
host all all ::1/128 trust
local replication all trust
host replication all 127.0.0.1/32 trust
host replication all ::1/128 trust
host all all all scram-sha-256
`, want: []string{"all_all_network:8"}},
		{name: "older image: md5 from anywhere", v: 13, content: `
host all all 127.0.0.1/32 trust
host all all 0.0.0.0/0 md5
`, want: []string{"all_all_network:3", "md5_deprecated:3"}},
		{name: "issue 7 §10: loopback trust before certificate-only TLS", v: 15, content: `
host    all all 127.0.0.1/32 trust
host    all all ::1/128      trust
hostssl all all all          cert clientcert=verify-full
`, want: []string{"cert_clientcert_redundant:4"}},
		{name: "samehost and localhost are loopback too", v: 15, content: `
host    all all samehost  password
host    all all localhost md5
hostssl all all all       cert
`, want: []string{"md5_deprecated:3"}},
		{name: "password over the network before the TLS rule it undermines", v: 15, content: `
host    all all 10.0.0.0/8 scram-sha-256
hostssl all all 10.0.0.0/8 cert
`, want: []string{"non_tls_path:2", "shadowed:3"}},
		{name: "TLS enforced with hostnossl reject", v: 15, content: `
local     all all            peer
hostnossl all all 0.0.0.0/0  reject
hostnossl all all ::/0       reject
hostssl   all all 10.0.0.0/8 scram-sha-256
hostssl   all all 10.1.0.0/16 cert
`, want: []string{"shadowed:6"}},
		{name: "trust from a network", v: 15, content: `
host all all 192.168.1.0/24 trust
host all all samenet        trust
`, want: []string{"trust_network:2", "trust_network:3"}},
		{name: "trust with a client certificate is certificate login", v: 15, content: `
hostssl all all 10.0.0.0/8 trust clientcert=verify-ca
hostssl all all 0.0.0.0/0  trust clientcert=verify-full
`},
		{name: "cleartext methods without TLS", v: 15, content: `
host all all 10.0.0.0/8  ldap ldapserver=ldap.example.com ldapprefix="uid=" ldapsuffix=",dc=example,dc=com"
host all all 172.16.0.0/12 password
host all all 127.0.0.1/32 password
hostssl all all 192.168.0.0/16 ldap ldapserver=ldap.example.com ldapprefix="uid=" ldapsuffix=",dc=example,dc=com"
`, want: []string{"password_cleartext:2", "password_cleartext:3"}},
		{name: "md5 on 18 is deprecated", v: 18, content: `
hostssl all all 10.0.0.0/8 md5
`, want: []string{"md5_deprecated:2"}},
		{name: "wide ranges", v: 15, content: `
hostssl app1 app 10.0.0.0/7  scram-sha-256
hostssl app2 app 10.0.0.0/8  scram-sha-256
hostssl app3 app fd00::/8    scram-sha-256
hostssl app4 app 2001:db8::/32 scram-sha-256
hostssl app5 app 0.0.0.0/0   cert
host    all all 0.0.0.0/1   reject
`, want: []string{"wide_address:2", "wide_address:4"}},
		{name: "ident maps: missing, unused, used", v: 15, content: `
hostssl all all 10.0.0.0/8 cert map=certs
hostssl all all 172.16.0.0/12 cert map=nosuch
`, ident: `
certs  app.example.com  app
old    x                y
`, want: []string{"missing_ident_map:3", "unused_ident_map:0"}},
		{name: "ident maps in an included pg_ident.conf file are not known missing", v: 16, content: `
hostssl all all 10.0.0.0/8 cert map=fromincluded
`, ident: `
include more_maps.conf
certs  app.example.com  app
`, want: []string{"unused_ident_map:0"}},
		{name: "rules in an included pg_hba.conf file may use a map", v: 16, content: `
include more_rules.conf
hostssl all all 10.0.0.0/8 cert map=certs
`, ident: `
certs  app.example.com  app
other  x                y
`, want: []string{"include_not_followed:2"}},
		{name: "old Ubuntu: ident on the local socket", v: 13, content: `
local all postgres ident
local all all      peer
`, want: []string{"ident_on_local:2"}},
		{name: "Windows-only method", v: 15, content: `
host all all 10.0.0.0/8 sspi
`, want: []string{"platform_method:2"}},
		{name: "template text and quoted keywords are host names", v: 15, content: `
host all all ${network}   scram-sha-256
host all all "all"        scram-sha-256
host all all @trusted.txt scram-sha-256
host all all 10.1/16      scram-sha-256
host all all db.example.com scram-sha-256
`, want: []string{"unusual_address:2", "unusual_address:3", "unusual_address:4", "unusual_address:5"}},
		{name: "not shadowed: replication, other users, groups", v: 15, content: `
host all        all     10.0.0.0/8 scram-sha-256
host replication all    10.0.0.0/8 scram-sha-256
local all       postgres           peer
local all       all                peer
host all        +admins 172.16.0.0/12 scram-sha-256
host all        alice   172.16.0.0/12 scram-sha-256
hostssl all     all     ::1/128     cert
hostssl all     all     ::/0        cert
host all        all     0.0.0.0/0   reject
`},
		{name: "shadowed reject is an error-worthy mistake", v: 15, content: `
host all all     10.0.0.0/8  scram-sha-256
host all mallory 10.1.0.0/16 reject
`, want: []string{"shadowed:3"}},
		{name: "include and NUL", v: 16, content: "include_dir conf.d\nhost all all 10.0.0.0/8 scram-sha-256\x00 trailing\n\nhost all all 172.16.0.0/12 scram-sha-256\n",
			want: []string{"include_not_followed:1", "nul_byte:2"}},
	}
}

// TestLintPrecisionRealWorld: every code is right on real-world-shaped
// files, and every code that should fire does.
func TestLintPrecisionRealWorld(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range realWorldCases() {
		pf, err := Parse(c.content, c.v)
		if err != nil {
			t.Fatal(err)
		}
		if len(pf.Problems) > 0 {
			t.Errorf("%s: problems %v", c.name, pf.Problems)
		}
		opts := LintOptions{Version: c.v, IdentMapsUnknown: c.ident == ""}
		var maps []IdentMap
		if c.ident != "" {
			pi, _ := ParseIdent(c.ident, c.v)
			maps = pi.Maps
			opts.IdentMapsIncomplete = len(pi.Directives) > 0
		}
		var got []string
		for _, f := range pf.Lint(maps, opts) {
			got = append(got, fmt.Sprintf("%s:%d", f.Code, f.Line))
			seen[f.Code] = true
		}
		sort.Strings(got)
		want := append([]string{}, c.want...)
		sort.Strings(want)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s:\n got  %v\n want %v\n%v", c.name, got, want, pf.Lint(maps, opts))
		}
	}
	// Every code but lint_incomplete (TestLintWorkBounded) has a true case.
	for _, code := range Codes() {
		if !seen[code] && code != CodeLintIncomplete {
			t.Errorf("code %s has no real-world case that fires", code)
		}
	}
}

// TestMD5Wording: md5 is deprecated in 18, not before.
func TestMD5Wording(t *testing.T) {
	r := []Rule{{Type: HostSSL, Databases: allN, Users: allN, Address: "10.0.0.0/8", Method: MD5}}
	for v, want := range map[int]string{15: "weaker than SCRAM (PostgreSQL 18 deprecates them)", 17: "PostgreSQL 18 deprecates", 18: "deprecated in PostgreSQL 18"} {
		fs := Lint(r, nil, LintOptions{Version: v, IdentMapsUnknown: true})
		if len(fs) != 1 || !strings.Contains(fs[0].Message, want) {
			t.Errorf("v%d: %v", v, fs)
		}
		if v < 18 && (strings.Contains(fs[0].Message, "is deprecated") || fs[0].Severity != SeverityInfo) {
			t.Errorf("v%d says deprecated: %v", v, fs[0])
		}
	}
}
