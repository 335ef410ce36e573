package provider

import (
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/scram"
)

// Unit tests: the plan of pgtls_pgbouncer_ini through the provider's
// protocol server, no CLI.

const bouncerINIUnitBase = `"auth_type": "cert", "auth_file": "/etc/pgbouncer/userlist.txt",
  "listen_addr": ["*"], "listen_port": 6432,
  "client_tls_sslmode": "verify-full", "client_tls_ca_file": "/etc/pgbouncer/root.crt",
  "client_tls_cert_file": "/etc/pgbouncer/server.crt", "client_tls_key_file": "/etc/pgbouncer/server.key",
  "server_tls_sslmode": "verify-full", "server_tls_ca_file": "/etc/pgbouncer/root.crt"`

func TestPgBouncerINIPlanUnit(t *testing.T) {
	r := protoPlan(t, "pgtls_pgbouncer_ini", `{`+bouncerINIUnitBase+`,
  "databases": [{"name": "app", "host": "db.example.com", "port": 5432, "user": "app", "password": "it's s3cret"}]}`)
	if errs := r.errors(); len(errs) > 0 {
		t.Fatalf("plan errors: %v", errs)
	}
	content, exact := r.str("content"), r.str("sensitive_content")
	if !strings.Contains(content, "app = host=db.example.com port=5432 user=app password='(sensitive)'") || strings.Contains(content, "s3cret") {
		t.Errorf("review copy:\n%s", content)
	}
	if !strings.Contains(exact, "password='it''s s3cret'") {
		t.Errorf("exact copy:\n%s", exact)
	}
	if r.str("pgbouncer_version") != "1.18" || !strings.Contains(content, "client_tls_sslmode = verify-full") {
		t.Errorf("defaults/content: %s\n%s", r.str("pgbouncer_version"), content)
	}
	if id := r.str("id"); len(id) != 64 || strings.Contains(id, "s3cret") {
		t.Errorf("id %q", id)
	}

	for _, tc := range []struct {
		name, cfg, attr string
		want            []string
	}{
		{"cert needs verify-full", `"auth_type": "cert", "auth_file": "/u", "client_tls_cert_file": "/c", "client_tls_key_file": "/k", "client_tls_ca_file": "/r"`,
			`AttributeName("client_tls_sslmode")`, []string{"verify-full"}},
		{"unix socket with server TLS", bouncerINIUnitBase + `, "databases": [{"name": "app", "host": "/var/run/postgresql"}]`,
			`AttributeName("databases").ElementKeyInt(0).AttributeName("host")`, []string{"never uses TLS on Unix sockets"}},
		{"version gate", bouncerINIUnitBase + `, "client_tls13_ciphers": "TLS_AES_256_GCM_SHA384"`,
			`AttributeName("client_tls13_ciphers")`, []string{"1.25"}},
		{"unknown setting", bouncerINIUnitBase + `, "settings": {"max_client_connections": "10"}`,
			`AttributeName("settings").ElementKeyString("max_client_connections")`, []string{"unknown parameter"}},
		{"cipher typo", bouncerINIUnitBase + `, "client_tls_ciphers": "HIGH:!aNUL"`,
			`AttributeName("client_tls_ciphers")`, []string{"aNUL"}},
		{"schema enum", bouncerINIUnitBase + `, "pool_mode": "transactions"`, `AttributeName("pool_mode")`, []string{"transaction"}},
		{"schema version", bouncerINIUnitBase + `, "pgbouncer_version": "1.17"`, `AttributeName("pgbouncer_version")`, []string{"1.18"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := protoPlan(t, "pgtls_pgbouncer_ini", `{`+tc.cfg+`}`)
			wantPlanError(t, r, tc.attr, tc.want...)
			for _, d := range r.errors() {
				if strings.Contains(d, "s3cret") {
					t.Errorf("secret in a diagnostic: %s", d)
				}
			}
		})
	}
	// Weak settings are warnings, not errors.
	r = protoPlan(t, "pgtls_pgbouncer_ini", `{`+strings.Replace(bouncerINIUnitBase, `"server_tls_sslmode": "verify-full"`, `"server_tls_sslmode": "require"`, 1)+`}`)
	if len(r.errors()) > 0 || len(r.warnings()) != 1 {
		t.Errorf("want one warning: errors %v warnings %v", r.errors(), r.warnings())
	}
}

func TestPgBouncerUserlistPlanUnit(t *testing.T) {
	sv, err := scram.New("the role's password", []byte("0123456789abcdef"), 4096)
	if err != nil {
		t.Fatal(err)
	}
	v := sv.String()
	// Only ready verifiers and none: the exact file is known at plan time.
	r := protoPlan(t, "pgtls_pgbouncer_userlist", `{"users": [{"name": "a\"b", "scram_verifier": "`+v+`"}, {"name": "c", "format": "none"}]}`)
	if errs := r.errors(); len(errs) > 0 {
		t.Fatalf("plan errors: %v", errs)
	}
	if got := r.str("sensitive_content"); got != `"a""b" "`+v+`"`+"\n\"c\" \"\"\n" {
		t.Errorf("exact userlist %q", got)
	}
	if got := r.str("content"); got != `"a""b" "(sensitive)"`+"\n\"c\" \"\"\n" {
		t.Errorf("review copy %q", got)
	}
	// A password: the review copy is known, the exact file waits for the
	// salt drawn at apply.
	r = protoPlan(t, "pgtls_pgbouncer_userlist", `{"users": [{"name": "a", "password": "pw"}]}`)
	if r.str("content") != "\"a\" \"(sensitive)\"\n" || r.str("sensitive_content") != "<unknown>" || r.str("salts") != "<unknown>" && r.Planned["salts"].IsKnown() {
		t.Errorf("content %q sensitive %q", r.str("content"), r.str("sensitive_content"))
	}
	if w := r.warnings(); len(w) != 0 {
		t.Errorf("warnings %v", w)
	}
	for _, tc := range []struct {
		name, cfg, attr string
		want            []string
	}{
		{"md5 warned, plain refused when it looks like a hash", `{"users": [{"name": "a", "format": "plain", "password": "md5` + strings.Repeat("0", 32) + `"}]}`,
			`AttributeName("users").ElementKeyInt(0).AttributeName("password")`, []string{"md5 hash"}},
		{"bad verifier", `{"users": [{"name": "a", "scram_verifier": "SCRAM-SHA-256$1:x$y:z"}]}`,
			`AttributeName("users").ElementKeyInt(0).AttributeName("scram_verifier")`, []string{"plain-text password"}},
		{"iterations bounded", `{"scram_iterations": 100, "users": [{"name": "a", "password": "pw"}]}`, `AttributeName("scram_iterations")`, []string{"4096"}},
		{"duplicate", `{"users": [{"name": "a", "format": "none"}, {"name": "a", "format": "none"}]}`,
			`AttributeName("users").ElementKeyInt(1).AttributeName("name")`, []string{"last entry"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantPlanError(t, protoPlan(t, "pgtls_pgbouncer_userlist", tc.cfg), tc.attr, tc.want...)
		})
	}
}
