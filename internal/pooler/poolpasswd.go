package pooler

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// PoolPasswdFormat is how a pool_passwd entry stores the password.
type PoolPasswdFormat string

const (
	// PoolPasswdAES is "AES" + base64(AES-256-CBC(password)), what pg_enc
	// writes. Pgpool-II decrypts it with the key in its key file
	// (~/.pgpoolkey, $PGPOOLKEYFILE or pgpool -k) to get the password
	// back: the only form that lets Pgpool-II log in to a PostgreSQL that
	// uses scram-sha-256, without storing the password in clear.
	PoolPasswdAES PoolPasswdFormat = "aes"
	// PoolPasswdMD5 is "md5" + md5(password || user). Enough for md5
	// logins only, and equivalent to the password for them.
	PoolPasswdMD5 PoolPasswdFormat = "md5"
	// PoolPasswdText is "TEXT" + the password in clear.
	PoolPasswdText PoolPasswdFormat = "text"
)

// Pgpool-II 4.3 limits (src/include/auth/pool_passwd.h and
// src/auth/pool_passwd.c).
const (
	// pool_get_user_credentials copies at most 128 characters of a
	// password token (getNextToken's MAX_TOKEN_LEN): longer ones are cut.
	pgpoolMaxToken = 128
	// MaxPoolKeyLen is the longest key read from the key file (fgets into
	// a MAX_POOL_KEY_LEN buffer keeps 255 characters).
	MaxPoolKeyLen = 255
	// pool_get_user_credentials reads lines with fgets(buf, 1024).
	pgpoolMaxLine = 1023
	// MaxAESPasswordLen is the longest password whose AES entry fits in
	// pgpoolMaxToken: "AES" + base64 of ceil((n+1)/16)*16 bytes.
	MaxAESPasswordLen = 79
	// MaxTextPasswordLen fits "TEXT" + password in pgpoolMaxToken.
	MaxTextPasswordLen = pgpoolMaxToken - len("TEXT")
	// pgpoolMaxUser bounds user names (MAX_USER_NAME_LEN).
	pgpoolMaxUser = 127
)

// PoolPasswdEntry is one pool_passwd line: user and the stored string.
type PoolPasswdEntry struct {
	User   string
	Secret string
}

// aesKeyIV is OpenSSL's EVP_BytesToKey(EVP_aes_256_cbc(), EVP_sha1(), no
// salt, key, count 1): D1 = SHA1(key), Di = SHA1(Di-1 || key); the AES key
// is the first 32 bytes of D1||D2||D3, the IV the next 16. That is how
// Pgpool-II (src/utils/ssl_utils.c aes_get_key) turns its pool key into
// AES parameters.
func aesKeyIV(poolKey string) (key, iv []byte) {
	var out, prev []byte
	for len(out) < 48 {
		h := sha1.New()
		h.Write(prev)
		h.Write([]byte(poolKey))
		prev = h.Sum(nil)
		out = append(out, prev...)
	}
	return out[:32], out[32:48]
}

// CheckPoolKey reports why key cannot be a Pgpool-II pool key (the
// message never contains the key).
func CheckPoolKey(key string) error {
	switch {
	case key == "":
		return errors.New("is empty: Pgpool-II reads no key and cannot decrypt AES entries")
	case strings.ContainsAny(key, "\x00\n"):
		return errors.New("contains a NUL or line break: Pgpool-II reads the key file's first line only")
	case strings.HasSuffix(key, "\r"):
		return errors.New("ends with a carriage return, which Pgpool-II would keep as part of the key")
	case len(key) > MaxPoolKeyLen:
		return fmt.Errorf("is %d bytes long; Pgpool-II 4.3 reads at most %d bytes of the key file's first line and would silently use a shorter key", len(key), MaxPoolKeyLen)
	}
	return nil
}

// CheckPoolPassword reports why password cannot be stored in the format.
func CheckPoolPassword(format PoolPasswdFormat, password string) error {
	switch {
	case password == "":
		return errors.New("is empty")
	case strings.ContainsAny(password, "\x00\r\n"):
		return errors.New("contains a NUL or line break, which pool_passwd cannot hold")
	}
	switch format {
	case PoolPasswdAES:
		if len(password) > MaxAESPasswordLen {
			return fmt.Errorf("is %d bytes long; an AES entry holds at most %d (Pgpool-II 4.3 cuts pool_passwd passwords at %d characters, which would make the entry undecryptable)", len(password), MaxAESPasswordLen, pgpoolMaxToken)
		}
	case PoolPasswdText:
		if len(password) > MaxTextPasswordLen {
			return fmt.Errorf("is %d bytes long; a TEXT entry holds at most %d (Pgpool-II 4.3 silently cuts pool_passwd passwords at %d characters)", len(password), MaxTextPasswordLen, pgpoolMaxToken)
		}
	case PoolPasswdMD5:
	default:
		return fmt.Errorf("format %q is not aes, md5 or text", format)
	}
	return nil
}

// EncryptAES returns the pool_passwd secret "AES<base64>" for password
// under poolKey, byte for byte what `pg_enc -K poolKey password` prints
// (the encryption is deterministic: no salt, key and IV derived from the
// pool key only).
func EncryptAES(password, poolKey string) (string, error) {
	if err := CheckPoolKey(poolKey); err != nil {
		return "", fmt.Errorf("pool key %w", err)
	}
	if err := CheckPoolPassword(PoolPasswdAES, password); err != nil {
		return "", fmt.Errorf("password %w", err)
	}
	key, iv := aesKeyIV(poolKey)
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	pad := aes.BlockSize - len(password)%aes.BlockSize
	buf := append([]byte(password), bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
	return "AES" + base64.StdEncoding.EncodeToString(buf), nil
}

// DecryptAES reverses EncryptAES (as Pgpool-II's get_decrypted_password
// does). It exists for tests and for reading back existing files.
func DecryptAES(secret, poolKey string) (string, error) {
	b64, ok := strings.CutPrefix(secret, "AES")
	if !ok {
		return "", errors.New("not an AES entry")
	}
	ct, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return "", errors.New("AES entry is not base64 of whole AES blocks")
	}
	key, iv := aesKeyIV(poolKey)
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)
	pad := int(pt[len(pt)-1])
	if pad == 0 || pad > aes.BlockSize || !bytes.Equal(pt[len(pt)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return "", errors.New("AES entry does not decrypt with this key")
	}
	return string(pt[:len(pt)-pad]), nil
}

// PoolPasswdSecret computes the stored string for a password.
func PoolPasswdSecret(format PoolPasswdFormat, user, password, poolKey string) (string, error) {
	if err := CheckPoolPassword(format, password); err != nil {
		return "", fmt.Errorf("password %w", err)
	}
	switch format {
	case PoolPasswdAES:
		return EncryptAES(password, poolKey)
	case PoolPasswdMD5:
		return MD5Secret(user, password), nil
	default:
		return "TEXT" + password, nil
	}
}

// poolPasswdEscape backslash-escapes ':' and '\', which Pgpool-II's
// pool_passwd reader (userMatchesString, getNextToken) unescapes.
func poolPasswdEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(s)
}

// CheckPoolPasswdUser reports why user cannot be written to pool_passwd.
func CheckPoolPasswdUser(user string) string {
	switch {
	case user == "":
		return "is empty"
	case strings.ContainsAny(user, "\x00\r\n"):
		return "contains a NUL or line break, which pool_passwd cannot hold"
	case len(user) > pgpoolMaxUser:
		return fmt.Sprintf("is %d bytes long; PostgreSQL and Pgpool-II use at most %d", len(user), pgpoolMaxUser)
	}
	return ""
}

// RenderPoolPasswd returns pool_passwd: "user:secret" lines, ':' and '\'
// in user names and secrets backslash-escaped. Pgpool-II has no comment
// syntax in this file, so there is no header. Duplicate users are refused
// (Pgpool-II would use the first and ignore the others).
func RenderPoolPasswd(entries []PoolPasswdEntry) (string, error) {
	var b strings.Builder
	seen := make(map[string]int, len(entries))
	for i, e := range entries {
		if msg := CheckPoolPasswdUser(e.User); msg != "" {
			return "", fmt.Errorf("entry %d user %s", i, msg)
		}
		if j, dup := seen[e.User]; dup {
			return "", fmt.Errorf("entry %d repeats user %q of entry %d", i, e.User, j)
		}
		seen[e.User] = i
		if e.Secret == "" || strings.ContainsAny(e.Secret, "\x00\r\n") {
			return "", fmt.Errorf("entry %d (%q) has an empty secret or one with a line break", i, e.User)
		}
		if n := len(e.Secret); n > pgpoolMaxToken {
			return "", fmt.Errorf("entry %d (%q) secret is %d characters; Pgpool-II 4.3 reads at most %d", i, e.User, n, pgpoolMaxToken)
		}
		line := poolPasswdEscape(e.User) + ":" + poolPasswdEscape(e.Secret)
		if len(line) >= pgpoolMaxLine {
			return "", fmt.Errorf("entry %d (%q) line is %d bytes; Pgpool-II 4.3 reads lines of at most %d", i, e.User, len(line), pgpoolMaxLine-1)
		}
		b.WriteString(line + "\n")
	}
	return b.String(), nil
}

// LookupPoolPasswd finds user's secret as Pgpool-II 4.3's
// pool_get_user_credentials does: lines read 1023 bytes at a time, the user
// compared with backslash escapes, the first matching line wins, the
// secret cut at 128 characters and at the next unescaped ':'.
func LookupPoolPasswd(content, user string) (string, bool) {
	rest := content
	for rest != "" {
		var line string
		// fgets(buf, 1024) returns at most 1023 bytes, the newline included.
		if i := strings.IndexByte(rest, '\n'); i >= 0 && i < pgpoolMaxLine {
			line, rest = rest[:i], rest[i+1:]
		} else if len(rest) > pgpoolMaxLine {
			line, rest = rest[:pgpoolMaxLine], rest[pgpoolMaxLine:]
		} else {
			line, rest = rest, ""
		}
		after, ok := matchPoolUser(line, user)
		if !ok {
			continue
		}
		tok := nextPoolToken(after)
		if tok == "" {
			continue
		}
		return tok, true
	}
	return "", false
}

func matchPoolUser(line, user string) (string, bool) {
	t, u := 0, 0
	for t < len(line) {
		esc := false
		if line[t] == '\\' {
			t++
			esc = true
			if t >= len(line) {
				return "", false
			}
		}
		if line[t] == ':' && u == len(user) && !esc {
			return line[t+1:], true
		}
		if u == len(user) || line[t] != user[u] {
			return "", false
		}
		t++
		u++
	}
	return "", false
}

func nextPoolToken(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < pgpoolMaxToken; i++ {
		c := s[i]
		if c == '\\' {
			i++
			if i >= len(s) {
				break
			}
			b.WriteByte(s[i])
			continue
		}
		if c == ':' {
			break
		}
		b.WriteByte(c)
	}
	return b.String()
}

// PoolPasswdUser is one user for a pool_passwd computed from passwords.
type PoolPasswdUser struct {
	Name     string
	Password string // secret
	Format   PoolPasswdFormat
}

// PoolPasswd is a pool_passwd computed from passwords, with the pool key
// for AES entries.
type PoolPasswd struct {
	Users []PoolPasswdUser
	Key   string // secret
}

func (pp PoolPasswd) needsKey() bool {
	for _, u := range pp.Users {
		if u.Format == PoolPasswdAES {
			return true
		}
	}
	return false
}

// Validate reports problems at users[i].name/password/format and
// encryption_key; messages never hold a password or the key.
func (pp PoolPasswd) Validate() Problems {
	var col collector
	seen := map[string]int{}
	for i, u := range pp.Users {
		p := At("users").Index(i)
		if msg := CheckPoolPasswdUser(u.Name); msg != "" {
			col.errorf(p.Name("name"), u.Name, "%s", msg)
		} else if j, dup := seen[u.Name]; dup {
			col.errorf(p.Name("name"), u.Name, "is also users[%d]: Pgpool-II would use the first entry and ignore this one", j)
		} else {
			seen[u.Name] = i
		}
		switch u.Format {
		case PoolPasswdAES:
		case PoolPasswdMD5:
			col.warnf(p.Name("format"), string(u.Format), "an md5 entry works for md5 logins only (md5 is deprecated) and lets anyone who reads the file log in with md5; scram-sha-256 needs an aes entry")
		case PoolPasswdText:
			col.warnf(p.Name("format"), string(u.Format), "a text entry stores the password in clear; aes keeps it encrypted with the pool key")
		default:
			col.errorf(p.Name("format"), string(u.Format), "must be aes, md5 or text")
			continue
		}
		if err := CheckPoolPassword(u.Format, u.Password); err != nil {
			col.errorf(p.Name("password"), secretShown, "the password %s", err)
		}
	}
	switch {
	case pp.needsKey() && pp.Key == "":
		col.errorf(At("encryption_key"), "", "aes entries need the pool key")
	case pp.needsKey():
		if err := CheckPoolKey(pp.Key); err != nil {
			col.errorf(At("encryption_key"), secretShown, "the key %s", err)
		}
	case pp.Key != "":
		col.errorf(At("encryption_key"), secretShown, "no entry has format aes, so Pgpool-II would never use the key")
	}
	return col.ps
}

// Render returns pool_passwd and its review copy (every secret replaced by
// MaskedSecret).
func (pp PoolPasswd) Render() (exact, masked string, err error) {
	if err := pp.Validate().Err(); err != nil {
		return "", "", err
	}
	var ex, ma []PoolPasswdEntry
	for _, u := range pp.Users {
		sec, err := PoolPasswdSecret(u.Format, u.Name, u.Password, pp.Key)
		if err != nil {
			return "", "", err
		}
		ex = append(ex, PoolPasswdEntry{User: u.Name, Secret: sec})
		ma = append(ma, PoolPasswdEntry{User: u.Name, Secret: MaskedSecret})
	}
	if exact, err = RenderPoolPasswd(ex); err != nil {
		return "", "", err
	}
	masked, err = RenderPoolPasswd(ma)
	return exact, masked, err
}

// KeyFile is the key file Pgpool-II reads the pool key from (the key and
// a newline), or "" when no entry needs it.
func (pp PoolPasswd) KeyFile() string {
	if !pp.needsKey() {
		return ""
	}
	return pp.Key + "\n"
}
