package pooler

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
)

// UserlistFormat is how a userlist.txt entry stores its secret.
type UserlistFormat string

const (
	// UserlistSCRAM is a SCRAM-SHA-256 verifier (what PostgreSQL stores).
	UserlistSCRAM UserlistFormat = "scram-sha-256"
	// UserlistMD5 is "md5" + md5(password || user): deprecated, and
	// equivalent to the password for md5 logins.
	UserlistMD5 UserlistFormat = "md5"
	// UserlistPlain is the password itself.
	UserlistPlain UserlistFormat = "plain"
	// UserlistEmpty is "": the user exists for PgBouncer (auth_type cert,
	// trust, hba lines without passwords) but has no password.
	UserlistEmpty UserlistFormat = "none"
)

// UserlistEntry is one line of PgBouncer's auth_file. Secret is the
// stored string exactly (a verifier, "md5...", the password, or empty).
type UserlistEntry struct {
	User   string
	Secret string
}

// MD5Secret is PostgreSQL's md5 password hash for user.
func MD5Secret(user, password string) string {
	sum := md5.Sum([]byte(password + user))
	return "md5" + hex.EncodeToString(sum[:])
}

// userlistQuote doubles the quotes as PgBouncer's auth-file parser expects.
func userlistQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// CheckUserlistEntry reports why e cannot be written to userlist.txt so
// that PgBouncer 1.18 reads it back unchanged. The secret is never part of a
// message.
func CheckUserlistEntry(e UserlistEntry) (field, msg string) {
	switch {
	case e.User == "":
		return "user", "is empty"
	case strings.ContainsAny(e.User, "\x00\r\n"):
		return "user", "contains a NUL or line break, which cannot be written in userlist.txt"
	case len(userlistQuote(e.User))-2 >= pgbouncerMaxUsername:
		return "user", fmt.Sprintf("is %d bytes long once quotes are doubled; PgBouncer 1.18 stops reading userlist.txt at a user name of %d bytes or more (\"username too long in auth file\"), dropping every later user", len(userlistQuote(e.User))-2, pgbouncerMaxUsername)
	case strings.ContainsAny(e.Secret, "\x00\r\n"):
		return "secret", "contains a NUL or line break, which cannot be written in userlist.txt"
	case len(userlistQuote(e.Secret))-2 >= pgbouncerMaxPassword:
		return "secret", fmt.Sprintf("is %d bytes long once quotes are doubled; PgBouncer 1.18 stops reading userlist.txt at a password of %d bytes or more, dropping every later user", len(userlistQuote(e.Secret))-2, pgbouncerMaxPassword)
	}
	return "", ""
}

// RenderUserlist returns userlist.txt: one `"user" "secret"` line per
// entry, a header as ';' comments (PgBouncer's only comment character in
// this file: a '#' line would stop it reading the rest). Duplicate users
// are refused (PgBouncer would keep the last one silently).
func RenderUserlist(header string, entries []UserlistEntry) (string, error) {
	var b strings.Builder
	if msg := checkComment(header); msg != "" {
		return "", fmt.Errorf("header %s", msg)
	}
	writeComment(&b, ";; ", header)
	seen := make(map[string]int, len(entries))
	for i, e := range entries {
		if f, msg := CheckUserlistEntry(e); msg != "" {
			return "", fmt.Errorf("entry %d (%s) %s %s", i, printableUser(e.User), f, msg)
		}
		if j, dup := seen[e.User]; dup {
			return "", fmt.Errorf("entry %d repeats user %s of entry %d", i, printableUser(e.User), j)
		}
		seen[e.User] = i
		b.WriteString(userlistQuote(e.User) + " " + userlistQuote(e.Secret) + "\n")
	}
	return b.String(), nil
}

func printableUser(u string) string { return fmt.Sprintf("%q", u) }

// ParseUserlist reads userlist.txt as PgBouncer 1.18's load_auth_file does,
// including its failure modes: ok is false when the parser would stop early
// ("broken auth file", a name or password too long), and entries then holds
// only what PgBouncer would have loaded. Later duplicates win.
func ParseUserlist(s string) (entries []UserlistEntry, ok bool) {
	p := 0
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' }
	findQuote := func(p int, start bool) int {
		for {
			for p < len(s) && s[p] != '"' {
				p++
			}
			if !start && p+1 < len(s) && s[p] == '"' && s[p+1] == '"' {
				p += 2
				continue
			}
			return p
		}
	}
	unquote := func(raw string, max int) string {
		var b strings.Builder
		for i := 0; i < len(raw) && b.Len() < max-1; i++ {
			if raw[i] == '"' {
				i++
				if i >= len(raw) {
					break
				}
			}
			b.WriteByte(raw[i])
		}
		return b.String()
	}
	index := map[string]int{}
	for p < len(s) {
		for p < len(s) && isSpace(s[p]) {
			p++
		}
		if p >= len(s) {
			break
		}
		if s[p] == ';' {
			for p < len(s) && s[p] != '\n' {
				p++
			}
			continue
		}
		if s[p] != '"' {
			return entries, false
		}
		p++
		u0 := p
		p = findQuote(p, false)
		if p >= len(s) {
			return entries, false
		}
		if p-u0 >= pgbouncerMaxUsername {
			return entries, false
		}
		user := s[u0:p]
		p++
		p = findQuote(p, true)
		if p >= len(s) {
			return entries, false
		}
		p++
		w0 := p
		p = findQuote(p, false)
		if p >= len(s) {
			return entries, false
		}
		if p-w0 >= pgbouncerMaxPassword {
			return entries, false
		}
		pw := s[w0:p]
		p++
		e := UserlistEntry{User: unquote(user, pgbouncerMaxUsername), Secret: unquote(pw, pgbouncerMaxPassword)}
		if j, dup := index[e.User]; dup {
			entries[j] = e
		} else {
			index[e.User] = len(entries)
			entries = append(entries, e)
		}
		for p < len(s) && s[p] != '\n' {
			p++
		}
	}
	return entries, true
}
