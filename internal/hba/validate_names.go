package hba

import (
	"fmt"
	"strings"
)

func validateNames(field string, names []Name, users bool, t Target, v int) []Problem {
	var ps []Problem
	if len(names) == 0 {
		what := "database"
		if users {
			what = "role"
		}
		return []Problem{{Field: field, Message: fmt.Sprintf("end-of-line before %s specification: at least one name is required", what)}}
	}
	for i, n := range names {
		f := fmt.Sprintf("%s[%d]", field, i)
		shown := n.String()
		add := func(msg string) { ps = append(ps, Problem{Field: f, Value: shown, Message: msg}) }
		if _, err := renderName(n); err != nil {
			add(err.Error())
			continue
		}
		switch n.Kind {
		case Keyword:
			if users && n.Value != "all" {
				add(fmt.Sprintf("%q is not a keyword in the users column (only all; write \"\\\"%s\\\"\" for a role of that name)", n.Value, n.Value))
				continue
			}
			switch t {
			case TargetPgBouncer:
				if n.Value != "all" && n.Value != "sameuser" {
					add(fmt.Sprintf("PgBouncer 1.18 does not support %q (it drops the line: \"%s is not supported\")", n.Value, n.Value))
				}
			case TargetPgpool:
				if n.Value != "all" && n.Value != "sameuser" {
					add(fmt.Sprintf("Pgpool-II 4.3 pool_hba does not support %q", n.Value))
				}
			}
		case Group:
			if !users {
				add("+role is only meaningful in the users column (in databases it would be a database literally named +...); quote it")
				continue
			}
			switch t {
			case TargetPgBouncer:
				add("PgBouncer 1.18 does not support +group (it drops the line)")
			case TargetPgpool:
				add("Pgpool-II 4.3 pool_hba does not support +group (it fails at login)")
			}
		case Regex:
			if t != TargetPostgreSQL {
				add(fmt.Sprintf("regular expressions are not supported by the %s target", t))
			} else if err := checkRegex(n.Value); err != nil {
				add(err.Error())
			} else if v < 16 {
				add(fmt.Sprintf("regular expressions in pg_hba.conf need PostgreSQL 16 (PostgreSQL %d would read /%s as a literal name)", v, n.Value))
			}
		case File:
			if t == TargetPgBouncer && !safeBare(n.Value) {
				add("PgBouncer 1.18 cannot read a quoted @file name; use a file name of letters, digits, _ . - only")
			}
		case Literal:
			if strings.HasPrefix(n.Value, "/") && t == TargetPostgreSQL && v >= 16 {
				add("PostgreSQL 16+ reads any name starting with / as a regular expression, even when quoted; a literal name starting with / cannot be written")
			}
		}
	}
	return ps
}

// captureGroups counts the capturing groups of a PostgreSQL ARE (an
// unescaped '(' outside a bracket expression not followed by '?').
func captureGroups(re string) int {
	n := 0
	inBracket := false
	for i := 0; i < len(re); i++ {
		c := re[i]
		switch {
		case c == '\\':
			i++
		case inBracket:
			if c == ']' {
				inBracket = false
			}
		case c == '[':
			inBracket = true
			if i+1 < len(re) && re[i+1] == '^' {
				i++
			}
			if i+1 < len(re) && re[i+1] == ']' {
				i++
			}
		case c == '(':
			if i+1 < len(re) && re[i+1] == '?' {
				continue
			}
			n++
		}
	}
	return n
}

// checkRegex is a structural check of a PostgreSQL ARE: parentheses balance
// and bracket expressions are closed. PostgreSQL compiles the expression
// when it loads the file and refuses it with "invalid regular expression";
// this catches the common mistakes without re-implementing ARE.
func checkRegex(re string) error {
	depth := 0
	for i := 0; i < len(re); i++ {
		c := re[i]
		switch c {
		case '\\':
			if i+1 >= len(re) {
				return fmt.Errorf("invalid regular expression %q: trailing backslash", re)
			}
			i++
		case '[':
			j := i + 1
			if j < len(re) && re[j] == '^' {
				j++
			}
			if j < len(re) && re[j] == ']' {
				j++
			}
			for j < len(re) && re[j] != ']' {
				if re[j] == '[' && j+1 < len(re) && (re[j+1] == ':' || re[j+1] == '.' || re[j+1] == '=') {
					end := strings.Index(re[j+2:], string(re[j+1])+"]")
					if end < 0 {
						return fmt.Errorf("invalid regular expression %q: unterminated [%c", re, re[j+1])
					}
					j += end + 4
					continue
				}
				j++
			}
			if j >= len(re) {
				return fmt.Errorf("invalid regular expression %q: brackets [] not balanced", re)
			}
			i = j
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return fmt.Errorf("invalid regular expression %q: parentheses () not balanced", re)
			}
		}
	}
	if depth != 0 {
		return fmt.Errorf("invalid regular expression %q: parentheses () not balanced", re)
	}
	return nil
}
