package provider

import (
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/pooler"
)

const pgpoolUnitBase = `"listen_addresses": "*", "port": 9999, "ssl": true,
  "ssl_cert": "/etc/pgpool-II/server.crt", "ssl_key": "/etc/pgpool-II/server.key", "ssl_ca_cert": "/etc/pgpool-II/root.crt",
  "ssl_ciphers": "HIGH:!aNULL", "pool_passwd": "/etc/pgpool-II/pool_passwd", "backend_clustering_mode": "raw",
  "backends": [{"host": "db.example.com", "port": 5432, "flag": "DISALLOW_TO_FAILOVER"}]`

func TestPgpoolConfPlanUnit(t *testing.T) {
	r := protoPlan(t, "pgtls_pgpool_conf", `{`+pgpoolUnitBase+`, "ssl_passphrase_command": "/usr/bin/cat /secret/pass",
  "secret_settings": {"sr_check_password": "hunter2"}, "settings": {"sr_check_user": "pgpool", "num_init_children": "32"}}`)
	if errs := r.errors(); len(errs) > 0 {
		t.Fatalf("plan errors: %v", errs)
	}
	content, exact := r.str("content"), r.str("sensitive_content")
	for _, s := range []string{"hunter2", "/secret/pass"} {
		if strings.Contains(content, s) || !strings.Contains(exact, s) {
			t.Errorf("secret %q: review copy or exact copy wrong:\n%s", s, content)
		}
	}
	for _, want := range []string{"ssl = on", "enable_pool_hba = on", "backend_hostname0 = 'db.example.com'", "backend_port0 = 5432", "sr_check_password = '(sensitive)'"} {
		if !strings.Contains(content, want) {
			t.Errorf("content lacks %q:\n%s", want, content)
		}
	}
	for _, tc := range []struct {
		name, cfg, attr string
		want            []string
	}{
		{"X25519", pgpoolUnitBase + `, "ssl_ecdh_curve": "X25519"`, `AttributeName("ssl_ecdh_curve")`, []string{"without TLS"}},
		{"unknown parameter", pgpoolUnitBase + `, "settings": {"enable_pool_hbaa": "on"}`, `AttributeName("settings").ElementKeyString("enable_pool_hbaa")`, []string{"ignore"}},
		{"invalid boolean", pgpoolUnitBase + `, "settings": {"load_balance_mode": "disabled"}`, `AttributeName("settings").ElementKeyString("load_balance_mode")`, []string{"boolean"}},
		{"secret in settings", pgpoolUnitBase + `, "settings": {"wd_authkey": "k"}`, `AttributeName("settings").ElementKeyString("wd_authkey")`, []string{"secret_settings"}},
		{"backend port", strings.Replace(pgpoolUnitBase, `"port": 5432`, `"port": 543`, 1), `AttributeName("backends")`, []string{"1024"}},
		{"ssl without key", strings.Replace(pgpoolUnitBase, `"ssl_key": "/etc/pgpool-II/server.key", `, "", 1), `AttributeName("ssl_cert")`, []string{"ssl_key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantPlanError(t, protoPlan(t, "pgtls_pgpool_conf", `{`+tc.cfg+`}`), tc.attr, tc.want...)
		})
	}
}

func TestPgpoolPasswdPlanUnit(t *testing.T) {
	r := protoPlan(t, "pgtls_pgpool_passwd", `{"encryption_key": "pool key", "users": [
  {"name": "alice", "password": "correct horse"},
  {"name": "b:ob", "password": "pw", "format": "text"}]}`)
	if errs := r.errors(); len(errs) > 0 {
		t.Fatalf("plan errors: %v", errs)
	}
	aes, _ := pooler.EncryptAES("correct horse", "pool key")
	if got := r.str("sensitive_content"); got != "alice:"+aes+"\nb\\:ob:TEXTpw\n" {
		t.Errorf("pool_passwd %q", got)
	}
	if got := r.str("content"); got != "alice:(sensitive)\nb\\:ob:(sensitive)\n" {
		t.Errorf("review copy %q", got)
	}
	if r.str("key_file_content") != "pool key\n" {
		t.Errorf("key file %q", r.str("key_file_content"))
	}
	if w := r.warnings(); len(w) != 1 || !strings.Contains(w[0], "clear") {
		t.Errorf("warnings %v", w)
	}
	for _, tc := range []struct {
		name, cfg, attr string
		want            []string
	}{
		{"aes without key", `{"users": [{"name": "a", "password": "p"}]}`, `AttributeName("encryption_key")`, []string{"pool key"}},
		{"duplicate", `{"encryption_key": "k", "users": [{"name": "a", "password": "p"}, {"name": "a", "password": "q"}]}`,
			`AttributeName("users").ElementKeyInt(1).AttributeName("name")`, []string{"first entry"}},
		{"too long for aes", `{"encryption_key": "k", "users": [{"name": "a", "password": "` + strings.Repeat("x", 80) + `"}]}`,
			`AttributeName("users").ElementKeyInt(0).AttributeName("password")`, []string{"79"}},
		{"unused key", `{"encryption_key": "k", "users": [{"name": "a", "password": "p", "format": "md5"}]}`, `AttributeName("encryption_key")`, []string{"never use"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := protoPlan(t, "pgtls_pgpool_passwd", tc.cfg)
			wantPlanError(t, r, tc.attr, tc.want...)
			for _, e := range r.errors() {
				if strings.Contains(e, "xxxx") || strings.Contains(e, `"k"`) {
					t.Errorf("secret in diagnostic %s", e)
				}
			}
		})
	}
}
