package pooler

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"

	"github.com/pgtls/terraform-provider-pgtls/internal/scram"
)

// UserlistUser is one user of a userlist.txt computed from passwords or
// verifiers.
type UserlistUser struct {
	Name   string
	Format UserlistFormat
	// Password is the role's password (secret): for scram-sha-256 the
	// verifier is computed from it; md5 and plain store it hashed / as is.
	Password string
	// Verifier is a ready SCRAM-SHA-256 verifier (secret), for example the
	// one PostgreSQL stores for the role: PgBouncer can then log in to
	// PostgreSQL with the client's SCRAM keys (pass-through), which needs
	// the very same verifier on both sides.
	Verifier string
}

// Userlist is a whole userlist.txt.
type Userlist struct {
	Header     string
	Users      []UserlistUser
	Iterations int // for verifiers computed from passwords; 0 = scram.DefaultIterations
}

// UserlistFormats lists the formats.
var UserlistFormats = []string{string(UserlistSCRAM), string(UserlistMD5), string(UserlistPlain), string(UserlistEmpty)}

var md5SecretRE = regexp.MustCompile(`^md5[0-9a-f]{32}$`)

func (l Userlist) iterations() int {
	if l.Iterations == 0 {
		return scram.DefaultIterations
	}
	return l.Iterations
}

// NeedsSalt reports whether u's verifier is computed from a password (and
// so needs a salt, drawn at random once and kept).
func (u UserlistUser) NeedsSalt() bool {
	return u.Format == UserlistSCRAM && u.Password != "" && u.Verifier == ""
}

// Validate reports problems at users[i].name/format/password/
// scram_verifier and scram_iterations. Messages never hold a secret.
func (l Userlist) Validate() Problems {
	var col collector
	if msg := checkComment(l.Header); msg != "" {
		col.errorf(At("header"), "", "%s", msg)
	}
	if l.Iterations != 0 {
		if err := scram.CheckIterations(l.Iterations); err != nil {
			col.errorf(At("scram_iterations"), fmt.Sprint(l.Iterations), "%s", err)
		}
	}
	seen := map[string]int{}
	folded := map[string]int{}
	for i, u := range l.Users {
		p := At("users").Index(i)
		if f, msg := CheckUserlistEntry(UserlistEntry{User: u.Name}); msg != "" && f == "user" {
			col.errorf(p.Name("name"), u.Name, "%s", msg)
		} else if j, dup := seen[u.Name]; dup {
			col.errorf(p.Name("name"), u.Name, "is also users[%d]: PgBouncer would silently keep the last entry", j)
		} else {
			seen[u.Name] = i
			if j, dup := folded[strings.ToLower(u.Name)]; dup {
				col.warnf(p.Name("name"), u.Name, "differs from users[%d] only in case: PgBouncer compares client certificate names case-insensitively, so with cert authentication either user's certificate logs in as both", j)
			}
			folded[strings.ToLower(u.Name)] = i
		}
		hasPW, hasV := u.Password != "", u.Verifier != ""
		switch u.Format {
		case UserlistSCRAM:
			switch {
			case hasPW && hasV:
				col.errorf(p.Name("scram_verifier"), secretShown, "give password or scram_verifier, not both")
			case !hasPW && !hasV:
				col.errorf(p.Name("password"), "", "scram-sha-256 needs a password (the verifier is computed from it) or a scram_verifier")
			case hasV:
				if _, err := scram.Parse(u.Verifier); err != nil {
					col.errorf(p.Name("scram_verifier"), secretShown, "is not a SCRAM-SHA-256 verifier PgBouncer would recognize (it would use the string as a plain-text password): %s", err)
				}
			default:
				if err := scram.CheckPassword(u.Password); err != nil {
					col.errorf(p.Name("password"), secretShown, "%s", err)
				}
			}
		case UserlistMD5, UserlistPlain:
			if hasV {
				col.errorf(p.Name("scram_verifier"), secretShown, "is used only with format scram-sha-256")
			}
			if !hasPW {
				col.errorf(p.Name("password"), "", "format %s needs a password", u.Format)
				continue
			}
			if u.Format == UserlistMD5 {
				col.warnf(p.Name("format"), string(u.Format), "an md5 entry is deprecated and equivalent to the password for md5 logins; scram-sha-256 also works for clients of auth_type md5")
			} else {
				col.warnf(p.Name("format"), string(u.Format), "a plain entry stores the password in clear")
				if md5SecretRE.MatchString(u.Password) || strings.HasPrefix(u.Password, scram.Prefix+"$") {
					col.errorf(p.Name("password"), secretShown, "looks like an md5 hash or a SCRAM verifier: PgBouncer would read it as one, not as the password")
				}
			}
			if strings.ContainsAny(u.Password, "\x00\r\n") {
				col.errorf(p.Name("password"), secretShown, "contains a NUL or line break, which userlist.txt cannot hold")
			}
		case UserlistEmpty:
			if hasPW || hasV {
				col.errorf(p.Name("format"), string(u.Format), "\"none\" stores no password: remove password/scram_verifier or choose another format")
			}
		default:
			col.errorf(p.Name("format"), string(u.Format), "must be one of %s", strings.Join(UserlistFormats, ", "))
		}
	}
	return col.ps
}

// RenderMasked returns the review copy of userlist.txt: every secret
// replaced by MaskedSecret. It needs no salt, so a plan can always show it.
func (l Userlist) RenderMasked() (string, error) {
	if err := l.Validate().Err(); err != nil {
		return "", err
	}
	var ma []UserlistEntry
	for _, u := range l.Users {
		shown := MaskedSecret
		if u.Format == UserlistEmpty {
			shown = ""
		}
		ma = append(ma, UserlistEntry{User: u.Name, Secret: shown})
	}
	return RenderUserlist(l.Header, ma)
}

// Render returns the exact userlist.txt. salts gives the salt of every
// user (by name) whose verifier is computed from a password (NeedsSalt).
func (l Userlist) Render(salts map[string][]byte) (string, error) {
	if err := l.Validate().Err(); err != nil {
		return "", err
	}
	var ex []UserlistEntry
	for i, u := range l.Users {
		var sec string
		switch {
		case u.Format == UserlistEmpty:
		case u.Format == UserlistMD5:
			sec = MD5Secret(u.Name, u.Password)
		case u.Format == UserlistPlain:
			sec = u.Password
		case u.Verifier != "":
			sec = u.Verifier
		default:
			salt, ok := salts[u.Name]
			if !ok {
				return "", fmt.Errorf("users[%d]: no salt for the verifier", i)
			}
			v, err := scram.New(u.Password, salt, l.iterations())
			if err != nil {
				return "", fmt.Errorf("users[%d]: %w", i, err)
			}
			sec = v.String()
		}
		if f, msg := CheckUserlistEntry(UserlistEntry{User: u.Name, Secret: sec}); msg != "" {
			return "", fmt.Errorf("users[%d] %s %s", i, f, msg)
		}
		ex = append(ex, UserlistEntry{User: u.Name, Secret: sec})
	}
	return RenderUserlist(l.Header, ex)
}

// EncodeSalt and DecodeSalt carry salts in state (padded standard base64).
func EncodeSalt(salt []byte) string { return base64.StdEncoding.EncodeToString(salt) }

// DecodeSalt reads a salt EncodeSalt wrote; ok is false for anything else.
func DecodeSalt(s string) ([]byte, bool) {
	salt, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || scram.CheckSalt(salt) != nil {
		return nil, false
	}
	return salt, true
}
