// Package pooler renders and validates the configuration files of the two
// PostgreSQL connection poolers pgtls supports, exactly as the programs read
// them:
//
//   - PgBouncer (1.18, the Debian bookworm package; later versions gated on
//     a version): pgbouncer.ini and the auth_file userlist.txt;
//   - Pgpool-II 4.3 (4.3.5 in bookworm): the TLS, authentication, listen and
//     backend part of pgpool.conf, and pool_passwd (AES entries as pg_enc
//     writes them, md5 and TEXT).
//
// The rules come from reading the programs' sources (PgBouncer's
// src/loader.c, src/main.c, src/sbuf.c and libusual's cfparser.c and tls
// code; Pgpool-II's src/config/pool_config.l, pool_config_variables.c,
// src/auth/pool_passwd.c and src/utils/ssl_utils.c, pool_ssl.c) and are
// proven against the real programs in this package's tests. Anything a
// program would silently ignore, truncate or drop is a validation error
// here: a configuration either means what it says or is refused.
//
// The package imports nothing from Terraform. It never puts a secret
// (password, AES key, passphrase command) into a Problem.
package pooler

import (
	"fmt"
	"strconv"
	"strings"
)

// Step is one element of a Path: an attribute name, a list index or a map
// key (exactly one is set; Index is -1 unless it is a list index).
type Step struct {
	Name  string
	Index int
	Key   string
	IsKey bool
}

// Path locates a problem in the caller's model, e.g. databases[2].host or
// settings["max_client_conn"]. It mirrors the provider's attribute paths.
type Path []Step

// At returns the path of the top-level attribute name.
func At(name string) Path { return Path{{Name: name, Index: -1}} }

// Name appends an attribute name.
func (p Path) Name(n string) Path { return append(p[:len(p):len(p)], Step{Name: n, Index: -1}) }

// Index appends a list index.
func (p Path) Index(i int) Path { return append(p[:len(p):len(p)], Step{Index: i}) }

// Key appends a map key.
func (p Path) Key(k string) Path {
	return append(p[:len(p):len(p)], Step{Key: k, Index: -1, IsKey: true})
}

// String renders the path as databases[2].host / settings["x"].
func (p Path) String() string {
	var b strings.Builder
	for _, s := range p {
		switch {
		case s.IsKey:
			b.WriteString("[" + strconv.Quote(s.Key) + "]")
		case s.Name == "":
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Name)
		}
	}
	return b.String()
}

// Problem is one validation finding. Value is the offending value as the
// user wrote it, or "(sensitive)" for a secret. Warning problems do not make
// a configuration invalid.
type Problem struct {
	Path    Path
	Value   string
	Message string
	Warning bool
}

func (p Problem) String() string {
	var b strings.Builder
	if len(p.Path) > 0 {
		b.WriteString(p.Path.String())
		if p.Value != "" {
			fmt.Fprintf(&b, " = %q", p.Value)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is a list of findings.
type Problems []Problem

// Errors returns the problems that are not warnings.
func (ps Problems) Errors() Problems {
	var out Problems
	for _, p := range ps {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Warnings returns the warnings.
func (ps Problems) Warnings() Problems {
	var out Problems
	for _, p := range ps {
		if p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Err returns nil when there is no error, else an error listing them.
func (ps Problems) Err() error {
	errs := ps.Errors()
	if len(errs) == 0 {
		return nil
	}
	s := make([]string, len(errs))
	for i, p := range errs {
		s[i] = p.String()
	}
	return fmt.Errorf("%s", strings.Join(s, "; "))
}

// collector accumulates problems.
type collector struct{ ps Problems }

func (c *collector) errorf(p Path, value, format string, args ...any) {
	c.ps = append(c.ps, Problem{Path: p, Value: value, Message: fmt.Sprintf(format, args...)})
}

func (c *collector) warnf(p Path, value, format string, args ...any) {
	c.ps = append(c.ps, Problem{Path: p, Value: value, Message: fmt.Sprintf(format, args...), Warning: true})
}

// secretShown is how a secret value appears in a Problem.
const secretShown = "(sensitive)"

func setOf(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func quoteForMsg(s string) string { return "\"" + s + "\"" }
