// Package reload writes new configuration and TLS files for a running
// PostgreSQL, PgBouncer or Pgpool-II and makes the program load them
// without ever leaving it unable to: the program (or, where it has no such
// facility, the closest check it offers) judges the files on disk before
// they take effect; only then is the reload sent, and its effect is
// confirmed on a new connection. When anything is refused, the previous
// files are put back (and, if the reload had already happened, loaded
// again), and the error carries the program's own words with file and line.
//
// Files are written by internal/localfiles; connections use internal/check's
// libpq rules. Nothing here knows Terraform.
package reload

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/check"
	"github.com/pgtls/terraform-provider-pgtls/internal/localfiles"
)

// Program is the server whose files are written.
type Program string

// The programs a reload can target.
const (
	PostgreSQL Program = "postgresql"
	PgBouncer  Program = "pgbouncer"
	Pgpool     Program = "pgpool"
)

// Programs lists the supported programs.
var Programs = []Program{PostgreSQL, PgBouncer, Pgpool}

// Target says how to reach the running program.
type Target struct {
	Program Program

	// Conn reaches PostgreSQL (a superuser, or a role granted
	// pg_read_all_settings and EXECUTE on pg_reload_conf,
	// pg_hba_file_rules and pg_ident_file_mappings) or PgBouncer's admin
	// console (an admin_users member; Database is forced to "pgbouncer").
	// A Host starting with "/" is a unix-socket directory.
	Conn    check.Request
	SSLMode check.SSLMode

	// PCP reaches Pgpool-II's PCP port: pcp_reload_config and
	// pcp_pool_status are run with these (the password is handed over in
	// a temporary PCPPASSFILE, never on the command line).
	PCPHost     string
	PCPPort     int
	PCPUser     string
	PCPPassword string
	// PCPBinDir holds pcp_reload_config and pcp_pool_status; empty means
	// /usr/sbin (Debian's pgpool2 package), then $PATH.
	PCPBinDir string

	// AllowPendingRestart turns settings that only take effect at the next
	// restart into warnings instead of refusing the files.
	AllowPendingRestart bool

	// Timeout bounds waiting for the reload to show (default 30s).
	Timeout time.Duration
}

// DefaultTimeout is used when Target.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// Finding is one thing the program (or a pre-check) said about a file.
type Finding struct {
	File    string // absolute path, or "" when not tied to a file
	Line    int    // 0 when not tied to a line
	Message string
}

func (f Finding) String() string {
	switch {
	case f.File != "" && f.Line > 0:
		return fmt.Sprintf("%s line %d: %s", f.File, f.Line, f.Message)
	case f.File != "":
		return f.File + ": " + f.Message
	}
	return f.Message
}

// Refused is returned when the new files were not accepted. The previous
// files are back on disk; Reloaded says whether the program had already
// reloaded the new ones (it has then reloaded the previous ones again).
type Refused struct {
	Program  Program
	Findings []Finding
	Reloaded bool
	// RestoreErr is set when putting the previous files back failed: the
	// worst case, which the message says loudly.
	RestoreErr error
}

func (e *Refused) Error() string {
	var b strings.Builder
	name := programName(e.Program)
	if e.Reloaded {
		fmt.Fprintf(&b, "%s reloaded the new files, but the check after the reload failed", name)
	} else {
		fmt.Fprintf(&b, "%s refused the new files", name)
	}
	switch {
	case e.RestoreErr != nil:
		fmt.Fprintf(&b, "; PUTTING THE PREVIOUS FILES BACK FAILED (%v): check the directory before the server restarts", e.RestoreErr)
	case e.Reloaded:
		b.WriteString("; the previous files were put back and reloaded")
	default:
		b.WriteString("; the previous files were put back and the server was not reloaded")
	}
	b.WriteString(":")
	for _, f := range e.Findings {
		b.WriteString("\n  - ")
		b.WriteString(f.String())
	}
	return b.String()
}

func programName(p Program) string {
	switch p {
	case PostgreSQL:
		return "PostgreSQL"
	case PgBouncer:
		return "PgBouncer"
	case Pgpool:
		return "Pgpool-II"
	}
	return string(p)
}

// Outcome describes a successful Apply.
type Outcome struct {
	// Change is what was written and removed (empty when every file
	// already matched: then nothing was reloaded).
	Change   *localfiles.Change
	Reloaded bool
	// Checks lists what was verified, one line each, for logs.
	Checks []string
	// Warnings are things worth knowing that did not stop the reload.
	Warnings []string
}

// Validate reports problems with t that do not need the server.
func (t Target) Validate() []string {
	var out []string
	switch t.Program {
	case PostgreSQL, PgBouncer:
		if t.Conn.Host == "" {
			out = append(out, "host must be set")
		}
		if t.Conn.User == "" {
			out = append(out, "user must be set")
		}
		switch t.SSLMode {
		case check.ModeDisable, check.ModeRequire, check.ModeVerifyCA, check.ModeVerifyFull:
		default:
			out = append(out, fmt.Sprintf("sslmode %q: must be disable, require, verify-ca or verify-full (prefer and allow may fall back silently)", t.SSLMode))
		}
		if strings.HasPrefix(t.Conn.Host, "/") && t.SSLMode != check.ModeDisable {
			out = append(out, "a unix-socket host needs sslmode disable")
		}
	case Pgpool:
		if t.PCPUser == "" {
			out = append(out, "pcp_user must be set")
		}
		if t.PCPPort < 0 || t.PCPPort > 65535 {
			out = append(out, "pcp_port must be between 1 and 65535")
		}
	default:
		out = append(out, fmt.Sprintf("unknown program %q", t.Program))
	}
	if t.Timeout < 0 {
		out = append(out, "timeout must be positive")
	}
	return out
}

func (t Target) timeout() time.Duration {
	if t.Timeout > 0 {
		return t.Timeout
	}
	return DefaultTimeout
}

// Apply writes s (and removes the names in remove) for the running program
// t describes, has the files judged before they take effect, reloads the
// program and confirms the reload. It returns *Refused when the program (or
// a pre-check) did not accept the files: the previous files are then back.
// Other errors (cannot connect, invalid input, a directory refused by
// localfiles) happen before anything is written, except where the error
// says otherwise.
//
// When every file already matches, nothing is written and nothing is
// reloaded.
func Apply(ctx context.Context, s localfiles.Spec, remove []string, t Target) (*Outcome, error) {
	if probs := t.Validate(); len(probs) > 0 {
		return nil, fmt.Errorf("invalid reload target: %s", strings.Join(probs, "; "))
	}
	if probs := s.Validate(localfiles.OwnerIsRoot); len(probs) > 0 {
		return nil, localfiles.ProblemsError(probs)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	switch t.Program {
	case PostgreSQL:
		return applyPostgres(ctx, s, remove, t)
	case PgBouncer:
		return applyPgBouncer(ctx, s, remove, t)
	default:
		return applyPgpool(ctx, s, remove, t)
	}
}

// undo puts the previous files back and builds the Refused error.
func undo(p Program, ch *localfiles.Change, findings []Finding, reloaded bool) *Refused {
	return &Refused{Program: p, Findings: findings, Reloaded: reloaded, RestoreErr: ch.Undo()}
}

// connect opens a session with t's connection settings.
func connect(ctx context.Context, t Target, database string) (*check.Session, error) {
	req := t.Conn
	if database != "" {
		req.Database = database
	}
	s, err := check.Connect(ctx, req, t.SSLMode)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s at %s: %w", programName(t.Program), where(req), err)
	}
	return s, nil
}

func where(r check.Request) string {
	if strings.HasPrefix(r.Host, "/") {
		return fmt.Sprintf("socket %s (port %d)", r.Host, portOr(r.Port))
	}
	return fmt.Sprintf("%s:%d", r.Host, portOr(r.Port))
}

func portOr(p int) int {
	if p == 0 {
		return check.DefaultPort
	}
	return p
}

// quoted matches a double-quoted token in a server message.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// redactFor hides quoted tokens of a message about a file that holds
// secrets: PostgreSQL and the poolers quote the offending token, which
// could be a password.
func redactFor(kind localfiles.Kind, msg string) string {
	if kind == localfiles.Plain {
		return msg
	}
	return quoted.ReplaceAllString(msg, `"(redacted: the file is sensitive)"`)
}

// fileIndex finds the file of a set at a path the program reports, by
// identity (device and inode), so a path spelled differently (through a
// symlinked data directory, relative to it) still matches.
type fileIndex struct {
	files []localfiles.File
	infos []os.FileInfo // nil where the file could not be examined
}

func newFileIndex(s localfiles.Spec) *fileIndex {
	ix := &fileIndex{files: s.Files, infos: make([]os.FileInfo, len(s.Files))}
	for i, f := range s.Files {
		if fi, err := os.Lstat(filepath.Join(s.Dir, filepath.FromSlash(f.Name))); err == nil {
			ix.infos[i] = fi
		}
	}
	return ix
}

// lookup returns the file of the set that path is, if any.
func (ix *fileIndex) lookup(path string) (localfiles.File, bool) {
	if path == "" {
		return localfiles.File{}, false
	}
	fi, err := os.Stat(path)
	if err != nil {
		return localfiles.File{}, false
	}
	for i, o := range ix.infos {
		if o != nil && os.SameFile(fi, o) {
			return ix.files[i], true
		}
	}
	return localfiles.File{}, false
}

// kindOf is the kind of the set's file at path, Plain when it is not one.
func (ix *fileIndex) kindOf(path string) localfiles.Kind {
	if f, ok := ix.lookup(path); ok {
		return f.Kind
	}
	return localfiles.Plain
}

func statPath(p string) (os.FileInfo, error) { return os.Stat(p) }
