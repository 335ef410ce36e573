package hba

import (
	"fmt"
	"strconv"
)

// Validation follows what each target program does with a line: PostgreSQL's
// hba.c parse_hba_line() and parse_hba_auth_opt() (validate_postgres.go,
// per option family in options.go), PgBouncer 1.18 and Pgpool-II 4.3.5
// (validate_pooler.go). Addresses and names are checked the same way for
// every target (validate_address.go, validate_names.go) with the target's
// restrictions.

// problems collects Problems in the order they are found.
type problems []Problem

func (ps *problems) add(field, value, msg string) {
	*ps = append(*ps, Problem{Field: field, Value: value, Message: msg})
}

// Validate checks the rule as target t reads it (v is the PostgreSQL major
// version, 13..18; it is ignored for pgbouncer and pgpool). It follows
// PostgreSQL's hba.c parse_hba_line()/parse_hba_auth_opt() and uses their
// messages where they exist. Problems are returned in field order; an empty
// result means the rule is valid.
func (r Rule) Validate(t Target, v int) []Problem {
	var ps problems
	switch t {
	case TargetPostgreSQL:
		if v < MinVersion || v > MaxVersion {
			ps.add("postgres_version", strconv.Itoa(v), fmt.Sprintf("must be between %d and %d", MinVersion, MaxVersion))
			return ps
		}
	case TargetPgBouncer, TargetPgpool:
	default:
		ps.add("target", string(t), "must be postgresql, pgbouncer or pgpool")
		return ps
	}
	if !knownTypes[r.Type] {
		ps.add("type", string(r.Type), fmt.Sprintf("invalid connection type %q", r.Type))
		return ps
	}
	if t != TargetPostgreSQL && (r.Type == HostGSSEnc || r.Type == HostNoGSSEnc) {
		ps.add("type", string(r.Type), fmt.Sprintf("the %s target accepts only local, host, hostssl and hostnossl", t))
	}
	ps = append(ps, validateNames("databases", r.Databases, false, t, v)...)
	ps = append(ps, validateNames("users", r.Users, true, t, v)...)
	ps = append(ps, r.validateAddress(t)...)
	if r.Comment != "" {
		if err := checkComment(r.Comment); err != nil {
			ps.add("comment", r.Comment, err.Error())
		}
	}
	if !knownMethods[r.Method] {
		ps.add("method", string(r.Method), fmt.Sprintf("invalid authentication method %q", r.Method))
		return ps
	}
	switch t {
	case TargetPgBouncer:
		r.validatePgBouncer(&ps)
	case TargetPgpool:
		r.validatePgpool(&ps)
	default:
		r.validatePostgres(&ps, v)
	}
	return ps
}
