package check

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// Each class of message the check produces must be true for the mode and
// the inputs at hand, and agree with what psql (libpq) reports for the same
// inputs. The classes not covered here are covered by agreeWithLibpq's
// per-result assertions (no "SSL was required" outside require and above,
// no client-certificate talk when none is configured).

// TestOversizedNameMessages: a 100,000-character user makes PostgreSQL drop
// the connection ("invalid length of startup packet" in its log, nothing to
// the client). The request is refused before any connection (the name rule),
// and when the check is forced past validation its message is libpq's
// (connection closed unexpectedly), never a guess about client certificates,
// even though the server asks for one (ssl_ca_file is set).
func TestOversizedNameMessages(t *testing.T) {
	ca := newCA(t, "oversized-name root")
	srvLeaf := ca.server(t, "localhost", []string{"localhost"}, "127.0.0.1")
	long := strings.Repeat("a", 100000)
	eachVersion(t, func(t *testing.T, version int) {
		srv := testserver.StartPostgres(t, testserver.PostgresConfig{Version: version, SSL: true, CertPEM: srvLeaf.certPEM, KeyPEM: srvLeaf.keyPEM,
			CAPEM: ca.pem, HBA: "host all all 127.0.0.1/32 scram-sha-256", Roles: []string{"alice"}})
		req := Request{Host: srv.Host, Port: srv.Port, Database: "postgres", User: long, RootCertPEM: ca.pem}

		probs := req.Validate()
		if len(probs) != 1 || probs[0].Field != "user" || !strings.Contains(probs[0].Message, "at most 63 bytes (NAMEDATALEN-1)") ||
			!strings.Contains(probs[0].Message, "100000 bytes") || len(probs[0].String()) > 400 {
			t.Fatalf("problems for a 100,000-byte user: %v", probs)
		}
		for _, r := range Run(t.Context(), req) {
			if r.Category != CatInvalidReq || r.Path != PathNone {
				t.Errorf("%s: an invalid request was probed: %+v", r.Mode, r)
			}
		}

		// Past validation (as a caller skipping Validate would be): the
		// message must be what libpq says for the same connection.
		m, _ := req.prepare()
		for _, mode := range AllModes {
			r := probeMode(t.Context(), req, m, mode)
			p := psqlFor(t, req, mode)
			if p.ExitCode == -1 {
				t.Fatalf("psql did not run: %v", p.Err)
			}
			desc := string(mode) + ": pgtls cat=" + r.Category + " err=" + strconv.Quote(r.Error) + " | psql: " + strconv.Quote(strings.TrimSpace(p.Stderr))
			t.Log(desc)
			if r.Success || p.ExitCode == 0 {
				t.Errorf("oversized startup packet accepted: %s", desc)
				continue
			}
			cat, _, last := libpqCategory(p.Stderr)
			if cat != r.Category {
				t.Errorf("category %q, libpq's %q (%s)", r.Category, cat, last)
			}
			if strings.Contains(r.Error, "certificate") {
				t.Errorf("no client certificate is configured, yet the error mentions one: %s", desc)
			}
			for _, phrase := range []string{"SSL connection has been closed unexpectedly", "server closed the connection unexpectedly"} {
				if strings.Contains(p.Stderr, phrase) != strings.Contains(r.Error, phrase) {
					t.Errorf("libpq and pgtls disagree on %q: %s", phrase, desc)
				}
			}
		}
		waitForLog(t, srv, "invalid length of startup packet")
	})
}

// TestNameLimitMatchesServerTruncation: 63 bytes is the longest name the
// check accepts and the longest PostgreSQL keeps; a 64-byte name is refused
// because the server would log in with its first 63 bytes, which psql
// shows.
func TestNameLimitMatchesServerTruncation(t *testing.T) {
	name63 := strings.Repeat("n", MaxNameBytes)
	name64 := name63 + "x"
	eachVersion(t, func(t *testing.T, version int) {
		srv := testserver.StartPostgres(t, testserver.PostgresConfig{Version: version, SSL: true,
			HBA: "host all all 127.0.0.1/32 scram-sha-256", Roles: []string{name63}})
		srv.Exec(t, "SET password_encryption = 'scram-sha-256'; ALTER ROLE "+testserver.QuoteIdent(name63)+" PASSWORD "+testserver.QuoteLiteral(alicePassword))

		ok := Request{User: name63, Password: alicePassword}
		if p := (Request{Host: "127.0.0.1", User: name63, Database: name63}).Validate(); len(p) != 0 {
			t.Fatalf("63-byte names refused: %v", p)
		}
		agreeWithLibpq(t, srv.Host, srv.Port, clientCase{name: "63-bytes", major: srv.Major, req: ok,
			want: map[SSLMode]bool{ModeDisable: true, ModeAllow: true, ModePrefer: true, ModeRequire: true, ModeVerifyCA: false, ModeVerifyFull: false}}, true)

		long := Request{Host: srv.Host, Port: srv.Port, Database: "postgres", User: name64, Password: alicePassword}
		probs := long.Validate()
		if len(probs) != 1 || probs[0].Field != "user" || !strings.Contains(probs[0].Message, "first 63 bytes") {
			t.Fatalf("64-byte user: %v", probs)
		}
		db := long
		db.User, db.Database = name63, name64
		if probs := db.Validate(); len(probs) != 1 || probs[0].Field != "database" {
			t.Fatalf("64-byte database: %v", probs)
		}
		// The rule's reason, proven: libpq sends all 64 bytes and the
		// server logs in as the 63-byte prefix.
		p := psqlFor(t, long, ModeRequire)
		if got := strings.TrimSpace(p.Stdout); p.ExitCode != 0 || !strings.HasPrefix(got, name63+"|") {
			t.Errorf("psql as a 64-byte user: exit %d out %q err %q; want a login as the 63-byte role", p.ExitCode, got, p.Stderr)
		}
	})
}

// TestInputProblemsAgreeWithLibpq: inputs libpq itself refuses are refused
// by Validate on the same field; the one bound libpq does not have (a
// negative connect_timeout means "wait forever" to libpq) is ours on
// purpose, so every probe ends.
func TestInputProblemsAgreeWithLibpq(t *testing.T) {
	srv := testserver.StartPostgres(t, testserver.PostgresConfig{SSL: true, HBA: "host all all 127.0.0.1/32 scram-sha-256", Roles: []string{"alice"}})
	setAlicePassword(t, srv)
	base := Request{Host: srv.Host, Port: srv.Port, Database: "postgres", User: "alice", Password: alicePassword}
	psqlRun := func(conninfo map[string]string) testserver.PsqlResult {
		ci := map[string]string{"host": srv.Host, "port": strconv.Itoa(srv.Port), "dbname": "postgres", "user": "alice", "password": alicePassword, "sslmode": "require"}
		for k, v := range conninfo {
			ci[k] = v
		}
		return testserver.Psql(t, ci, testserver.ClientTLS{}, "SELECT 1")
	}
	longHost := strings.Repeat("h", 300) + ".test"
	for _, c := range []struct {
		name     string
		mutate   func(*Request)
		conninfo map[string]string
		libpq    string // what psql says; empty: psql accepts the input
		field    string
		key      string
		rule     string
	}{
		{"port-70000", func(r *Request) { r.Port = 70000 }, map[string]string{"port": "70000"}, `invalid port number: "70000"`, "port", "", "between 1 and 65535"},
		{"sslmode-uppercase", func(r *Request) { r.SSLModes = []SSLMode{"REQUIRE"} }, map[string]string{"sslmode": "REQUIRE"}, `invalid sslmode value: "REQUIRE"`, "sslmodes", "0", `use "require"`},
		{"sslmode-unknown", func(r *Request) { r.SSLModes = []SSLMode{ModeDisable, "verify-everything"} }, map[string]string{"sslmode": "verify-everything"}, `invalid sslmode value: "verify-everything"`, "sslmodes", "1", "must be one of"},
		{"host-300-chars", func(r *Request) { r.Host = longHost }, map[string]string{"host": longHost}, "could not translate host name", "host", "", "at most 253"},
		{"negative-timeout", func(r *Request) { r.ConnectTimeout = -time.Second }, map[string]string{"connect_timeout": "-1"}, "", "connect_timeout", "", "positive and at most 300 seconds"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := base
			c.mutate(&req)
			probs := req.Validate()
			if len(probs) != 1 || probs[0].Field != c.field || probs[0].Key != c.key || !strings.Contains(probs[0].Message, c.rule) {
				t.Fatalf("problems %v; want one on %s[%s] saying %q", probs, c.field, c.key, c.rule)
			}
			if len(probs[0].String()) > 300 {
				t.Errorf("problem not bounded: %d characters", len(probs[0].String()))
			}
			p := psqlRun(c.conninfo)
			t.Logf("pgtls: %s | psql exit %d: %s", probs[0], p.ExitCode, strings.TrimSpace(p.Stderr))
			switch {
			case c.libpq == "" && p.ExitCode != 0:
				t.Errorf("psql refused an input libpq is believed to accept: %s", p.Stderr)
			case c.libpq != "" && (p.ExitCode == 0 || !strings.Contains(p.Stderr, c.libpq)):
				t.Errorf("psql: exit %d, stderr %q; want %q", p.ExitCode, p.Stderr, c.libpq)
			}
		})
	}
	dup := base
	dup.SSLModes = []SSLMode{ModeRequire, ModeDisable, ModeRequire}
	if probs := dup.Validate(); len(probs) != 1 || probs[0].Key != "2" || !strings.Contains(probs[0].Message, "also at index 0") {
		t.Errorf("duplicate sslmode: %v", probs)
	}
}

// waitForLog waits (briefly: the backend logs before it exits) until the
// server log holds want.
func waitForLog(t *testing.T, srv *testserver.Postgres, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(srv.Log(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("server log lacks %q:\n%s", want, srv.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
