package pgconf

import (
	"strings"
	"testing"
)

func TestQuoteUnquote(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "''",
		"plain":            "'plain'",
		"it's":             "'it''s'",
		`C:\x`:             `'C:\\x'`,
		"a\nb\tc\rd":       `'a\nb\tc\rd'`,
		"\x01\x7f9":        `'\001\1779'`,
		"caf\u00e9 \u00fc": "'caf\u00e9 \u00fc'",
	} {
		got, err := Quote(in)
		if err != nil || got != want {
			t.Errorf("Quote(%q) = %q, %v; want %q", in, got, err, want)
		}
		back, err := Unquote(got)
		if err != nil || back != in {
			t.Errorf("Unquote(%q) = %q, %v", got, back, err)
		}
	}
	if _, err := Quote("a\x00b"); err == nil {
		t.Error("NUL accepted")
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a'b", `\`, "\n", "\x01", "\u00e9", "''\\\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Quote(s)
		if strings.IndexByte(s, 0) >= 0 {
			if err == nil {
				t.Fatal("NUL accepted")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(q, "\n\x00") {
			t.Fatalf("quoted %q holds a raw line break or NUL", q)
		}
		back, err := Unquote(q)
		if err != nil || back != s {
			t.Fatalf("round trip %q -> %q -> %q (%v)", s, q, back, err)
		}
	})
}

func problems(c Config) (errs, warns []string) {
	for _, p := range c.Validate() {
		if p.Severity == Error {
			errs = append(errs, p.String())
		} else {
			warns = append(warns, p.String())
		}
	}
	return
}

func TestVersionGates(t *testing.T) {
	for v := MinVersion; v <= MaxVersion; v++ {
		for _, s := range Settings {
			val := "x"
			switch s.Kind {
			case KindBool:
				val = "on"
			case KindEnum:
				val = s.Enum[len(s.Enum)-1]
			case KindList:
				val = "127.0.0.1"
			}
			switch s.Name {
			case "ssl_ecdh_curve", "ssl_groups":
				val = "prime256v1"
			case "ssl_tls13_ciphers":
				val = "TLS_AES_256_GCM_SHA384"
			case "ssl_ciphers":
				val = "HIGH"
			}
			errs, _ := problems(Config{Version: v, Values: map[string]string{s.Name: val}})
			gated := false
			for _, e := range errs {
				if strings.Contains(e, "needs PostgreSQL") {
					gated = true
				}
			}
			if gated == s.Available(v) {
				t.Errorf("PostgreSQL %d, %s: gated=%v, available=%v (errors %v)", v, s.Name, gated, s.Available(v), errs)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name   string
		cfg    Config
		errors []string
		warns  []string
	}{
		{"defaults are clean", Config{Version: 15}, nil, nil},
		// "+RC4" only moves already selected RC4 suites to the end (HIGH has
		// none): OpenSSL enables no RC4 here, so only aNULL is reported.
		{"weak ciphers", Config{Version: 15, Values: map[string]string{"ssl_ciphers": "HIGH:aNULL:+RC4:!MD5"}}, nil, []string{`"aNULL" selects cipher suites without encryption or authentication`}},
		{"RC4 enabled", Config{Version: 15, Values: map[string]string{"ssl_ciphers": "HIGH:RC4"}}, nil, []string{`"RC4" selects cipher suites`}},
		{"typo is an error", Config{Version: 15, Values: map[string]string{"ssl_ciphers": "HIGH:!aNUL"}}, []string{"not a cipher name or keyword"}, nil},
		{"banned weak ciphers are fine", Config{Version: 15, Values: map[string]string{"ssl_ciphers": "ALL:!aNULL:!eNULL:!NULL"}}, nil, nil},
		{"ALL without !aNULL", Config{Version: 15, Values: map[string]string{"ssl_ciphers": "ALL"}}, nil, []string{`"ALL" without "!aNULL" includes anonymous`}},
		{"old TLS minimum", Config{Version: 15, Values: map[string]string{"ssl_min_protocol_version": "TLSv1.1"}}, nil, []string{"deprecated by RFC 8996"}},
		{"empty TLS range", Config{Version: 15, Values: map[string]string{"ssl_min_protocol_version": "TLSv1.3", "ssl_max_protocol_version": "TLSv1.2"}}, []string{"lower than ssl_min_protocol_version"}, nil},
		{"ssl off", Config{Version: 15, Values: map[string]string{"ssl": "off"}}, nil, []string{"TLS is disabled"}},
		{"ssl off with hostssl", Config{Version: 15, Values: map[string]string{"ssl": "off"}, HBA: "local all all peer\nhostssl all all 0.0.0.0/0 scram-sha-256\n"}, []string{"lines 2"}, []string{"TLS is disabled"}},
		{"cert without CA", Config{Version: 15, HBA: "hostssl all all 0.0.0.0/0 cert\n"}, []string{"root certificate store"}, nil},
		{"cert with CA", Config{Version: 15, HBA: "hostssl all all 0.0.0.0/0 cert\n", Values: map[string]string{"ssl_ca_file": "root.crt"}}, nil, nil},
		{"md5", Config{Version: 15, Values: map[string]string{"password_encryption": "md5"}}, nil, []string{"md5 password hashing"}},
		{"bad enum", Config{Version: 15, Values: map[string]string{"password_encryption": "on"}}, []string{"must be one of"}, nil},
		{"curve list before 18", Config{Version: 17, Values: map[string]string{"ssl_ecdh_curve": "X25519:prime256v1"}}, []string{"need PostgreSQL 18's ssl_groups"}, nil},
		{"X25519 before 18", Config{Version: 16, Values: map[string]string{"ssl_ecdh_curve": "X25519"}}, []string{"one named EC curve"}, nil},
		{"groups on 18", Config{Version: 18, Values: map[string]string{"ssl_groups": "X25519:prime256v1"}}, nil, nil},
		{"curve and groups on 18", Config{Version: 18, Values: map[string]string{"ssl_groups": "X25519", "ssl_ecdh_curve": "prime256v1"}}, []string{"set only ssl_groups"}, nil},
		{"unknown group", Config{Version: 18, Values: map[string]string{"ssl_groups": "X25519:brainpoolP999"}}, nil, []string{"not a group pgtls knows"}},
		{"bad tls13 suite", Config{Version: 18, Values: map[string]string{"ssl_tls13_ciphers": "TLS_AES_256_GCM_SHA384:TLS_RC4"}}, []string{`"TLS_RC4"`}, nil},
		{"listen list", Config{Version: 15, Values: map[string]string{"listen_addresses": "127.0.0.1,::1,db.example.com,*"}}, nil, nil},
		{"listen bad", Config{Version: 15, Values: map[string]string{"listen_addresses": "127.0.0.1,,bad_host"}}, []string{"empty element", `"bad_host"`}, nil},
		{"unknown setting", Config{Version: 15, Values: map[string]string{"shared_buffers": "1GB"}}, []string{"Unknown setting"}, nil},
		{"empty path", Config{Version: 15, Values: map[string]string{"ssl_cert_file": ""}}, []string{"is empty"}, nil},
	} {
		errs, warns := problems(c.cfg)
		check := func(kind string, got, want []string) {
			if len(got) != len(want) {
				t.Errorf("%s: %s = %q, want %d matching %q", c.name, kind, got, len(want), want)
				return
			}
			for _, w := range want {
				if !strings.Contains(strings.Join(got, "\n"), w) {
					t.Errorf("%s: %s %q lack %q", c.name, kind, got, w)
				}
			}
		}
		check("errors", errs, c.errors)
		check("warnings", warns, c.warns)
	}
}

func TestSecretNeverShown(t *testing.T) {
	const secret = "echo hunter2-secret"
	c := Config{Version: 15, Values: map[string]string{"ssl_passphrase_command": secret, "ssl_passphrase_command_supports_reload": "on"}}
	r, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	if !r.HasSecret || !strings.Contains(r.Snippet, "hunter2") || r.Parameters["ssl_passphrase_command"] != secret {
		t.Fatalf("exact copy lacks the secret: %q", r.Snippet)
	}
	if strings.Contains(r.MaskedSnippet, "hunter2") || strings.Contains(r.MaskedParameters["ssl_passphrase_command"], "hunter2") {
		t.Fatalf("masked copy shows the secret: %q", r.MaskedSnippet)
	}
	// A secret with a NUL byte is refused without echoing it.
	bad := Config{Version: 15, Values: map[string]string{"ssl_passphrase_command": "hunter2\x00"}}
	for _, p := range bad.Validate() {
		if strings.Contains(p.String(), "hunter2") {
			t.Errorf("problem echoes the secret: %s", p)
		}
	}
}

func TestRenderDefaults(t *testing.T) {
	r, err := Config{Version: 15}.Render()
	if err != nil {
		t.Fatal(err)
	}
	want := "ssl = on\nssl_min_protocol_version = 'TLSv1.2'\npassword_encryption = 'scram-sha-256'\n"
	if !strings.HasSuffix(r.Snippet, want) {
		t.Errorf("snippet:\n%s\nwant suffix:\n%s", r.Snippet, want)
	}
	if len(r.Parameters) != 3 || r.Parameters["ssl"] != "on" || r.Parameters["password_encryption"] != "scram-sha-256" {
		t.Errorf("parameters %v", r.Parameters)
	}
}
