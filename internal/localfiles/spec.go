// Package localfiles writes a set of files into one directory the way
// PostgreSQL, PgBouncer, Pgpool-II and libpq need them: exact modes and
// owners, atomic replacement (a reader, or a crash, sees the old file or the
// new one, never a mix), no symbolic link followed anywhere on the way, and
// read-back by hash so drift is seen without handing file content back.
//
// The rules that depend only on the inputs (names, modes, which files may
// hold a private key) are in Validate, so a caller can run them before
// touching anything; Apply runs them again and then checks the file system.
//
// Nothing here knows Terraform.
package localfiles

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Kind says which permission rules a file's mode must follow.
type Kind int

const (
	// Plain content (certificates, CRLs, configuration without secrets):
	// anything but world-writable.
	Plain Kind = iota
	// Secret content (passwords, SCRAM verifiers, userlist.txt,
	// pool_passwd, pcp.conf): no access at all for other users.
	Secret
	// PrivateKey is a TLS private key. PostgreSQL (be-secure-common.c),
	// libpq (fe-secure-openssl.c) and Pgpool-II refuse (Pgpool-II: warn
	// about) a key file with any group or world access, except that a
	// root-owned key may be group-readable: u=rw (0600) or less when owned
	// by the program's user, u=rw,g=r (0640) or less when owned by root.
	PrivateKey
	// OwnerOnly is a secret its reader refuses when it has any group or
	// world access, whoever owns it (Pgpool-II's .pgpoolkey:
	// "permissions should be u=rw (0600) or less").
	OwnerOnly
)

func (k Kind) String() string {
	switch k {
	case Plain:
		return "plain"
	case Secret:
		return "secret"
	case PrivateKey:
		return "private key"
	case OwnerOnly:
		return "owner-only secret"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// File is one file of a Spec.
type File struct {
	// Name is the path relative to the directory, slash-separated, in
	// clean form ("server.key", "tls/root.crt"). Intermediate directories
	// must already exist; they are never created.
	Name    string
	Content []byte
	// Mode holds permission bits only (0 to 0777).
	Mode fs.FileMode
	// Owner and Group are a name or a numeric id; empty leaves the file
	// to the writing process's effective user or group.
	Owner, Group string
	Kind         Kind
}

// Spec is a directory and the files to have in it.
type Spec struct {
	// Dir is the directory. A relative path is taken from the current
	// directory. Every component must be a real directory, not a symlink.
	Dir   string
	Files []File
}

// Limits keep inputs bounded.
const (
	MaxFiles       = 1000
	MaxContentSize = 64 << 20 // per file
	maxNameLen     = 4096
	maxComponent   = 255
)

// tempMarker is part of every temporary file name, so a temporary file
// left by a killed writer is recognisably ours and cleaned up by the next
// Apply of the same name.
const tempMarker = ".pgtls-tmp-"

// Problem is one invalid input. Value never holds file content.
type Problem struct {
	File    string // the file's Name, or "" for the spec itself
	Field   string // "name", "mode", "owner", "group", "content", "directory", "kind"
	Value   string
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		fmt.Fprintf(&b, "file %q: ", p.File)
	}
	b.WriteString(p.Field)
	if p.Value != "" {
		fmt.Fprintf(&b, " %q", p.Value)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// ProblemsError is returned by Apply when the inputs are invalid; nothing
// was written.
type ProblemsError []Problem

func (e ProblemsError) Error() string {
	s := make([]string, len(e))
	for i, p := range e {
		s[i] = p.String()
	}
	return "invalid file set: " + strings.Join(s, "; ")
}

// FormatMode prints a mode as four octal digits ("0600"). Modes read from
// disk (Observed.Mode) carry the raw setuid, setgid and sticky bits
// (0o7000), which show as the first digit.
func FormatMode(m fs.FileMode) string { return fmt.Sprintf("%04o", uint32(m)&0o7777) }

// ParseMode reads an octal mode of three or four digits ("600", "0640").
// Only permission bits are accepted: setuid, setgid and sticky bits have no
// place on these files.
func ParseMode(s string) (fs.FileMode, error) {
	if len(s) < 3 || len(s) > 4 {
		return 0, fmt.Errorf("%q is not an octal file mode such as \"0600\" or \"0644\"", s)
	}
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not an octal file mode such as \"0600\" or \"0644\"", s)
	}
	if v > 0o777 {
		return 0, fmt.Errorf("%q sets setuid, setgid or sticky bits; only permission bits (at most 0777) are allowed", s)
	}
	return fs.FileMode(v), nil
}

// ValidateName checks a file name relative to the directory.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("must not be empty")
	case len(name) > maxNameLen:
		return fmt.Errorf("is longer than %d bytes", maxNameLen)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("must not contain a NUL byte")
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("is an absolute path; names are relative to the directory (put the directory in `directory`)")
	case strings.HasSuffix(name, "/"):
		return fmt.Errorf("ends with a slash; it must name a file")
	}
	for _, c := range strings.Split(name, "/") {
		switch {
		case c == "..":
			return fmt.Errorf("contains \"..\": a name must stay inside the directory")
		case c == "." || c == "":
			return fmt.Errorf("is not in clean form (no \".\" components, no doubled slashes); write %q", path.Clean(name))
		case len(c) > maxComponent:
			return fmt.Errorf("has a component longer than %d bytes", maxComponent)
		case strings.Contains(c, tempMarker):
			return fmt.Errorf("contains %q, which pgtls reserves for its temporary files", tempMarker)
		}
	}
	return nil
}

// ModeProblem returns why mode is not acceptable for a file of kind k whose
// owner is root (ownerIsRoot), or "" when it is.
func ModeProblem(k Kind, mode fs.FileMode, ownerIsRoot bool) string {
	m := uint32(mode)
	if m&^0o777 != 0 {
		return "only permission bits (at most 0777) are allowed"
	}
	if m&0o002 != 0 {
		return "is world-writable: any local user could replace the file"
	}
	switch k {
	case Secret:
		if m&0o007 != 0 {
			return "gives other users access to a file that holds secrets (passwords or verifiers); use 0600 or 0640"
		}
	case OwnerOnly:
		if m&0o077 != 0 {
			return "has group or world access; its reader requires u=rw (0600) or less"
		}
	case PrivateKey:
		if ownerIsRoot {
			if m&0o037 != 0 {
				return "has group or world access; a private key owned by root must be u=rw,g=r (0640) or less, as PostgreSQL, libpq and Pgpool-II require"
			}
		} else if m&0o077 != 0 {
			return "has group or world access; a private key must be u=rw (0600) or less (0640 only when owned by root), as PostgreSQL, libpq and Pgpool-II require"
		}
	}
	return ""
}

// HoldsPrivateKey reports whether b contains a PEM block of a private key
// (PKCS#1, PKCS#8, SEC1, encrypted or not, OpenSSH).
func HoldsPrivateKey(b []byte) bool {
	rest := b
	for len(rest) > 0 {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if strings.HasSuffix(blk.Type, "PRIVATE KEY") {
			return true
		}
	}
	// A damaged or truncated block still carries its header.
	return bytes.Contains(b, []byte("PRIVATE KEY-----"))
}

// Validate reports every problem of s that depends only on its inputs and
// on who the owners are. isRoot tells whether an owner (as written in
// File.Owner, "" for the writing process) is uid 0; it returns an error
// when the owner cannot be resolved.
func (s Spec) Validate(isRoot func(owner string) (bool, error)) []Problem {
	var probs []Problem
	add := func(file, field, value, format string, a ...any) {
		probs = append(probs, Problem{File: file, Field: field, Value: value, Message: fmt.Sprintf(format, a...)})
	}
	switch {
	case s.Dir == "":
		add("", "directory", "", "must not be empty")
	case strings.ContainsRune(s.Dir, 0):
		add("", "directory", "", "must not contain a NUL byte")
	case len(s.Dir) > maxNameLen:
		add("", "directory", "", "is longer than %d bytes", maxNameLen)
	}
	if len(s.Files) > MaxFiles {
		add("", "files", strconv.Itoa(len(s.Files)), "at most %d files per set", MaxFiles)
		return probs
	}
	seen := make(map[string]bool, len(s.Files))
	for _, f := range s.Files {
		if err := ValidateName(f.Name); err != nil {
			add(f.Name, "name", "", "%v", err)
			continue
		}
		if seen[f.Name] {
			add(f.Name, "name", "", "appears more than once")
			continue
		}
		seen[f.Name] = true
		if len(f.Content) > MaxContentSize {
			add(f.Name, "content", "", "is %d bytes; at most %d are allowed", len(f.Content), MaxContentSize)
		}
		kind := f.Kind
		if HoldsPrivateKey(f.Content) {
			switch kind {
			case Plain:
				add(f.Name, "content", "", "holds a private key, but the file is not marked secret: keys must only be written from a sensitive input")
			case Secret:
				kind = PrivateKey
			}
		}
		if f.Owner != "" {
			if err := validateIDName(f.Owner); err != nil {
				add(f.Name, "owner", f.Owner, "%v", err)
			}
		}
		if f.Group != "" {
			if err := validateIDName(f.Group); err != nil {
				add(f.Name, "group", f.Group, "%v", err)
			}
		}
		root := false
		if kind == PrivateKey && isRoot != nil {
			r, err := isRoot(f.Owner)
			if err != nil {
				add(f.Name, "owner", f.Owner, "%v", err)
			}
			root = r
		}
		if msg := ModeProblem(kind, f.Mode, root); msg != "" {
			add(f.Name, "mode", FormatMode(f.Mode), "%s", msg)
		}
	}
	// "a" and "a/b" cannot both be files: look each parent up in the set
	// (linear in the total name length).
	for _, f := range s.Files {
		if !seen[f.Name] {
			continue
		}
		for i := 0; i < len(f.Name); i++ {
			if f.Name[i] == '/' && seen[f.Name[:i]] {
				add(f.Name, "name", "", "lies under %q, which is also a file of this set", f.Name[:i])
				break
			}
		}
	}
	return probs
}

// validateIDName checks the shape of a user or group given by name or id.
func validateIDName(s string) error {
	if _, err := strconv.ParseUint(s, 10, 32); err == nil {
		return nil
	}
	if len(s) > 256 || strings.ContainsAny(s, ":/\x00 \t\r\n") {
		return fmt.Errorf("is neither a numeric id nor a user or group name")
	}
	return nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
