package hba

import (
	"fmt"
	"strings"
)

var knownTypes = map[ConnType]bool{Local: true, Host: true, HostSSL: true, HostNoSSL: true, HostGSSEnc: true, HostNoGSSEnc: true}

var knownMethods = func() map[Method]bool {
	m := map[Method]bool{}
	for _, x := range Methods {
		m[x] = true
	}
	return m
}()

// safeAddress: characters of IP addresses, CIDR, host names and keywords.
func safeAddress(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.' || c == ':' || c == '/' || c == '-' || c == '_':
		default:
			return false
		}
	}
	return true
}

func safeOptionName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// safeOptionValue: characters that need no quoting after "name=".
func safeOptionValue(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("_.-:/=+@", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func renderOption(name, value string) (string, error) {
	if !safeOptionName(name) {
		return "", fmt.Errorf("option name %q is not a plain word", name)
	}
	if err := checkText(value); err != nil {
		return "", fmt.Errorf("option %s value %s", name, err)
	}
	if safeOptionValue(value) {
		return name + "=" + value, nil
	}
	return name + "=" + quote(value), nil
}

func checkComment(c string) error {
	if err := checkText(c); err != nil {
		return err
	}
	if strings.HasSuffix(c, `\`) {
		return fmt.Errorf("ends with a backslash, which PostgreSQL 14+ reads as a line continuation (the next line would become part of the comment)")
	}
	return nil
}

// allOptions returns the typed options followed by Options, in render order.
func (r Rule) allOptions() []Option {
	var out []Option
	if r.ClientCert != "" {
		out = append(out, Option{Name: "clientcert", Value: r.ClientCert})
	}
	if r.ClientName != "" {
		out = append(out, Option{Name: "clientname", Value: r.ClientName})
	}
	if r.Map != "" {
		out = append(out, Option{Name: "map", Value: r.Map})
	}
	return append(out, r.Options...)
}

func renderNames(field string, names []Name) (string, error) {
	if len(names) == 0 {
		return "", fmt.Errorf("%s: at least one name is required", field)
	}
	parts := make([]string, len(names))
	for i, n := range names {
		s, err := renderName(n)
		if err != nil {
			return "", fmt.Errorf("%s[%d] %q: %v", field, i, n.Value, err)
		}
		parts[i] = s
	}
	return strings.Join(parts, ","), nil
}

// String returns the rendered line with secrets redacted, or a description
// of why it cannot be rendered.
func (r Rule) String() string {
	l, err := r.Redacted().Render()
	if err != nil {
		return "<unrenderable rule: " + err.Error() + ">"
	}
	return l
}

// Render returns the rule as one pg_hba.conf line (no trailing newline).
// Every user string is quoted exactly as PostgreSQL's tokenizer reads it;
// what cannot be written safely (newline, CR, NUL, an address that is not a
// plain address token, a comment ending in a backslash, ...) is an error.
// Render checks syntax only: call Validate for the semantic rules.
func (r Rule) Render() (string, error) {
	if !knownTypes[r.Type] {
		return "", fmt.Errorf("type %q: invalid connection type (local, host, hostssl, hostnossl, hostgssenc, hostnogssenc)", r.Type)
	}
	if !knownMethods[r.Method] {
		return "", fmt.Errorf("method %q: invalid authentication method", r.Method)
	}
	dbs, err := renderNames("databases", r.Databases)
	if err != nil {
		return "", err
	}
	users, err := renderNames("users", r.Users)
	if err != nil {
		return "", err
	}
	addr := ""
	if r.Type == Local {
		if r.Address != "" || r.Netmask != "" {
			return "", fmt.Errorf("address %q: local rows take no address or netmask", r.Address)
		}
	} else {
		if !safeAddress(r.Address) {
			return "", fmt.Errorf("address %q: must be an IP address, CIDR, host name, .suffix, all, samehost or samenet", r.Address)
		}
		addr = r.Address
		if r.Netmask != "" {
			if !safeAddress(r.Netmask) || strings.Contains(r.Netmask, "/") {
				return "", fmt.Errorf("netmask %q: must be an IP address", r.Netmask)
			}
			addr += " " + r.Netmask
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s %-15s %-15s %-23s %s", r.Type, dbs, users, addr, r.Method)
	for _, o := range r.allOptions() {
		s, err := renderOption(o.Name, o.Value)
		if err != nil {
			return "", fmt.Errorf("%s: %v", o.field(), redactErr(o, err))
		}
		b.WriteString(" ")
		b.WriteString(s)
	}
	if r.Comment != "" {
		if err := checkComment(r.Comment); err != nil {
			return "", fmt.Errorf("comment: %v", err)
		}
		b.WriteString("  # ")
		b.WriteString(r.Comment)
	}
	return b.String(), nil
}

func redactErr(o Option, err error) error {
	if o.IsSecret() {
		return fmt.Errorf("the value contains a character that cannot be written (newline, carriage return or NUL)")
	}
	return err
}

func renderHeader(header string) (string, error) {
	if header == "" {
		return "", nil
	}
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimSuffix(header, "\n"), "\n") {
		if strings.ContainsAny(l, "\r\x00") {
			return "", fmt.Errorf("header line %d contains a carriage return or NUL", i+1)
		}
		if strings.HasSuffix(l, `\`) {
			return "", fmt.Errorf("header line %d ends with a backslash, which PostgreSQL 14+ reads as a continuation into the next line", i+1)
		}
		if l == "" {
			b.WriteString("#\n")
		} else {
			b.WriteString("# " + l + "\n")
		}
	}
	return b.String(), nil
}

// ValidateHeader checks a file header (comment lines placed at the top):
// problems are on the field "header".
func ValidateHeader(header string) []Problem {
	if _, err := renderHeader(header); err != nil {
		return []Problem{{Field: "header", Message: err.Error()}}
	}
	return nil
}

// RenderFile renders rules in the given order (never re-sorted: the first
// matching line wins) after header, whose lines become "# " comments. It
// returns an error instead of a partial file when any rule cannot be
// rendered, because a silently missing line changes who may log in.
func RenderFile(rules []Rule, header string) (string, error) {
	h, err := renderHeader(header)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(h)
	for i, r := range rules {
		l, err := r.Render()
		if err != nil {
			return "", fmt.Errorf("rules[%d]: %v", i, err)
		}
		b.WriteString(l)
		b.WriteString("\n")
	}
	return b.String(), nil
}

// RenderRedacted returns the review copy of the line: Render of Redacted,
// identical to Render when the rule has no secret option.
func (r Rule) RenderRedacted() (string, error) { return r.Redacted().Render() }

// RenderFileRedacted is the review copy of RenderFile: every secret option
// value masked (Masked), byte-identical to RenderFile when no rule has a
// secret. It is what plans may show; RenderFile is what PostgreSQL needs.
func RenderFileRedacted(rules []Rule, header string) (string, error) {
	red := make([]Rule, len(rules))
	for i, r := range rules {
		red[i] = r.Redacted()
	}
	return RenderFile(red, header)
}

// Render returns the mapping as one pg_ident.conf line.
func (m IdentMapping) Render(mapName string) (string, error) {
	if err := checkText(mapName); err != nil {
		return "", fmt.Errorf("name %q: %v", mapName, err)
	}
	if mapName == "" {
		return "", fmt.Errorf("name: the map name is empty")
	}
	sys, err := parseSystemUser(m.SystemUser)
	if err != nil {
		return "", fmt.Errorf("system_user %q: %v", m.SystemUser, err)
	}
	dbu, err := ParseUser(m.DatabaseUser)
	if err != nil {
		return "", fmt.Errorf("database_user %q: %v", m.DatabaseUser, err)
	}
	sysTok, err := renderSystemUser(sys)
	if err != nil {
		return "", fmt.Errorf("system_user %q: %v", m.SystemUser, err)
	}
	dbTok, err := renderName(dbu)
	if err != nil {
		return "", fmt.Errorf("database_user %q: %v", m.DatabaseUser, err)
	}
	line := fmt.Sprintf("%-15s %-23s %s", quoteIfNeeded(mapName), sysTok, dbTok)
	if m.Comment != "" {
		if err := checkComment(m.Comment); err != nil {
			return "", fmt.Errorf("comment: %v", err)
		}
		line += "  # " + m.Comment
	}
	return line, nil
}

// RenderIdentFile renders the maps (in order, mappings in order) as a
// pg_ident.conf file.
func RenderIdentFile(maps []IdentMap, header string) (string, error) {
	h, err := renderHeader(header)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(h)
	for i, m := range maps {
		for j, mp := range m.Mappings {
			l, err := mp.Render(m.Name)
			if err != nil {
				return "", fmt.Errorf("maps[%d].mappings[%d]: %v", i, j, err)
			}
			b.WriteString(l)
			b.WriteString("\n")
		}
	}
	return b.String(), nil
}

// systemUser is a parsed ident system user.
type systemUser struct {
	regex bool
	value string // without the leading '/' for a regex
}

func parseSystemUser(s string) (systemUser, error) {
	tok, err := parseSingleToken(s)
	if err != nil {
		return systemUser{}, err
	}
	if tok.s == "" {
		return systemUser{}, fmt.Errorf("empty system user")
	}
	if tok.s[0] == '/' {
		if len(tok.s) == 1 {
			return systemUser{}, fmt.Errorf("empty regular expression after /")
		}
		return systemUser{regex: true, value: tok.s[1:]}, nil
	}
	return systemUser{value: tok.s}, nil
}

func renderSystemUser(u systemUser) (string, error) {
	if err := checkText(u.value); err != nil {
		return "", err
	}
	if u.regex {
		return "/" + quoteIfNeeded(u.value), nil
	}
	if u.value == "" {
		return "", fmt.Errorf("empty system user")
	}
	return quoteIfNeeded(u.value), nil
}
