package scram

import (
	"errors"
	"unicode/utf8"

	"github.com/xdg-go/stringprep"
	"golang.org/x/text/unicode/norm"
)

// Why SASLprep is done here and not with stringprep.SASLprep.Prepare:
// PostgreSQL's pg_saslprep (src/common/saslprep.c, the same code in the
// server and in libpq) departs from RFC 4013 in ways that change verifiers:
//   - a pure-ASCII password is used unchanged, even with control characters;
//   - U+200B is mapped to a space (C.1.2 is checked before B.1);
//   - a password that maps to nothing is "prohibited";
//   - the prohibited, unassigned and bidi checks look at the mapped input
//     BEFORE normalization, not at the NFKC output;
//   - any failure (invalid UTF-8, prohibited characters, bidi) is not an
//     error: the caller uses the raw bytes instead.
// The RFC 3454 tables come from github.com/xdg-go/stringprep and NFKC from
// golang.org/x/text/unicode/norm; only the order of the steps is
// PostgreSQL's. Tests compare the result with verifiers PostgreSQL itself
// computed.

// Errors returned by SASLprep, mirroring pg_saslprep's result codes.
var (
	ErrInvalidUTF8 = errors.New("password is not valid UTF-8")
	ErrProhibited  = errors.New("password contains characters SASLprep prohibits (or maps to nothing)")
)

// SASLprep is PostgreSQL's pg_saslprep: it returns the normalized password,
// or ErrInvalidUTF8 / ErrProhibited where PostgreSQL returns
// SASLPREP_INVALID_UTF8 / SASLPREP_PROHIBITED.
func SASLprep(password string) (string, error) {
	if isASCII(password) {
		return password, nil
	}
	if !utf8.ValidString(password) {
		return "", ErrInvalidUTF8
	}
	// 1) Map: non-ASCII spaces to U+0020 (checked first), B.1 to nothing.
	mapped := make([]rune, 0, len(password))
	for _, r := range password {
		switch {
		case stringprep.TableC1_2.Contains(r):
			mapped = append(mapped, ' ')
		case isMappedToNothing(r):
		default:
			mapped = append(mapped, r)
		}
	}
	if len(mapped) == 0 {
		return "", ErrProhibited
	}
	// 3) Prohibit and 4) bidi, on the mapped input (PostgreSQL's order).
	randAL := false
	for _, r := range mapped {
		if isProhibited(r) {
			return "", ErrProhibited
		}
		if stringprep.TableD1.Contains(r) {
			randAL = true
		}
	}
	if randAL {
		for _, r := range mapped {
			if stringprep.TableD2.Contains(r) {
				return "", ErrProhibited
			}
		}
		if !stringprep.TableD1.Contains(mapped[0]) || !stringprep.TableD1.Contains(mapped[len(mapped)-1]) {
			return "", ErrProhibited
		}
	}
	// 2) Normalize.
	return norm.NFKC.String(string(mapped)), nil
}

// Prepare returns the bytes PostgreSQL and libpq feed into PBKDF2 for
// password: the SASLprep result, or the password unchanged when SASLprep
// fails (what pg_be_scram_build_secret and libpq's SCRAM client do).
func Prepare(password string) string {
	if p, err := SASLprep(password); err == nil {
		return p
	}
	return password
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isMappedToNothing(r rune) bool {
	m, ok := stringprep.TableB1.Map(r)
	return ok && len(m) == 0
}

// prohibited lists the SASLprep "prohibited output" tables plus A.1
// (unassigned in Unicode 3.2), as PostgreSQL checks them.
var prohibited = []stringprep.Set{
	stringprep.TableC1_2, stringprep.TableC2_1, stringprep.TableC2_2,
	stringprep.TableC3, stringprep.TableC4, stringprep.TableC5,
	stringprep.TableC6, stringprep.TableC7, stringprep.TableC8,
	stringprep.TableC9, stringprep.TableA1,
}

func isProhibited(r rune) bool {
	for _, s := range prohibited {
		if s.Contains(r) {
			return true
		}
	}
	return false
}
