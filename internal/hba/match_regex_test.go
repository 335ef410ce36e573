package hba

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// areCorpus are expressions as they appear in pg_hba.conf and pg_ident.conf,
// each with subjects to search.
var areCorpus = []struct {
	re       string
	subjects []string
}{
	{`^a`, []string{"a", "app", "ba", "A", ""}},
	{`p$`, []string{"app", "apple", "p", "P"}},
	{`^(app|shop)$`, []string{"app", "shop", "apps", "xshop", "APP"}},
	{`(?i)^APP$`, []string{"app", "APP", "aPp", "apps", "ǅ"}},
	{`(?i)^k`, []string{"k", "K", "\u212a"}}, // the Kelvin sign folds to k in Unicode, not in C
	{`^\w{3}$`, []string{"app", "bob", "a_1", "ab", "abcd", "äbc", "a-b"}},
	{`^\w{4}$`, []string{"dave", "erin", "bob"}},
	{`\d+`, []string{"a1", "abc", "١"}},
	{`\s`, []string{"a b", "a\tb", "a\vb", "ab"}},
	{`^[a-c]+$`, []string{"abc", "abd", "ABC"}},
	{`(?i)^[a-c]+$`, []string{"abc", "ABC", "aBd"}},
	{`^[^a-c]+$`, []string{"xyz", "xaz"}},
	{`^[[:alpha:]]+$`, []string{"abc", "ab1", "äb"}},
	{`^[[:digit:][:upper:]]+$`, []string{"A1", "a1"}},
	{`^[]a]+$`, []string{"]a", "b"}},
	{`^[a\-z]$`, []string{"-", "b", "a"}},
	{`a.c`, []string{"abc", "a\nc", "ac"}},
	{`^a{2,3}$`, []string{"a", "aa", "aaa", "aaaa"}},
	{`^(.*)@EXAMPLE\.COM$`, []string{"bob@EXAMPLE.COM", "bob@example.com", "a@b@EXAMPLE.COM"}},
	{`^([^@]+)@OTHER\.ORG$`, []string{"x@OTHER.ORG", "x@y@OTHER.ORG"}},
	{`^(?:svc)-(\w+)$`, []string{"svc-api", "svc-", "svc-a-b"}},
	{`^CN=([a-z]+),OU=dev,`, []string{"CN=alice,OU=dev,O=x", "CN=Alice,OU=dev,O=x"}},
	{`\yapp\y`, []string{"my app", "apps", "app"}},
	{`a\.b`, []string{"a.b", "axb"}},
	{`^x*?y`, []string{"xxy", "y"}},
	{`***=a.b`, []string{"a.b", "axb"}},
	{`***:^ab`, []string{"ab", "b"}},
	{`^\u00e4`, []string{"ä", "a"}},
	{`\x41`, []string{"A", "a"}},
	{`^(a|ab)(c|bcd)(d*)$`, []string{"abcd"}},
	{`^(r)(oo)t$`, []string{"root"}},
	{`^(.*)t$`, []string{"root", "rot"}},
	{`(a+)(b*)`, []string{"xaab", "b"}},
	{`^(.*?)@(.*)$`, []string{"a@b@c", "@x"}},
	{`^(.*)@(.*)$`, []string{"a@b@c"}},
	{`(.*)@`, []string{"a@b@c"}},
	{`@(.+?)`, []string{"a@bcd"}},
	{`^([a-z]+)_([0-9]+)?$`, []string{"ab_12", "ab_"}},
	{`^(x|xy)(y*)$`, []string{"xyy"}},
	{`^app-(.*)$`, []string{"app-api", "app-"}},
}

// TestARETranslationAgainstPostgres compares the translated expressions
// with PostgreSQL's own ARE engine (SQL ~ and substring(... from ...), C
// collation, the engine and collation hba.c uses): match or not, and the
// first capture group pg_ident.conf substitutes for \1.
func TestARETranslationAgainstPostgres(t *testing.T) {
	testserver.RequirePostgres(t)
	p := testserver.StartPostgres(t, testserver.PostgresConfig{})
	ctx := context.Background()
	c, err := pgconn.Connect(ctx, fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable", p.SocketDir, p.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	n := 0
	for _, tc := range areCorpus {
		re, err := compileARE(tc.re)
		if err != nil {
			t.Errorf("%q: %v", tc.re, err)
			continue
		}
		for _, s := range tc.subjects {
			res := c.ExecParams(ctx, `SELECT ($1::text COLLATE "C") ~ $2, substring(($1::text COLLATE "C") from $2) IS NOT NULL AND $2 ~ '\(', coalesce(substring(($1::text COLLATE "C") from $2), '')`,
				[][]byte{[]byte(s), []byte(tc.re)}, nil, nil, nil).Read()
			if res.Err != nil {
				t.Fatalf("%q ~ %q: %v", s, tc.re, res.Err)
			}
			pgMatch := string(res.Rows[0][0]) == "t"
			if got := re.match(s); got != pgMatch {
				t.Errorf("%q ~ %q: PostgreSQL %v, simulation %v (translated %q)", s, tc.re, pgMatch, got, re.re.String())
			}
			if pgMatch && string(res.Rows[0][1]) == "t" && !strings.HasPrefix(tc.re, "***") {
				group, has, _, err := re.firstGroup(s)
				if err != nil {
					t.Errorf("%q ~ %q: first group: %v", s, tc.re, err)
				} else if pg := string(res.Rows[0][2]); has && group != pg {
					t.Errorf("%q ~ %q: first group: PostgreSQL %q, simulation %q", s, tc.re, pg, group)
				}
			}
			n++
		}
	}
	t.Logf("%d (expression, subject) pairs agree with PostgreSQL", n)
}

func TestARERefusesWhatItCannotTranslate(t *testing.T) {
	for _, re := range []string{`(a)\1`, `a(?=b)`, `a(?!b)`, `(?<=a)b`, `\mabc`, `[[.a.]]`, `[[=a=]]`, `(?x) a`, `***x`, `\q`, `a{x}`, `[abc`} {
		if _, err := compileARE(re); err == nil {
			t.Errorf("%q: translated, want an error", re)
		}
	}
}
