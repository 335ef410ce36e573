// Package scram computes and checks SCRAM-SHA-256 verifiers in the form
// PostgreSQL stores in pg_authid.rolpassword and accepts in
// CREATE/ALTER ROLE ... PASSWORD, and that PgBouncer's userlist.txt and
// Pgpool-II's pool_passwd hold:
//
//	SCRAM-SHA-256$<iterations>:<salt base64>$<StoredKey base64>:<ServerKey base64>
//
// Passwords go through PostgreSQL's own SASLprep (see SASLprep) so a verifier
// computed here logs in exactly where PostgreSQL's and libpq's would.
// The package never returns or logs a password; its errors never contain one.
package scram

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

const (
	// Prefix starts every verifier.
	Prefix = "SCRAM-SHA-256"
	// DefaultIterations is PostgreSQL's default (scram_iterations, 16+) and
	// RFC 7677's minimum.
	DefaultIterations = 4096
	// MinIterations and MaxIterations bound what pgtls creates. The lower
	// bound is RFC 7677's; the upper one keeps a login (the server and every
	// client repeat the iterations) and a plan under a few seconds.
	MinIterations = 4096
	MaxIterations = 10_000_000
	// DefaultSaltLen is PostgreSQL's SCRAM_DEFAULT_SALT_LEN, in bytes.
	DefaultSaltLen = 16
	// MinSaltLen and MaxSaltLen bound salts pgtls creates or is given.
	MinSaltLen = 16
	MaxSaltLen = 64
	// MaxPasswordLen bounds a password in bytes (PBKDF2 hashes it once per
	// iteration block; libpq and PostgreSQL have no smaller limit).
	MaxPasswordLen = 4096

	keyLen = sha256.Size
)

// Verifier is a parsed SCRAM-SHA-256 secret.
type Verifier struct {
	Iterations int
	Salt       []byte
	StoredKey  [keyLen]byte
	ServerKey  [keyLen]byte
}

// String renders v as PostgreSQL does (standard base64 with padding).
func (v Verifier) String() string {
	enc := base64.StdEncoding
	return Prefix + "$" + strconv.Itoa(v.Iterations) + ":" + enc.EncodeToString(v.Salt) +
		"$" + enc.EncodeToString(v.StoredKey[:]) + ":" + enc.EncodeToString(v.ServerKey[:])
}

// CheckPassword reports why PostgreSQL could not use password with SCRAM, or
// nil. It never includes the password in the error.
func CheckPassword(password string) error {
	switch {
	case password == "":
		return errors.New("the password is empty: libpq sends no password for an empty one (\"fe_sendauth: no password supplied\")")
	case strings.IndexByte(password, 0) >= 0:
		return errors.New("the password contains a NUL byte, which PostgreSQL and libpq cannot carry (C strings)")
	case len(password) > MaxPasswordLen:
		return fmt.Errorf("the password is %d bytes long; at most %d are allowed", len(password), MaxPasswordLen)
	}
	return nil
}

// CheckIterations reports whether n is an iteration count pgtls creates
// verifiers with (MinIterations..MaxIterations).
func CheckIterations(n int) error {
	if n < MinIterations || n > MaxIterations {
		return fmt.Errorf("iterations must be between %d (RFC 7677's minimum) and %d, got %d", MinIterations, MaxIterations, n)
	}
	return nil
}

// CheckSalt reports whether salt has a length pgtls creates verifiers with.
func CheckSalt(salt []byte) error {
	if len(salt) < MinSaltLen || len(salt) > MaxSaltLen {
		return fmt.Errorf("the salt must be %d to %d bytes long, got %d", MinSaltLen, MaxSaltLen, len(salt))
	}
	return nil
}

// New computes the verifier of password with the given salt and iteration
// count, after PostgreSQL's SASLprep (Prepare). The inputs must pass
// CheckPassword, CheckSalt and CheckIterations.
func New(password string, salt []byte, iterations int) (Verifier, error) {
	if err := CheckPassword(password); err != nil {
		return Verifier{}, err
	}
	if err := CheckSalt(salt); err != nil {
		return Verifier{}, err
	}
	if err := CheckIterations(iterations); err != nil {
		return Verifier{}, err
	}
	return compute(password, salt, iterations)
}

// NewRandom is New with a fresh random salt of DefaultSaltLen bytes.
func NewRandom(password string, iterations int) (Verifier, error) {
	salt, err := RandomSalt()
	if err != nil {
		return Verifier{}, err
	}
	return New(password, salt, iterations)
}

// RandomSalt returns DefaultSaltLen random bytes from crypto/rand.
func RandomSalt() ([]byte, error) {
	salt := make([]byte, DefaultSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("random salt: %w", err)
	}
	return salt, nil
}

func compute(password string, salt []byte, iterations int) (Verifier, error) {
	salted, err := pbkdf2.Key(sha256.New, Prepare(password), salt, iterations, keyLen)
	if err != nil {
		return Verifier{}, fmt.Errorf("PBKDF2: %w", err)
	}
	v := Verifier{Iterations: iterations, Salt: append([]byte(nil), salt...)}
	clientKey := hmacSHA256(salted, "Client Key")
	v.StoredKey = sha256.Sum256(clientKey)
	copy(v.ServerKey[:], hmacSHA256(salted, "Server Key"))
	return v, nil
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// Verify reports whether password matches v: both the StoredKey (what a
// SCRAM login proves) and the ServerKey (what PostgreSQL compares for
// plain-text password logins) must match. Any iteration count and salt
// PostgreSQL accepts is accepted here.
func (v Verifier) Verify(password string) bool {
	if password == "" || strings.IndexByte(password, 0) >= 0 || len(v.Salt) == 0 ||
		v.Iterations < 1 || len(password) > MaxPasswordLen {
		return false
	}
	got, err := compute(password, v.Salt, v.Iterations)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got.StoredKey[:], v.StoredKey[:])&
		subtle.ConstantTimeCompare(got.ServerKey[:], v.ServerKey[:]) == 1
}

// VerifyString parses verifier and checks password against it.
func VerifyString(password, verifier string) (bool, error) {
	v, err := Parse(verifier)
	if err != nil {
		return false, err
	}
	return v.Verify(password), nil
}

// Parse reads a verifier in the canonical form String writes (and
// PostgreSQL stores): the exact prefix, a decimal iteration count from 1 to
// 2147483647 without sign or leading zeros, a non-empty salt and two 32-byte
// keys in padded standard base64. It is stricter than PostgreSQL's
// parse_scram_secret on purpose: whatever Parse accepts, PostgreSQL stores as
// a verifier (never as a plain-text password). Errors quote no part of the
// input (a mistyped verifier may be a password).
func Parse(s string) (Verifier, error) {
	var v Verifier
	// Go's base64 decoder skips CR and LF even in strict mode: refuse any
	// byte outside printable ASCII up front.
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return v, errors.New("a SCRAM-SHA-256 verifier holds printable ASCII only (no spaces, line breaks or other bytes)")
		}
	}
	rest, ok := strings.CutPrefix(s, Prefix+"$")
	if !ok {
		return v, errors.New(`a SCRAM-SHA-256 verifier starts with "SCRAM-SHA-256$"`)
	}
	params, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return v, errors.New(`a SCRAM-SHA-256 verifier has the form SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`)
	}
	iterStr, saltStr, ok1 := strings.Cut(params, ":")
	storedStr, serverStr, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return v, errors.New(`a SCRAM-SHA-256 verifier has the form SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`)
	}
	if iterStr == "" || len(iterStr) > 10 || iterStr[0] == '0' || strings.Trim(iterStr, "0123456789") != "" {
		return v, errors.New("the iteration count of a SCRAM-SHA-256 verifier must be a positive decimal number without sign or leading zeros")
	}
	n, err := strconv.ParseInt(iterStr, 10, 64)
	if err != nil || n > math.MaxInt32 {
		return v, fmt.Errorf("the iteration count of a SCRAM-SHA-256 verifier must be at most %d", math.MaxInt32)
	}
	v.Iterations = int(n)
	enc := base64.StdEncoding.Strict()
	v.Salt, err = enc.DecodeString(saltStr)
	if err != nil || len(v.Salt) == 0 {
		return Verifier{}, errors.New("the salt of a SCRAM-SHA-256 verifier must be non-empty padded standard base64")
	}
	for _, k := range []struct {
		name string
		in   string
		out  *[keyLen]byte
	}{{"StoredKey", storedStr, &v.StoredKey}, {"ServerKey", serverStr, &v.ServerKey}} {
		b, err := enc.DecodeString(k.in)
		if err != nil || len(b) != keyLen {
			return Verifier{}, fmt.Errorf("the %s of a SCRAM-SHA-256 verifier must be %d bytes in padded standard base64", k.name, keyLen)
		}
		copy(k.out[:], b)
	}
	return v, nil
}
