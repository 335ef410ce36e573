package pooler

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// pgEnc runs Pgpool-II's own pg_enc (installed with the pgpool2 package)
// and returns the "AES..." string it prints.
func pgEnc(t testing.TB, key, password string) string {
	t.Helper()
	path, err := exec.LookPath("pg_enc")
	if err != nil {
		path = "/usr/sbin/pg_enc"
	}
	cmd := exec.Command(path, "-K", key, "--", password)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("pg_enc: %v: %s", err, errb.String())
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if s, ok := strings.CutPrefix(l, "pool_passwd string: "); ok {
			return s
		}
	}
	t.Fatalf("pg_enc printed no pool_passwd string: %q", out.String())
	return ""
}

func requirePgEnc(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("pg_enc"); err == nil {
		return
	}
	if _, err := exec.LookPath("/usr/sbin/pg_enc"); err == nil {
		return
	}
	t.Skip("SKIP: pg_enc (package pgpool2) not installed; run tools/ensure-system.sh")
}

// TestEncryptAESMatchesPgEnc: EncryptAES is byte for byte what Pgpool-II
// 4.3.5's pg_enc prints, for keys and passwords of every length class and
// with the characters the file format escapes.
func TestEncryptAESMatchesPgEnc(t *testing.T) {
	requirePgEnc(t)
	cases := []struct{ key, pw string }{
		{"k", "p"},
		{"my pool key", "secret pw"},
		{"key with : and \\ and 'quotes\"", "pw:with\\escapes"},
		{strings.Repeat("K", 255), strings.Repeat("p", 79)},
		{"ключ", "пароль"},
		{"k", strings.Repeat("x", 15)}, {"k", strings.Repeat("x", 16)}, {"k", strings.Repeat("x", 17)},
		{"-dash-key", "-dash-password"},
	}
	for _, c := range cases {
		got, err := EncryptAES(c.pw, c.key)
		if err != nil {
			t.Fatalf("EncryptAES(%q): %v", c.pw, err)
		}
		if want := pgEnc(t, c.key, c.pw); got != want {
			t.Errorf("EncryptAES(%q, %q) = %s, pg_enc says %s", c.pw, c.key, got, want)
		}
		back, err := DecryptAES(got, c.key)
		if err != nil || back != c.pw {
			t.Errorf("DecryptAES round trip: %q, %v", back, err)
		}
		if len(got) > pgpoolMaxToken {
			t.Errorf("AES entry for a %d-byte password is %d characters, more than Pgpool-II reads", len(c.pw), len(got))
		}
	}
	if _, err := EncryptAES(strings.Repeat("p", MaxAESPasswordLen+1), "k"); err == nil {
		t.Error("an 80-byte password was accepted although its entry exceeds 128 characters")
	}
	if s, _ := EncryptAES(strings.Repeat("p", MaxAESPasswordLen), "k"); len(s) > pgpoolMaxToken {
		t.Errorf("MaxAESPasswordLen is wrong: entry is %d characters", len(s))
	}
	if _, err := DecryptAES(mustRender(EncryptAES("pw", "right")), "wrong"); err == nil {
		t.Error("decrypting with the wrong key succeeded")
	}
}

// FuzzEncryptAESMatchesPgEnc compares with pg_enc on random inputs.
func FuzzEncryptAESMatchesPgEnc(f *testing.F) {
	f.Add("k", "p")
	f.Add("a long key \t with tab", "p:w\\d")
	f.Fuzz(func(t *testing.T, key, pw string) {
		if CheckPoolKey(key) != nil || CheckPoolPassword(PoolPasswdAES, pw) != nil {
			return
		}
		requirePgEnc(t)
		got, err := EncryptAES(pw, key)
		if err != nil {
			t.Fatal(err)
		}
		if want := pgEnc(t, key, pw); got != want {
			t.Fatalf("EncryptAES(%q, %q) = %s, pg_enc says %s", pw, key, got, want)
		}
	})
}

// FuzzPoolPasswdRoundTrip renders entries and reads them back as Pgpool-II
// 4.3's pool_get_user_credentials does: every user finds exactly its secret.
func FuzzPoolPasswdRoundTrip(f *testing.F) {
	f.Add("alice", "TEXTpa:ss\\", "b:ob\\", "AESxyz")
	f.Add("a", "md5abc", "a\\", "TEXT:")
	f.Fuzz(func(t *testing.T, u1, s1, u2, s2 string) {
		entries := []PoolPasswdEntry{{u1, s1}, {u2, s2}}
		out, err := RenderPoolPasswd(entries)
		if err != nil {
			return
		}
		for _, e := range entries {
			got, ok := LookupPoolPasswd(out, e.User)
			if !ok || got != e.Secret {
				t.Fatalf("user %q: got %q (found %v), want %q\nfile %q", e.User, got, ok, e.Secret, out)
			}
		}
	})
}

func TestPoolPasswdLimits(t *testing.T) {
	if _, err := RenderPoolPasswd([]PoolPasswdEntry{{"a", "x"}, {"a", "y"}}); err == nil {
		t.Error("duplicate users accepted (Pgpool-II would silently use the first)")
	}
	if _, err := RenderPoolPasswd([]PoolPasswdEntry{{"a", "TEXT" + strings.Repeat("x", 125)}}); err == nil {
		t.Error("a 129-character secret was accepted (Pgpool-II cuts it at 128)")
	}
	if err := CheckPoolPassword(PoolPasswdText, strings.Repeat("x", MaxTextPasswordLen+1)); err == nil {
		t.Error("TEXT password over the limit accepted")
	}
	if err := CheckPoolKey(strings.Repeat("k", 256)); err == nil {
		t.Error("a 256-byte key was accepted (Pgpool-II reads 255)")
	}
	// PostgreSQL's md5: "md5" + md5(password || user) (python3 hashlib).
	if got := MD5Secret("alice", "pw"); got != "md5aa7bb6fc2700e717ae61ec5c1567469c" {
		t.Errorf("md5 secret %q", got)
	}
	// Scanning stops at the first matching line, like Pgpool-II.
	if s, _ := LookupPoolPasswd("a:first\na:second\n", "a"); s != "first" {
		t.Errorf("first entry should win, got %q", s)
	}
	// A name that is a prefix of another does not match it.
	if _, ok := LookupPoolPasswd("alice:x\n", "ali"); ok {
		t.Error("prefix matched")
	}
}
