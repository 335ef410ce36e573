package scram

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSASLprepPostgresRules(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
		err            error
	}{
		{"ascii unchanged", "pencil", "pencil", nil},
		{"ascii control chars unchanged (pure-ASCII shortcut)", "a\tb\x01c\x7f", "a\tb\x01c\x7f", nil},
		{"NFKC of a ligature", "\ufb01x", "fix", nil},
		{"decomposed e-acute composed", "e\u0301", "\u00e9", nil},
		{"non-ASCII space to space", "a\u00a0b", "a b", nil},
		{"U+200B is a space (C.1.2 before B.1)", "a\u200bb", "a b", nil},
		{"soft hyphen mapped to nothing", "pass\u00adword\u00e9", "password\u00e9", nil},
		{"maps to nothing at all", "\u00ad\u200c", "", ErrProhibited},
		{"private use prohibited", "a\ue000", "", ErrProhibited},
		{"unassigned in 3.2 prohibited", "a\U0001F600", "", ErrProhibited},
		{"invalid UTF-8", "\xff\xfe", "", ErrInvalidUTF8},
		{"RandAL with L prohibited", "\u05d0a\u05d0", "", ErrProhibited},
		{"RandAL not last prohibited", "\u05d01", "", ErrProhibited},
		{"RandAL ok", "\u05d01\u05d0", "\u05d01\u05d0", nil},
		// U+2122 is bidi ON, its NFKC "TM" is L: PostgreSQL checks before
		// normalizing, so this passes (RFC 4013 would prohibit it).
		{"bidi checked before NFKC", "\u05d0\u2122\u05d0", "\u05d0TM\u05d0", nil},
	} {
		got, err := SASLprep(c.in)
		if !errors.Is(err, c.err) || got != c.want {
			t.Errorf("%s: SASLprep(%+q) = %+q, %v; want %+q, %v", c.name, c.in, got, err, c.want, c.err)
		}
		wantPrep := c.want
		if c.err != nil {
			wantPrep = c.in
		}
		if p := Prepare(c.in); p != wantPrep {
			t.Errorf("%s: Prepare(%+q) = %+q, want %+q", c.name, c.in, p, wantPrep)
		}
	}
}

func TestRoundTripAndVerify(t *testing.T) {
	salt := bytes.Repeat([]byte{7}, DefaultSaltLen)
	v, err := New("pencil", salt, DefaultIterations)
	if err != nil {
		t.Fatal(err)
	}
	s := v.String()
	if !strings.HasPrefix(s, "SCRAM-SHA-256$4096:BwcHBwcHBwcHBwcHBwcHBw==$") {
		t.Fatalf("unexpected verifier %s", s)
	}
	p, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != s {
		t.Fatalf("round trip: %s != %s", p.String(), s)
	}
	if !p.Verify("pencil") || p.Verify("pencil ") || p.Verify("Pencil") || p.Verify("") {
		t.Fatal("Verify wrong")
	}
	// Same inputs, same verifier; another salt, another verifier.
	v2, _ := New("pencil", salt, DefaultIterations)
	if v2.String() != s {
		t.Fatal("not deterministic")
	}
	r1, _ := NewRandom("pencil", DefaultIterations)
	r2, _ := NewRandom("pencil", DefaultIterations)
	if r1.String() == r2.String() || len(r1.Salt) != DefaultSaltLen {
		t.Fatal("random salts repeat or have the wrong length")
	}
	// SASLprep equivalents share a verifier.
	a, _ := New("\ufb01x", salt, DefaultIterations)
	b, _ := New("fix", salt, DefaultIterations)
	if a.String() != b.String() {
		t.Fatal("SASLprep not applied")
	}
}

func TestParseRejects(t *testing.T) {
	good, _ := New("pencil", bytes.Repeat([]byte{1}, 16), 4096)
	g := good.String()
	iterSalt := strings.SplitN(strings.TrimPrefix(g, "SCRAM-SHA-256$"), "$", 2)
	keys := strings.SplitN(iterSalt[1], ":", 2)
	for _, bad := range []string{
		"", "pencil", "md5abc", "SCRAM-SHA-256", "scram-sha-256$" + g[14:],
		"SCRAM-SHA-256$0:" + g[len("SCRAM-SHA-256$4096:"):],
		"SCRAM-SHA-256$04096:" + g[len("SCRAM-SHA-256$4096:"):],
		"SCRAM-SHA-256$-1:" + g[len("SCRAM-SHA-256$4096:"):],
		"SCRAM-SHA-256$+4096:" + g[len("SCRAM-SHA-256$4096:"):],
		"SCRAM-SHA-256$ 4096:" + g[len("SCRAM-SHA-256$4096:"):],
		"SCRAM-SHA-256$2147483648:" + g[len("SCRAM-SHA-256$4096:"):],
		"SCRAM-SHA-256$4096:$" + iterSalt[1],
		"SCRAM-SHA-256$4096:AQ$" + iterSalt[1], // unpadded
		"SCRAM-SHA-256$4096:AQ==$" + keys[0] + ":" + keys[0][:40] + "==",
		"SCRAM-SHA-256$4096:AQ==$" + keys[0],
		g + "x", g + "=", g + "\n", " " + g,
	} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "pencil") {
			t.Errorf("error echoes input: %v", err)
		}
	}
	if _, err := Parse("SCRAM-SHA-256$2147483647:AQ==$" + iterSalt[1]); err != nil {
		t.Errorf("max int32 iterations refused: %v", err)
	}
}

func TestInputChecks(t *testing.T) {
	salt := bytes.Repeat([]byte{1}, 16)
	for _, c := range []struct {
		pw   string
		salt []byte
		it   int
	}{
		{"", salt, 4096},
		{"a\x00b", salt, 4096},
		{strings.Repeat("a", MaxPasswordLen+1), salt, 4096},
		{"x", salt[:15], 4096},
		{"x", make([]byte, 65), 4096},
		{"x", salt, 4095},
		{"x", salt, MaxIterations + 1},
	} {
		if _, err := New(c.pw, c.salt, c.it); err == nil {
			t.Errorf("New(len %d, salt %d, %d) accepted", len(c.pw), len(c.salt), c.it)
		} else if c.pw != "" && len(c.pw) < 10 && strings.Contains(err.Error(), c.pw) {
			t.Errorf("error echoes the password: %v", err)
		}
	}
}

func FuzzParseString(f *testing.F) {
	v, _ := New("pencil", bytes.Repeat([]byte{1}, 16), 4096)
	f.Add(v.String())
	f.Add("SCRAM-SHA-256$1:AA==$" + strings.Repeat("A", 43) + "=:" + strings.Repeat("A", 43) + "=")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		if p.String() != s {
			t.Fatalf("Parse accepted non-canonical %q (renders %q)", s, p.String())
		}
	})
}
