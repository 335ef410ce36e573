package reload

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
	"github.com/pgtls/terraform-provider-pgtls/internal/localfiles"
)

// setting is one "key = value" line of a configuration file.
type setting struct {
	key, value string
	line       int
}

// parseBouncerIni reads the [pgbouncer] section of a pgbouncer.ini the way
// PgBouncer's ini parser does for what matters here: sections in brackets,
// ";" and "#" comments, "key = value", keys case-insensitive. %include is
// reported so the caller knows the file is not the whole story.
func parseBouncerIni(content string) (settings []setting, includes bool) {
	section := ""
	for i, raw := range strings.Split(content, "\n") {
		l := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		switch {
		case l == "" || l[0] == ';' || l[0] == '#':
			continue
		case strings.HasPrefix(l, "%include"):
			includes = true
			continue
		case l[0] == '[':
			section = strings.ToLower(strings.TrimSpace(strings.Trim(l, "[]")))
			continue
		}
		if section != "pgbouncer" {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		settings = append(settings, setting{key: strings.ToLower(strings.TrimSpace(k)), value: strings.TrimSpace(v), line: i + 1})
	}
	return settings, includes
}

// parseGUCFile reads a postgresql.conf-style file (pgpool.conf): "name =
// value" or "name value", "#" comments, values in single quotes with ”
// for a quote. Later lines win, as in the programs.
func parseGUCFile(content string) []setting {
	var out []setting
	for i, raw := range strings.Split(content, "\n") {
		l := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if l == "" || l[0] == '#' {
			continue
		}
		end := strings.IndexAny(l, " \t=")
		if end <= 0 {
			continue
		}
		key := strings.ToLower(l[:end])
		rest := strings.TrimLeft(l[end:], " \t")
		rest = strings.TrimLeft(strings.TrimPrefix(rest, "="), " \t")
		var val string
		if strings.HasPrefix(rest, "'") {
			var b strings.Builder
			j := 1
			for j < len(rest) {
				if rest[j] == '\'' {
					if j+1 < len(rest) && rest[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(rest[j])
				j++
			}
			val = b.String()
		} else {
			if k := strings.IndexByte(rest, '#'); k >= 0 {
				rest = rest[:k]
			}
			val = strings.TrimSpace(rest)
		}
		out = append(out, setting{key: key, value: val, line: i + 1})
	}
	return out
}

// lastValues maps each key to its last setting.
func lastValues(ss []setting) map[string]setting {
	m := make(map[string]setting, len(ss))
	for _, s := range ss {
		m[s.key] = s
	}
	return m
}

// normValue puts a setting value in a form in which the file's spelling
// and the program's display compare: booleans as 1/0, numbers (decimal,
// octal with a leading 0, fractional) as numbers, lists without blanks,
// case folded.
func normValue(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '\'' && v[len(v)-1] == '\'' || v[0] == '"' && v[len(v)-1] == '"') {
		v = v[1 : len(v)-1]
	}
	l := strings.ToLower(v)
	switch l {
	case "on", "true", "yes", "1":
		return "1"
	case "off", "false", "no", "0":
		return "0"
	}
	if n, err := strconv.ParseInt(l, 0, 64); err == nil {
		return strconv.FormatInt(n, 10)
	}
	if f, err := strconv.ParseFloat(l, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	parts := strings.Split(l, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return strings.Join(parts, ",")
}

// poolerHBAFindings checks an hba file for PgBouncer or Pgpool-II with
// pgtls's model of their parsers, before the program reads it: both drop
// or refuse lines silently on reload (PgBouncer even fails open).
func poolerHBAFindings(path string, f localfiles.File, target hba.Target) []Finding {
	pf, err := hba.Parse(string(f.Content), hba.MaxVersion)
	if err != nil {
		return []Finding{{File: path, Message: err.Error()}}
	}
	ruleLines := map[int]bool{}
	var out []Finding
	for _, r := range pf.Rules {
		ruleLines[r.Line] = true
		for _, p := range r.Rule.Validate(target, hba.MaxVersion) {
			out = append(out, Finding{File: path, Line: r.Line, Message: redactFor(f.Kind, p.String())})
		}
	}
	for _, p := range pf.Problems {
		if !ruleLines[p.Line] { // a line that is not a rule at all
			out = append(out, Finding{File: path, Line: p.Line, Message: redactFor(f.Kind, p.Message)})
		}
	}
	for _, d := range pf.Directives {
		out = append(out, Finding{File: path, Line: d.Line, Message: fmt.Sprintf("%s is not supported by %s", d.Kind, target)})
	}
	return out
}
