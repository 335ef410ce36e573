package hba

import (
	"fmt"
	"strconv"
	"strings"
)

// ValidateIdentMapping checks one mapping of map name for PostgreSQL major
// version v. prefix is prepended to field names ("mappings[2].").
func ValidateIdentMapping(name string, m IdentMapping, prefix string, v int) []Problem {
	var ps []Problem
	add := func(field, value, msg string) {
		ps = append(ps, Problem{Field: prefix + field, Value: value, Message: msg})
	}
	if name == "" {
		add("name", "", "the map name is empty")
	} else if err := checkText(name); err != nil {
		add("name", name, err.Error())
	}
	sys, err := parseSystemUser(m.SystemUser)
	if err != nil {
		add("system_user", m.SystemUser, err.Error())
	}
	dbu, err2 := ParseUser(m.DatabaseUser)
	if err2 != nil {
		add("database_user", m.DatabaseUser, err2.Error())
	}
	if m.Comment != "" {
		if err := checkComment(m.Comment); err != nil {
			add("comment", m.Comment, err.Error())
		}
	}
	if err != nil || err2 != nil {
		return ps
	}
	if _, err := renderName(dbu); err != nil {
		add("database_user", m.DatabaseUser, err.Error())
		return ps
	}
	if sys.regex {
		if err := checkRegex(sys.value); err != nil {
			add("system_user", m.SystemUser, err.Error())
		}
	}
	switch dbu.Kind {
	case Keyword:
		if dbu.Value != "all" {
			add("database_user", m.DatabaseUser, fmt.Sprintf("%q is not a keyword here (only all, PostgreSQL 16+); quote it for a role of that name", dbu.Value))
		} else if v < 16 {
			add("database_user", m.DatabaseUser, fmt.Sprintf("the all keyword in pg_ident.conf needs PostgreSQL 16 (PostgreSQL %d would look for a role named all; write \"\\\"all\\\"\" for that)", v))
		}
	case Group:
		if v < 16 {
			add("database_user", m.DatabaseUser, fmt.Sprintf("+role in pg_ident.conf needs PostgreSQL 16 (write the name quoted for a role literally named +%s)", dbu.Value))
		}
	case Regex:
		if v < 16 {
			add("database_user", m.DatabaseUser, "a regular expression database user needs PostgreSQL 16")
		}
		if strings.Contains(dbu.Value, `\1`) {
			add("database_user", m.DatabaseUser, "\\1 is not substituted in a regular-expression database user")
		} else if err := checkRegex(dbu.Value); err != nil {
			add("database_user", m.DatabaseUser, err.Error())
		}
	case File:
		add("database_user", m.DatabaseUser, "@file is not supported in pg_ident.conf by this provider")
	case Literal:
		if strings.HasPrefix(dbu.Value, "/") && v >= 16 {
			add("database_user", m.DatabaseUser, "PostgreSQL 16+ reads a database user starting with / as a regular expression, even when quoted")
		}
	}
	if dbu.Kind == Literal || dbu.Kind == Group {
		if strings.Contains(dbu.Value, `\1`) {
			if !sys.regex {
				add("database_user", m.DatabaseUser, "\\1 is only replaced when system_user is a regular expression (starting with /)")
			} else if captureGroups(sys.value) < 1 {
				add("database_user", m.DatabaseUser, fmt.Sprintf("regular expression %q has no subexpressions as requested by backreference in %q", sys.value, dbu.Value))
			}
		}
	}
	return ps
}

// Validate checks every mapping of the map for PostgreSQL major version v.
func (im IdentMap) Validate(v int) []Problem {
	var ps []Problem
	if v < MinVersion || v > MaxVersion {
		return []Problem{{Field: "postgres_version", Value: strconv.Itoa(v), Message: fmt.Sprintf("must be between %d and %d", MinVersion, MaxVersion)}}
	}
	if len(im.Mappings) == 0 {
		ps = append(ps, Problem{Field: "mappings", Message: "a map needs at least one mapping"})
	}
	if im.Name == "" {
		ps = append(ps, Problem{Field: "name", Message: "the map name is empty"})
	} else if err := checkText(im.Name); err != nil {
		ps = append(ps, Problem{Field: "name", Value: im.Name, Message: err.Error()})
	}
	for i, m := range im.Mappings {
		for _, p := range ValidateIdentMapping(im.Name, m, fmt.Sprintf("mappings[%d].", i), v) {
			if p.Field == fmt.Sprintf("mappings[%d].name", i) {
				continue // reported once above
			}
			ps = append(ps, p)
		}
	}
	return ps
}
