package hba

import (
	"fmt"
	"strings"
)

// token is one lexical token as PostgreSQL's next_token() returns it.
type token struct {
	s      string // text with quotes removed ("" -> ")
	quoted bool   // initial_quote: the token began with a double quote
}

// isBlank is PostgreSQL's pg_isblank.
func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// nextToken mirrors hba.c next_token(): it skips blanks and commas, then
// reads a token up to an unquoted blank or comma. An unquoted '#' ends the
// line; the comment text is returned. ok is false when no token was found.
func nextToken(line string, pos int) (tok token, next int, trailingComma bool, ok bool, comment string, hasComment bool) {
	n := len(line)
	i := pos
	for i < n && (isBlank(line[i]) || line[i] == ',') {
		i++
	}
	var b strings.Builder
	inQuote, wasQuote, sawQuote := false, false, false
	for i < n && (!isBlank(line[i]) || inQuote) {
		c := line[i]
		if c == '#' && !inQuote {
			comment = line[i+1:]
			hasComment = true
			i = n
			break
		}
		if c == ',' && !inQuote {
			trailingComma = true
			break
		}
		if c != '"' || wasQuote {
			b.WriteByte(c)
		}
		if inQuote && c == '"' {
			wasQuote = !wasQuote
		} else {
			wasQuote = false
		}
		if c == '"' {
			inQuote = !inQuote
			sawQuote = true
			if b.Len() == 0 {
				tok.quoted = true
			}
		}
		i++
	}
	// PostgreSQL "un-eats" the terminating character; skipping it here is
	// equivalent because the next call skips blanks and commas anyway.
	if trailingComma {
		i++
	}
	tok.s = b.String()
	return tok, i, trailingComma, sawQuote || b.Len() > 0, comment, hasComment
}

// tokenizeLine splits one logical line into fields (each a list of tokens)
// with next_field_expand() semantics, and returns the trailing comment.
func tokenizeLine(line string) (fields [][]token, comment string, hasComment bool) {
	pos := 0
	for pos < len(line) && !hasComment {
		var field []token
		for {
			tok, next, trailing, ok, c, hc := nextToken(line, pos)
			pos = next
			if hc {
				comment, hasComment = c, true
			}
			if !ok {
				break
			}
			field = append(field, tok)
			if !trailing || hasComment {
				break
			}
		}
		if len(field) > 0 {
			fields = append(fields, field)
		}
	}
	return fields, comment, hasComment
}

// safeBare reports whether s can be written without quotes and is read back
// as the same text by PostgreSQL, PgBouncer and Pgpool-II tokenizers.
func safeBare(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_' || c == '.' || c == '-' || c == '$':
		default:
			return false
		}
	}
	return true
}

// checkText rejects characters that cannot appear in any token.
func checkText(s string) error {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			return fmt.Errorf("contains a newline, which would end the line")
		case '\r':
			return fmt.Errorf("contains a carriage return, which PostgreSQL strips or treats as a blank")
		case 0:
			return fmt.Errorf("contains a NUL byte, which ends the line for PostgreSQL")
		}
	}
	return nil
}

// quote returns s double-quoted with PostgreSQL's "" escape.
func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteIfNeeded returns s bare when that is safe, else quoted.
func quoteIfNeeded(s string) string {
	if safeBare(s) {
		return s
	}
	return quote(s)
}

func renderName(n Name) (string, error) {
	if err := checkText(n.Value); err != nil {
		return "", err
	}
	switch n.Kind {
	case Literal:
		if n.Value == "" {
			return "", fmt.Errorf("empty name")
		}
		// Keywords of any column are quoted so they stay literal.
		if dbKeywords[n.Value] || addressKeywords[n.Value] || !safeBare(n.Value) {
			return quote(n.Value), nil
		}
		return n.Value, nil
	case Keyword:
		if !dbKeywords[n.Value] {
			return "", fmt.Errorf("%q is not a keyword (all, sameuser, samerole, samegroup, replication)", n.Value)
		}
		return n.Value, nil
	case Group:
		if n.Value == "" {
			return "", fmt.Errorf("empty role name after +")
		}
		return "+" + quoteIfNeeded(n.Value), nil
	case File:
		if n.Value == "" {
			return "", fmt.Errorf("empty file name after @")
		}
		return "@" + quoteIfNeeded(n.Value), nil
	case Regex:
		if n.Value == "" {
			return "", fmt.Errorf("empty regular expression after /")
		}
		return "/" + quoteIfNeeded(n.Value), nil
	}
	return "", fmt.Errorf("unknown name kind %d", int(n.Kind))
}

// parseSingleToken parses s as exactly one pg_hba token (the HCL form of a
// name). It rejects lists, comments and partially quoted tokens whose
// meaning would be unclear.
func parseSingleToken(s string) (token, error) {
	if err := checkText(s); err != nil {
		return token{}, err
	}
	if s == "" {
		return token{}, fmt.Errorf("empty name")
	}
	fields, _, hasComment := tokenizeLine(s)
	if hasComment {
		return token{}, fmt.Errorf("unquoted '#' starts a comment; quote the name, for example %s", quote(s))
	}
	if len(fields) != 1 || len(fields[0]) != 1 {
		return token{}, fmt.Errorf("is more than one name (unquoted blank or comma); use one list element per name or quote it, for example %s", quote(s))
	}
	tok := fields[0][0]
	// The token must be the whole string (no leading/trailing separators).
	var want string
	switch {
	case tok.quoted:
		want = quote(tok.s)
	default:
		want = ""
	}
	if tok.quoted && s != want {
		return token{}, fmt.Errorf("a quoted name must be quoted as a whole, like %s", want)
	}
	if !tok.quoted {
		// Allowed forms: bare text, or a prefix (+ @ /) followed by a quoted
		// remainder.
		prefixedQuote := len(s) > 1 && strings.ContainsRune("+@/", rune(s[0])) && s[1] == '"'
		if strings.ContainsAny(s, " \t,") && !prefixedQuote {
			return token{}, fmt.Errorf("contains a blank or comma; quote it, for example %s", quote(s))
		}
		if strings.Contains(s, `"`) {
			if wholeQuoted := len(s) > 2 && strings.ContainsRune("+@/", rune(s[0])) && s[1] == '"' && s[len(s)-1] == '"'; !wholeQuoted {
				return token{}, fmt.Errorf("contains a double quote in the middle; quote the whole name and double inner quotes, for example %s", quote(s))
			}
			if quote(tok.s[1:]) != s[1:] {
				return token{}, fmt.Errorf("the quoted part after %q is not one quoted string", s[:1])
			}
		} else if tok.s != s {
			return token{}, fmt.Errorf("is not a single name")
		}
	}
	return tok, nil
}

// ParseDatabase reads one element of the databases column in its token form
// (see the package documentation). The result is version independent: a
// quoted string is always literal, an unquoted leading '/' is a regular
// expression.
func ParseDatabase(s string) (Name, error) {
	tok, err := parseSingleToken(s)
	if err != nil {
		return Name{}, err
	}
	return databaseName(tok, MaxVersion, true), nil
}

// ParseUser reads one element of the users column (or an ident database
// user) in its token form.
func ParseUser(s string) (Name, error) {
	tok, err := parseSingleToken(s)
	if err != nil {
		return Name{}, err
	}
	return userName(tok, MaxVersion, true), nil
}

// ParseDatabases and ParseUsers convert a list, reporting problems with the
// given field name ("databases" -> "databases[2]").
func ParseDatabases(field string, in []string) ([]Name, []Problem) {
	return parseNames(field, in, ParseDatabase)
}

// ParseUsers: see ParseDatabases.
func ParseUsers(field string, in []string) ([]Name, []Problem) {
	return parseNames(field, in, ParseUser)
}

func parseNames(field string, in []string, f func(string) (Name, error)) ([]Name, []Problem) {
	var out []Name
	var probs []Problem
	for i, s := range in {
		n, err := f(s)
		if err != nil {
			probs = append(probs, Problem{Field: fmt.Sprintf("%s[%d]", field, i), Value: s, Message: err.Error()})
			continue
		}
		out = append(out, n)
	}
	return out, probs
}

// databaseName interprets a database token. hcl selects the version
// independent HCL reading (quoted is always literal); otherwise the token is
// read as PostgreSQL version v reads a file.
func databaseName(t token, v int, hcl bool) Name {
	if !t.quoted && len(t.s) > 1 && t.s[0] == '@' {
		return FileRef(t.s[1:])
	}
	if !t.quoted && dbKeywords[t.s] {
		return Kw(t.s)
	}
	if len(t.s) > 0 && t.s[0] == '/' && ((hcl && !t.quoted) || (!hcl && v >= 16)) {
		return RegexName(t.s[1:])
	}
	return Lit(t.s)
}

func userName(t token, v int, hcl bool) Name {
	if !t.quoted && len(t.s) > 1 && t.s[0] == '@' {
		return FileRef(t.s[1:])
	}
	if !t.quoted && t.s == "all" {
		return Kw(t.s)
	}
	if !t.quoted && len(t.s) > 0 && t.s[0] == '+' {
		return GroupOf(t.s[1:])
	}
	if len(t.s) > 0 && t.s[0] == '/' && ((hcl && !t.quoted) || (!hcl && v >= 16)) {
		return RegexName(t.s[1:])
	}
	return Lit(t.s)
}
