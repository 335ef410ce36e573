package hba

import (
	"fmt"
	"strings"
	"testing"
)

// benchRules builds n rules in the shapes large real files have: per-tenant
// lines (`hostssl dbN userN 10.x.y.0/24 scram-sha-256`, the issue's
// reproduction), per-network lines for everyone (`host all all 10.x.y.0/24`
// with various methods), group lines and a few catch-alls, so every index
// path of the lint is exercised.
func benchRules(n int) []Rule {
	rs := make([]Rule, 0, n)
	rs = append(rs,
		Rule{Type: Local, Databases: allN, Users: []Name{Lit("postgres")}, Method: Peer},
		Rule{Type: HostNoSSL, Databases: allN, Users: allN, Address: "0.0.0.0/0", Method: Reject},
	)
	for i := 0; len(rs) < n; i++ {
		net := fmt.Sprintf("10.%d.%d.0/24", (i/256)%256, i%256)
		switch i % 4 {
		case 0, 1:
			rs = append(rs, Rule{Type: HostSSL, Databases: []Name{Lit(fmt.Sprintf("db%d", i))}, Users: []Name{Lit(fmt.Sprintf("user%d", i))}, Address: net, Method: ScramSHA256})
		case 2:
			rs = append(rs, Rule{Type: Host, Databases: allN, Users: allN, Address: net, Method: []Method{MD5, ScramSHA256, Trust, Reject}[(i/4)%4]})
		case 3:
			rs = append(rs, Rule{Type: HostSSL, Databases: []Name{Lit(fmt.Sprintf("app%d", i%50)), Kw("replication")}, Users: []Name{GroupOf(fmt.Sprintf("team%d", i%20))}, Address: net, Method: Cert})
		}
	}
	return rs[:n]
}

func benchLint(b *testing.B, n int) {
	rules := benchRules(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Lint(rules, nil, LintOptions{Version: 16, IdentMapsUnknown: true})
	}
}

func BenchmarkLint100(b *testing.B)   { benchLint(b, 100) }
func BenchmarkLint1000(b *testing.B)  { benchLint(b, 1000) }
func BenchmarkLint10000(b *testing.B) { benchLint(b, 10000) }

// BenchmarkLintIssueShape10000 is the issue's 50,000-line file shape
// (hostssl dbN userN 10.x.y.0/24 scram-sha-256) at 10,000 lines.
func BenchmarkLintIssueShape10000(b *testing.B) {
	rules := make([]Rule, 10000)
	for i := range rules {
		rules[i] = Rule{Type: HostSSL, Databases: []Name{Lit(fmt.Sprintf("db%d", i))}, Users: []Name{Lit(fmt.Sprintf("user%d", i))},
			Address: fmt.Sprintf("10.%d.%d.0/24", i/256, i%256), Method: ScramSHA256}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Lint(rules, nil, LintOptions{Version: 16, IdentMapsUnknown: true})
	}
}

// benchRenderLint is what pgtls_hba_file does with n rules at plan time:
// validate each rule, render the exact and the redacted file, lint.
func benchRenderLint(b *testing.B, n int) {
	rules := benchRules(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, r := range rules {
			if ps := r.Validate(TargetPostgreSQL, 16); len(ps) > 0 {
				b.Fatal(ps)
			}
		}
		if _, err := RenderFile(rules, "h"); err != nil {
			b.Fatal(err)
		}
		if _, err := RenderFileRedacted(rules, "h"); err != nil {
			b.Fatal(err)
		}
		Lint(rules, nil, LintOptions{Version: 16, IdentMapsUnknown: true})
	}
}

func BenchmarkRenderLint100(b *testing.B)   { benchRenderLint(b, 100) }
func BenchmarkRenderLint1000(b *testing.B)  { benchRenderLint(b, 1000) }
func BenchmarkRenderLint10000(b *testing.B) { benchRenderLint(b, 10000) }

// BenchmarkParse10000 parses a 10,000-line file (and lints it, as
// pgtls_hba_parse does).
func BenchmarkParse10000(b *testing.B) {
	content, err := RenderFile(benchRules(10000), "a header")
	if err != nil {
		b.Fatal(err)
	}
	if n := strings.Count(content, "\n"); n < 10000 {
		b.Fatalf("%d lines", n)
	}
	b.SetBytes(int64(len(content)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pf, err := Parse(content, 16)
		if err != nil || len(pf.Rules) != 10000 {
			b.Fatal(err, len(pf.Rules))
		}
		pf.Lint(nil, LintOptions{Version: 16, IdentMapsUnknown: true})
	}
}

// handWritten turns a rendered file into what people write by hand:
// comments between and after rules, tabs and runs of spaces between
// fields, blank lines, and long lines continued with a backslash.
func handWritten(content string) string {
	var b strings.Builder
	for i, line := range strings.Split(content, "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			b.WriteString(line)
		case i%7 == 0:
			b.WriteString("# rule " + fmt.Sprint(i) + ": reviewed by the DBA team\n")
			b.WriteString(strings.ReplaceAll(line, " ", "\t"))
		case i%5 == 0:
			b.WriteString(strings.Replace(strings.ReplaceAll(line, " ", "    "), "    ", " \\\n    ", 1))
		default:
			b.WriteString(line + "   # ticket " + fmt.Sprint(1000+i))
		}
		b.WriteString("\n")
		if i%50 == 0 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// BenchmarkParseHandWritten10000: parse and lint a 10,000-rule
// pg_hba.conf written by hand (pgtls_hba_parse adopting a real file).
func BenchmarkParseHandWritten10000(b *testing.B) {
	rendered, err := RenderFile(benchRules(10000), "a header")
	if err != nil {
		b.Fatal(err)
	}
	content := handWritten(rendered)
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pf, err := Parse(content, 16)
		if err != nil || len(pf.Rules) != 10000 {
			b.Fatal(err, len(pf.Rules))
		}
		pf.Lint(nil, LintOptions{Version: 16, IdentMapsUnknown: true})
	}
}
