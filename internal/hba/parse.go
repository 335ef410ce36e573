package hba

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParsedRule is a rule read from a file with its (first) line number.
type ParsedRule struct {
	Line int
	Rule Rule
}

// Directive is an include, include_if_exists or include_dir line
// (PostgreSQL 16+). The included files are not read.
type Directive struct {
	Line int
	Kind string
	Path string
}

// ParsedFile is the result of Parse. Problems holds syntax errors (lines
// that are not rules) and the Validate(postgresql, v) problems of every
// parsed rule, each with its line. Findings holds what the file does that
// the rules alone do not show (include directives that were not followed,
// NUL bytes), each with its line: every line PostgreSQL reads is either a
// rule, a problem or a finding, never silently dropped.
type ParsedFile struct {
	Version    int
	Rules      []ParsedRule
	Directives []Directive
	Problems   []Problem
	Findings   []Finding
}

// isDirective reports whether the first field is an include keyword.
func isDirective(first []token) bool {
	if len(first) != 1 || first[0].quoted {
		return false
	}
	switch first[0].s {
	case "include", "include_if_exists", "include_dir":
		return true
	}
	return false
}

// nulFinding explains what PostgreSQL v made of a line a NUL byte cut.
func nulFinding(ll logicalLine, v int, ruleIndex int) (Finding, bool) {
	if len(ll.nul) == 0 {
		return Finding{}, false
	}
	var msg string
	if v < 14 {
		msg = fmt.Sprintf("line %d contains a NUL byte: PostgreSQL %d ignores the rest of that line", ll.nul[0], v)
	} else {
		msg = fmt.Sprintf("line %d contains a NUL byte: PostgreSQL %d ignores the rest of that line including its line break", ll.nul[0], v)
		if len(ll.joined) > 0 {
			msg += fmt.Sprintf(", so it reads line %d as the continuation of line %d", ll.joined[0], ll.num)
			if len(ll.joined) > 1 {
				msg += fmt.Sprintf(" (and %d more lines the same way)", len(ll.joined)-1)
			}
		} else {
			msg += " (it was the last line)"
		}
	}
	msg += "; remove the NUL byte"
	return Finding{Code: CodeNULByte, Severity: DefaultSeverity[CodeNULByte], RuleIndex: ruleIndex, OtherRuleIndex: -1, Line: ll.num, Message: msg}, true
}

// directiveFinding reports an include directive whose file was not read.
func directiveFinding(d Directive, v int, file string) Finding {
	what := map[string]string{"include": "the lines of", "include_if_exists": "the lines of (when it exists)", "include_dir": "the lines of every .conf file in"}[d.Kind]
	return Finding{Code: CodeIncludeNotFollowed, Severity: DefaultSeverity[CodeIncludeNotFollowed], RuleIndex: -1, OtherRuleIndex: -1, Line: d.Line,
		Message: fmt.Sprintf("line %d: %s %s: PostgreSQL %d reads %s %q at this point of %s; included files are not read here, so the parsed result is incomplete and a file rendered from it alone would lose them",
			d.Line, d.Kind, quoteIfNeeded(d.Path), v, what, d.Path, file)}
}

// Parse reads a pg_hba.conf as PostgreSQL major version v does: quotes,
// doubled quotes, comments, comma lists, backslash continuation (14+),
// @file references (kept as File names), regular expressions (16+) and
// include directives (16+, reported, not followed). It returns an error only
// for an unsupported version; everything else is a Problem.
func Parse(content string, v int) (ParsedFile, error) {
	var pf ParsedFile
	if v < MinVersion || v > MaxVersion {
		return pf, fmt.Errorf("postgres_version %d: must be between %d and %d", v, MinVersion, MaxVersion)
	}
	pf.Version = v
	for _, ll := range readLines(content, v) {
		if ll.tooLong {
			pf.Problems = append(pf.Problems, Problem{Line: ll.num, Message: "authentication file line too long"})
			if f, ok := nulFinding(ll, v, -1); ok {
				pf.Findings = append(pf.Findings, f)
			}
			continue
		}
		fields, comment, hasComment := tokenizeLine(ll.text)
		if len(fields) == 0 {
			if f, ok := nulFinding(ll, v, -1); ok {
				pf.Findings = append(pf.Findings, f)
			}
			continue
		}
		if isDirective(fields[0]) {
			kind := fields[0][0].s
			switch {
			case v < 16:
				pf.Problems = append(pf.Problems, Problem{Line: ll.num, Field: "type", Value: kind,
					Message: fmt.Sprintf("invalid connection type %q (include directives need PostgreSQL 16)", kind)})
			case len(fields) != 2 || len(fields[1]) != 1:
				pf.Problems = append(pf.Problems, Problem{Line: ll.num, Field: "type", Value: kind,
					Message: fmt.Sprintf("%s must be followed by exactly one file name", kind)})
			default:
				d := Directive{Line: ll.num, Kind: kind, Path: fields[1][0].s}
				pf.Directives = append(pf.Directives, d)
				pf.Findings = append(pf.Findings, directiveFinding(d, v, "pg_hba.conf"))
			}
			if f, ok := nulFinding(ll, v, -1); ok {
				pf.Findings = append(pf.Findings, f)
			}
			continue
		}
		r, probs := ruleFromFields(fields, v)
		for i := range probs {
			probs[i].Line = ll.num
		}
		if len(probs) > 0 {
			pf.Problems = append(pf.Problems, probs...)
			if f, ok := nulFinding(ll, v, -1); ok {
				pf.Findings = append(pf.Findings, f)
			}
			continue
		}
		if hasComment {
			r.Comment = strings.TrimPrefix(comment, " ")
		}
		for _, p := range r.Validate(TargetPostgreSQL, v) {
			p.Line = ll.num
			pf.Problems = append(pf.Problems, p)
		}
		if f, ok := nulFinding(ll, v, len(pf.Rules)); ok {
			pf.Findings = append(pf.Findings, f)
		}
		pf.Rules = append(pf.Rules, ParsedRule{Line: ll.num, Rule: r})
	}
	return pf, nil
}

func one(fields [][]token, i int, what, multi string) (token, *Problem) {
	if i >= len(fields) {
		return token{}, &Problem{Message: "end-of-line before " + what}
	}
	if len(fields[i]) > 1 {
		return token{}, &Problem{Message: multi}
	}
	return fields[i][0], nil
}

// ruleFromFields converts tokenized fields into a Rule following
// parse_hba_line() field by field.
func ruleFromFields(fields [][]token, v int) (Rule, []Problem) {
	var r Rule
	if len(fields[0]) > 1 {
		return r, []Problem{{Field: "type", Message: "multiple values specified for connection type"}}
	}
	r.Type = ConnType(fields[0][0].s)
	if !knownTypes[r.Type] {
		return r, []Problem{{Field: "type", Value: string(r.Type), Message: fmt.Sprintf("invalid connection type %q", r.Type)}}
	}
	if len(fields) < 2 {
		return r, []Problem{{Field: "databases", Message: "end-of-line before database specification"}}
	}
	for _, t := range fields[1] {
		r.Databases = append(r.Databases, databaseName(t, v, false))
	}
	if len(fields) < 3 {
		return r, []Problem{{Field: "users", Message: "end-of-line before role specification"}}
	}
	for _, t := range fields[2] {
		r.Users = append(r.Users, userName(t, v, false))
	}
	i := 3
	if r.Type != Local {
		t, p := one(fields, i, "IP address specification", "multiple values specified for host address")
		if p != nil {
			p.Field = "address"
			return r, []Problem{*p}
		}
		i++
		if t.quoted && addressKeywords[t.s] {
			return r, []Problem{{Field: "address", Value: t.s, Message: "a quoted address keyword is read by PostgreSQL as a host name; this is not supported"}}
		}
		r.Address = t.s
		if !addressKeywords[t.s] && !strings.Contains(t.s, "/") {
			if _, err := netip.ParseAddr(t.s); err == nil {
				m, p := one(fields, i, "netmask specification", "multiple values specified for netmask")
				if p != nil {
					p.Field = "netmask"
					return r, []Problem{*p}
				}
				i++
				if _, err := netip.ParseAddr(m.s); err != nil {
					return r, []Problem{{Field: "netmask", Value: m.s, Message: fmt.Sprintf("invalid IP mask %q", m.s)}}
				}
				r.Netmask = m.s
			}
		}
	}
	m, p := one(fields, i, "authentication method", "multiple values specified for authentication type")
	if p != nil {
		p.Field = "method"
		return r, []Problem{*p}
	}
	i++
	r.Method = Method(m.s)
	if !knownMethods[r.Method] {
		return r, []Problem{{Field: "method", Value: m.s, Message: fmt.Sprintf("invalid authentication method %q", m.s)}}
	}
	seen := map[string]bool{}
	for ; i < len(fields); i++ {
		for _, t := range fields[i] {
			eq := strings.IndexByte(t.s, '=')
			if eq < 0 {
				return r, []Problem{{Field: "options", Value: t.s, Message: "authentication option not in name=value format: " + t.s}}
			}
			name, val := t.s[:eq], t.s[eq+1:]
			if seen[name] {
				o := Option{Name: name, Value: val}
				return r, []Problem{{Field: o.field(), Value: o.shown(), Message: "option specified more than once (PostgreSQL silently keeps the last one)"}}
			}
			seen[name] = true
			if val == "" && (name == "clientcert" || name == "clientname" || name == "map") {
				return r, []Problem{{Field: name, Value: val, Message: fmt.Sprintf("invalid value for %s: \"\"", name)}}
			}
			switch name {
			case "clientcert":
				r.ClientCert = val
			case "clientname":
				r.ClientName = val
			case "map":
				r.Map = val
			default:
				r.Options = append(r.Options, Option{Name: name, Value: val})
			}
		}
	}
	return r, nil
}

// ParsedIdentFile is the result of ParseIdent: maps in order of first
// appearance, each with its mappings in file order.
type ParsedIdentFile struct {
	Maps       []IdentMap
	Lines      map[string][]int // map name -> line of each mapping
	Directives []Directive
	Problems   []Problem
	Findings   []Finding // include directives not followed, NUL bytes (RuleIndex -1)
}

// ParseIdent reads a pg_ident.conf as PostgreSQL major version v does. The
// mappings come back in the token form IdentMapping documents.
func ParseIdent(content string, v int) (ParsedIdentFile, error) {
	pf := ParsedIdentFile{Lines: map[string][]int{}}
	if v < MinVersion || v > MaxVersion {
		return pf, fmt.Errorf("postgres_version %d: must be between %d and %d", v, MinVersion, MaxVersion)
	}
	idx := map[string]int{}
	for _, ll := range readLines(content, v) {
		if f, ok := nulFinding(ll, v, -1); ok {
			pf.Findings = append(pf.Findings, f)
		}
		if ll.tooLong {
			pf.Problems = append(pf.Problems, Problem{Line: ll.num, Message: "authentication file line too long"})
			continue
		}
		fields, comment, hasComment := tokenizeLine(ll.text)
		if len(fields) == 0 {
			continue
		}
		if v >= 16 && isDirective(fields[0]) && len(fields) == 2 && len(fields[1]) == 1 {
			d := Directive{Line: ll.num, Kind: fields[0][0].s, Path: fields[1][0].s}
			pf.Directives = append(pf.Directives, d)
			pf.Findings = append(pf.Findings, directiveFinding(d, v, "pg_ident.conf"))
			continue
		}
		if len(fields) < 3 {
			pf.Problems = append(pf.Problems, Problem{Line: ll.num, Message: "missing entry at end of line"})
			continue
		}
		if len(fields) > 3 {
			pf.Problems = append(pf.Problems, Problem{Line: ll.num, Message: "extra fields after the database user"})
			continue
		}
		bad := false
		for _, f := range fields {
			if len(f) > 1 {
				bad = true
			}
		}
		if bad {
			pf.Problems = append(pf.Problems, Problem{Line: ll.num, Message: "multiple values in ident field"})
			continue
		}
		name := fields[0][0].s
		sys := fields[1][0]
		var sysStr string
		if len(sys.s) > 0 && sys.s[0] == '/' {
			sysStr = "/" + hclToken(sys.s[1:])
			if len(sys.s) == 1 {
				sysStr = "/"
			}
		} else {
			sysStr = hclToken(sys.s)
		}
		dbTok := fields[2][0]
		var dbn Name
		if v >= 16 {
			dbn = userName(dbTok, v, false)
		} else {
			dbn = Lit(dbTok.s)
		}
		mp := IdentMapping{SystemUser: sysStr, DatabaseUser: dbn.String()}
		if hasComment {
			mp.Comment = strings.TrimPrefix(comment, " ")
		}
		for _, p := range ValidateIdentMapping(name, mp, "", v) {
			p.Line = ll.num
			pf.Problems = append(pf.Problems, p)
		}
		k, ok := idx[name]
		if !ok {
			k = len(pf.Maps)
			idx[name] = k
			pf.Maps = append(pf.Maps, IdentMap{Name: name})
		}
		pf.Maps[k].Mappings = append(pf.Maps[k].Mappings, mp)
		pf.Lines[name] = append(pf.Lines[name], ll.num)
	}
	return pf, nil
}
