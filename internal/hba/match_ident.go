package hba

import (
	"errors"
	"fmt"
	"strings"
)

// pg_ident.conf matching (hba.c check_usermap / check_ident_usermap).
//
// PostgreSQL 13-15: a system user starting with '/' is a regular expression
// (quoted or not); the database user is compared as plain text after \1 (the
// first capture group, first occurrence only) is substituted. Otherwise both
// are compared exactly.
// PostgreSQL 16+: the database user is a role specification: all (keyword),
// +role (membership), a /regex, or a name; \1 is substituted only in a
// plain name, which is then compared literally.
// A regular-expression system user whose database user asks for \1 without
// a capture group is an error that stops the map scan: no match.

type identLine struct {
	sysRegex *areRegexp
	sysErr   error
	sysLit   string
	// database user: PostgreSQL <= 15 (plain text) and >= 16 (role spec).
	pgText string
	pgTest nameTest
}

func compileIdentMaps(maps []IdentMap, v int) (map[string][]identLine, error) {
	out := map[string][]identLine{}
	for _, im := range maps {
		for i, mp := range im.Mappings {
			sys, err := parseSystemUser(mp.SystemUser)
			if err != nil {
				return nil, fmt.Errorf("ident map %q mapping %d: system_user: %w", im.Name, i, err)
			}
			var l identLine
			if sys.regex {
				l.sysRegex, l.sysErr = compileARE(sys.value)
			} else {
				l.sysLit = sys.value
			}
			dbu, err := ParseUser(mp.DatabaseUser)
			if err != nil {
				return nil, fmt.Errorf("ident map %q mapping %d: database_user: %w", im.Name, i, err)
			}
			switch dbu.Kind {
			case Group:
				l.pgText = "+" + dbu.Value
			case Regex:
				l.pgText = "/" + dbu.Value
			case File:
				return nil, fmt.Errorf("ident map %q mapping %d: @file database users are not supported", im.Name, i)
			default:
				l.pgText = dbu.Value
			}
			if v >= 16 {
				switch {
				case dbu.Kind == Keyword && dbu.Value == "all":
					l.pgTest = nameTest{keyword: "all"}
				case dbu.Kind == Group:
					l.pgTest = nameTest{member: dbu.Value}
				case strings.HasPrefix(l.pgText, "/"):
					l.pgTest.regex, l.pgTest.err = compileARE(l.pgText[1:])
				default:
					l.pgTest = nameTest{literal: l.pgText, isLit: true}
				}
			}
			out[im.Name] = append(out[im.Name], l)
		}
	}
	return out, nil
}

// usermapCheck is check_usermap(map, a.User, system, case_insensitive=false).
// known is false when the verdict needs an input that was not given.
func (m *Matcher) usermapCheck(mapName string, a Attempt, system string) (ok, known bool, why string) {
	if mapName == "" {
		if system == a.User {
			return true, true, ""
		}
		return false, true, fmt.Sprintf("provided user name (%s) and authenticated user name (%s) do not match", a.User, system)
	}
	if m.idents == nil {
		if m.identEr != nil {
			return false, false, m.identEr.Error()
		}
		return false, false, fmt.Sprintf("map %q needs the pg_ident.conf maps", mapName)
	}
	for _, l := range m.idents[mapName] {
		found, err := m.identLineMatches(l, a, system)
		if err != nil {
			var u *UndeterminedError
			if errors.As(err, &u) {
				return false, false, u.Why
			}
			return false, true, err.Error()
		}
		if found {
			return true, true, ""
		}
	}
	return false, true, fmt.Sprintf("no match in usermap %q for user %q authenticated as %q", mapName, a.User, system)
}

func (m *Matcher) identLineMatches(l identLine, a Attempt, system string) (bool, error) {
	if l.sysErr != nil {
		return false, &UndeterminedError{Why: l.sysErr.Error()}
	}
	pgText := l.pgText
	test := l.pgTest
	if l.sysRegex != nil {
		group, hasGroup, ok, gerr := l.sysRegex.firstGroup(system)
		if !ok {
			return false, nil
		}
		substitute := strings.Contains(pgText, `\1`)
		if m.Version >= 16 && (test.member != "" || test.regex != nil || test.err != nil || test.keyword != "") {
			substitute = false
		}
		if substitute {
			if gerr != nil {
				return false, &UndeterminedError{Why: gerr.Error()}
			}
			if !hasGroup {
				return false, fmt.Errorf("regular expression %q has no subexpressions as requested by backreference in %q", l.sysRegex.src, pgText)
			}
			pgText = strings.Replace(pgText, `\1`, group, 1)
			test = nameTest{literal: pgText, isLit: true}
		}
	} else if l.sysLit != system {
		return false, nil
	}
	if m.Version < 16 {
		return pgText == a.User, nil
	}
	switch {
	case test.keyword == "all":
		return true, nil
	case test.member != "":
		return isMember(0, attemptFacts{m: m, a: a}, test.member, "pg_ident +"+test.member, a.User)
	case test.err != nil:
		return false, &UndeterminedError{Why: test.err.Error()}
	case test.regex != nil:
		return test.regex.match(a.User), nil
	}
	return test.literal == a.User, nil
}
