package hba

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// PostgreSQL 16+ evaluates /regex database and user names (and pg_ident.conf
// system users on every version) with its own regular expression engine
// (Henry Spencer's ARE, compiled with the C collation: character classes and
// case folding are ASCII only; matching is an unanchored search). The
// simulation translates an ARE into an equivalent Go (RE2) expression for
// the constructs both engines share and refuses the rest with an error that
// names the construct, so an expression is never evaluated with a guessed
// meaning. Refused: back-references (\1-\9), lookahead and lookbehind,
// \m and \M, collating elements and equivalence classes ([.x.] [=x=]),
// the ***= and ***: directors with other options than i, c, s and t, and
// octal escapes.

// areRegexp is a translated ARE.
type areRegexp struct {
	src    string // the ARE as written (without the leading '/')
	goSrc  string // its RE2 translation
	re     *regexp.Regexp
	groups *groupDissector // nil when the first capture group cannot be computed exactly
	grpErr error           // why not
}

// compileARE translates and compiles the ARE pattern.
func compileARE(pattern string) (*areRegexp, error) {
	goRE, err := translateARE(pattern)
	if err != nil {
		return nil, fmt.Errorf("regular expression %q: %w", pattern, err)
	}
	re, err := regexp.Compile(goRE)
	if err != nil {
		return nil, fmt.Errorf("regular expression %q: %w", pattern, err)
	}
	a := &areRegexp{src: pattern, goSrc: goRE, re: re}
	a.groups, a.grpErr = newGroupDissector(goRE)
	return a, nil
}

func (r *areRegexp) match(s string) bool { return r.re.MatchString(s) }

// firstGroup returns the text of the first capture group of the match as
// ARE picks it (see groupDissector); hasGroup is false when the expression
// has no capture group, ok false when it does not match. An error means the
// expression's first group cannot be computed exactly.
func (r *areRegexp) firstGroup(s string) (group string, hasGroup, ok bool, err error) {
	if !r.re.MatchString(s) {
		return "", false, false, nil
	}
	if r.re.NumSubexp() == 0 {
		return "", false, true, nil
	}
	if r.groups == nil {
		return "", false, true, fmt.Errorf("regular expression %q: %w", r.src, r.grpErr)
	}
	g, ok := r.groups.first(s)
	if !ok {
		return "", false, true, fmt.Errorf("regular expression %q: no dissection of %q found", r.src, s)
	}
	return g, true, true, nil
}

// translateARE returns the RE2 form of an ARE.
func translateARE(p string) (string, error) {
	icase := false
	if strings.HasPrefix(p, "***") {
		switch {
		case strings.HasPrefix(p, "***="):
			return "(?s)" + regexp.QuoteMeta(p[4:]), nil
		case strings.HasPrefix(p, "***:"):
			p = p[4:]
		default:
			return "", fmt.Errorf("the director %q is not supported", p[:min(len(p), 4)])
		}
	}
	// Embedded options at the very start: (?letters)
	if strings.HasPrefix(p, "(?") {
		end := strings.IndexByte(p, ')')
		flags := ""
		if end > 2 {
			flags = p[2:end]
		}
		if end > 2 && strings.Trim(flags, "bcegimnpqstwx") == "" && !strings.ContainsAny(flags[:1], ":=!<") {
			quoted := false
			for _, f := range flags {
				switch f {
				case 'i':
					icase = true
				case 'c':
					icase = false
				case 's', 't':
				case 'q':
					quoted = true
				default:
					return "", fmt.Errorf("the embedded option %q is not supported", string(f))
				}
			}
			p = p[end+1:]
			if quoted {
				if icase {
					return "(?s)" + asciiFoldLiteral(p), nil
				}
				return "(?s)" + regexp.QuoteMeta(p), nil
			}
		}
	}
	t := areTranslator{src: p, icase: icase}
	out, err := t.run()
	if err != nil {
		return "", err
	}
	return "(?s)" + out, nil
}

// asciiFoldLiteral quotes s with ASCII letters matched in either case.
func asciiFoldLiteral(s string) string {
	var b strings.Builder
	for _, r := range s {
		writeLiteral(&b, r, true)
	}
	return b.String()
}

func writeLiteral(b *strings.Builder, r rune, icase bool) {
	if icase && isASCIILetter(r) {
		b.WriteString("[" + string(toLowerASCII(r)) + string(toUpperASCII(r)) + "]")
		return
	}
	b.WriteString(regexp.QuoteMeta(string(r)))
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }
func toLowerASCII(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}
func toUpperASCII(r rune) rune {
	if r >= 'a' && r <= 'z' {
		return r - ('a' - 'A')
	}
	return r
}

type areTranslator struct {
	src   string
	pos   int
	icase bool
	b     strings.Builder
}

func (t *areTranslator) next() (rune, bool) {
	if t.pos >= len(t.src) {
		return 0, false
	}
	r, n := utf8.DecodeRuneInString(t.src[t.pos:])
	t.pos += n
	return r, true
}

func (t *areTranslator) peek() (rune, bool) {
	if t.pos >= len(t.src) {
		return 0, false
	}
	r, _ := utf8.DecodeRuneInString(t.src[t.pos:])
	return r, true
}

func (t *areTranslator) run() (string, error) {
	for {
		r, ok := t.next()
		if !ok {
			return t.b.String(), nil
		}
		switch r {
		case '\\':
			if err := t.escape(); err != nil {
				return "", err
			}
		case '[':
			if err := t.bracket(); err != nil {
				return "", err
			}
		case '(':
			if strings.HasPrefix(t.src[t.pos:], "?") {
				if strings.HasPrefix(t.src[t.pos:], "?:") {
					t.pos += 2
					t.b.WriteString("(?:")
					continue
				}
				return "", fmt.Errorf("%q (lookahead, lookbehind or embedded options inside the expression) is not supported", "(?"+string(t.src[t.pos+1:min(len(t.src), t.pos+2)]))
			}
			t.b.WriteByte('(')
		case '{':
			// A bound: {m}, {m,}, {m,n}.
			end := strings.IndexByte(t.src[t.pos:], '}')
			if end < 0 || !validBound(t.src[t.pos:t.pos+end]) {
				return "", fmt.Errorf("invalid repetition count at %q", t.src[t.pos-1:])
			}
			t.b.WriteString("{" + t.src[t.pos:t.pos+end] + "}")
			t.pos += end + 1
		case ')', '|', '*', '+', '?', '^', '$', '.':
			t.b.WriteRune(r)
		default:
			writeLiteral(&t.b, r, t.icase)
		}
	}
}

func validBound(s string) bool {
	lo, hi, comma := strings.Cut(s, ",")
	if _, err := strconv.Atoi(lo); err != nil {
		return false
	}
	if comma && hi != "" {
		if _, err := strconv.Atoi(hi); err != nil {
			return false
		}
	}
	return true
}

// escape translates the escape after a backslash (outside brackets).
func (t *areTranslator) escape() error {
	r, ok := t.next()
	if !ok {
		return fmt.Errorf("trailing backslash")
	}
	w := func(s string) { t.b.WriteString(s) }
	switch r {
	case 'd':
		w(`[0-9]`)
	case 'D':
		w(`[^0-9]`)
	case 's':
		w(`[\t\n\v\f\r ]`)
	case 'S':
		w(`[^\t\n\v\f\r ]`)
	case 'w':
		w(`[0-9A-Za-z_]`)
	case 'W':
		w(`[^0-9A-Za-z_]`)
	case 'A':
		w(`\A`)
	case 'Z':
		w(`\z`)
	case 'y':
		w(`\b`)
	case 'Y':
		w(`\B`)
	case 'm', 'M':
		return fmt.Errorf(`\%c (start or end of a word) is not supported`, r)
	default:
		c, err := t.charEscape(r)
		if err != nil {
			return err
		}
		writeLiteral(&t.b, c, t.icase)
	}
	return nil
}

// charEscape returns the character an ARE character-entry escape stands for.
func (t *areTranslator) charEscape(r rune) (rune, error) {
	switch r {
	case 'a':
		return '\a', nil
	case 'b':
		return '\b', nil
	case 'B':
		return '\\', nil
	case 'e':
		return 0x1b, nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'v':
		return '\v', nil
	case 'c':
		c, ok := t.next()
		if !ok {
			return 0, fmt.Errorf(`\c at the end of the expression`)
		}
		return c & 0x1f, nil
	case 'u', 'U', 'x':
		n := map[rune]int{'u': 4, 'U': 8, 'x': -1}[r]
		start := t.pos
		for t.pos < len(t.src) && (n < 0 || t.pos-start < n) && strings.IndexByte("0123456789abcdefABCDEF", t.src[t.pos]) >= 0 {
			t.pos++
		}
		if t.pos == start || (n > 0 && t.pos-start != n) {
			return 0, fmt.Errorf(`invalid \%c escape`, r)
		}
		v, err := strconv.ParseUint(t.src[start:t.pos], 16, 32)
		if err != nil || v > utf8.MaxRune || v == 0 {
			return 0, fmt.Errorf(`invalid \%c escape`, r)
		}
		return rune(v), nil
	}
	if r >= '0' && r <= '9' {
		return 0, fmt.Errorf(`\%c (back-reference or octal escape) is not supported`, r)
	}
	if isASCIILetter(r) {
		return 0, fmt.Errorf(`invalid escape \%c`, r)
	}
	return r, nil // escaped punctuation stands for itself
}

// bracketItem is one range of a bracket expression (lo == hi for a single
// character); class holds a translated class instead.
type bracketItem struct {
	lo, hi rune
	class  string
}

// bracket translates a bracket expression; the '[' is consumed.
func (t *areTranslator) bracket() error {
	neg := false
	if r, ok := t.peek(); ok && r == '^' {
		neg = true
		t.pos++
	}
	var items []bracketItem
	first := true
	for {
		r, ok := t.next()
		if !ok {
			return fmt.Errorf("brackets [] not balanced")
		}
		if r == ']' && !first {
			break
		}
		first = false
		var lo rune
		switch {
		case r == '[' && t.pos < len(t.src) && t.src[t.pos] == ':':
			end := strings.Index(t.src[t.pos:], ":]")
			if end < 0 {
				return fmt.Errorf("unterminated [: in brackets")
			}
			name := t.src[t.pos+1 : t.pos+end]
			t.pos += end + 2
			switch name {
			case "alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "xdigit":
			default:
				return fmt.Errorf("character class [:%s:] is not supported", name)
			}
			if t.icase && (name == "lower" || name == "upper") {
				return fmt.Errorf("[:%s:] in a case-insensitive expression is not supported", name)
			}
			items = append(items, bracketItem{class: "[:" + name + ":]"})
			continue
		case r == '[' && t.pos < len(t.src) && (t.src[t.pos] == '.' || t.src[t.pos] == '='):
			return fmt.Errorf("collating elements and equivalence classes ([. .] [= =]) are not supported")
		case r == '\\':
			e, ok := t.next()
			if !ok {
				return fmt.Errorf("trailing backslash")
			}
			switch e {
			case 'd':
				items = append(items, bracketItem{class: `0-9`})
				continue
			case 's':
				items = append(items, bracketItem{class: `\t\n\v\f\r `})
				continue
			case 'w':
				items = append(items, bracketItem{class: `0-9A-Za-z_`})
				continue
			case 'D', 'S', 'W':
				return fmt.Errorf(`\%c inside brackets is not supported`, e)
			}
			c, err := t.charEscape(e)
			if err != nil {
				return err
			}
			lo = c
		default:
			lo = r
		}
		hi := lo
		// A range lo-hi (a '-' before ']' is literal).
		if strings.HasPrefix(t.src[t.pos:], "-") && t.pos+1 < len(t.src) && t.src[t.pos+1] != ']' {
			t.pos++
			h, _ := t.next()
			switch h {
			case '\\':
				e, ok := t.next()
				if !ok {
					return fmt.Errorf("trailing backslash")
				}
				c, err := t.charEscape(e)
				if err != nil {
					return err
				}
				h = c
			case '[':
				return fmt.Errorf("a range ending in a bracket construct is not supported")
			}
			if h < lo {
				return fmt.Errorf("invalid character range %c-%c", lo, h)
			}
			hi = h
		}
		items = append(items, bracketItem{lo: lo, hi: hi})
	}
	var b strings.Builder
	b.WriteByte('[')
	if neg {
		b.WriteByte('^')
	}
	add := func(lo, hi rune) {
		b.WriteString(quoteBracketRune(lo))
		if hi != lo {
			b.WriteByte('-')
			b.WriteString(quoteBracketRune(hi))
		}
	}
	for _, it := range items {
		if it.class != "" {
			b.WriteString(it.class)
			continue
		}
		add(it.lo, it.hi)
		if t.icase {
			// ASCII-only case folding (C collation): add the other case of
			// the letters the range covers.
			for _, span := range [][2]rune{{'a', 'z'}, {'A', 'Z'}} {
				l, h := max(it.lo, span[0]), min(it.hi, span[1])
				if l <= h {
					if span[0] == 'a' {
						add(toUpperASCII(l), toUpperASCII(h))
					} else {
						add(toLowerASCII(l), toLowerASCII(h))
					}
				}
			}
		}
	}
	b.WriteByte(']')
	if len(items) == 0 {
		return fmt.Errorf("empty bracket expression")
	}
	t.b.WriteString(b.String())
	return nil
}

func quoteBracketRune(r rune) string {
	switch r {
	case '\\', ']', '[', '^', '-':
		return `\` + string(r)
	}
	if r < 0x20 || r == 0x7f {
		return fmt.Sprintf(`\x{%x}`, r)
	}
	return string(r)
}
