package hba

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"
)

// pairwise is the simple quadratic finder the index must agree with: every
// earlier rule for coverage, every later rule for non_tls_path.
type pairwise struct{ rules []lintRule }

func newPairwise(rules []lintRule) overlapFinder { return &pairwise{rules: rules} }

func (p *pairwise) coveredBy(j, kinds int) (int, bool) {
	for i := 0; i < j; i++ {
		if p.rules[i].covers(&p.rules[j], kinds) {
			return i, true
		}
	}
	return -1, true
}

func (p *pairwise) nonTLS(query []bool) ([]int, bool, int) {
	out := make([]int, len(p.rules))
	for j := range out {
		out[j] = -1
		if !query[j] {
			continue
		}
		for k := j + 1; k < len(p.rules); k++ {
			if p.rules[k].protects(&p.rules[j]) {
				out[j] = k
				break
			}
		}
	}
	return out, true, -1
}

// randomRuleSet draws rules from small vocabularies so that they overlap,
// cover and shadow each other in every way the lint distinguishes.
func randomRuleSet(rng *rand.Rand, n int) ([]Rule, []IdentMap) {
	dbs := []Name{Kw("all"), Kw("sameuser"), Kw("samerole"), Kw("samegroup"), Kw("replication"), Lit("a"), Lit("b"), Lit("all"), Lit("replication"), FileRef("f"), RegexName("^a")}
	users := []Name{Kw("all"), GroupOf("g"), GroupOf("h"), Lit("a"), Lit("b"), Lit("all"), FileRef("u"), RegexName("^a")}
	addrs := []struct{ a, m string }{
		{"", ""}, {"all", ""}, {"samehost", ""}, {"samenet", ""}, {"0.0.0.0/0", ""}, {"10.0.0.0/8", ""}, {"10.1.0.0/16", ""},
		{"10.1.2.0/24", ""}, {"10.1.2.3/32", ""}, {"10.2.0.0/16", ""}, {"127.0.0.1/32", ""}, {"10.0.0.0", "255.0.0.0"},
		{"10.1.0.0", "255.255.0.0"}, {"::/0", ""}, {"2001:db8::/32", ""}, {"2001:db8:1::/48", ""}, {"::1/128", ""},
		{"::ffff:10.0.0.0/104", ""}, {"db.example.com", ""}, {".example.com", ""}, {".com", ""}, {"x.db.example.com", ""},
		{"DB.Example.com", ""}, {"localhost", ""}, {"10.0.0.0/33", ""}, {"bad addr", ""}, {"10.0.0.1", ""},
		{"${network}", ""}, {`"all"`, ""}, {"@f", ""}, {"10.1/16", ""}, {"10.0.0.1", "255.0.255.0"}, {"fe80::1%lo/64", ""},
		{"012.1.0.0/16", ""},
	}
	pick := func(vocab []Name) []Name {
		k := 1 + rng.Intn(3)
		out := make([]Name, k)
		for i := range out {
			out[i] = vocab[rng.Intn(len(vocab))]
		}
		if rng.Intn(20) == 0 {
			return nil // an empty list (invalid, but lint must cope)
		}
		return out
	}
	rules := make([]Rule, n)
	for i := range rules {
		a := addrs[rng.Intn(len(addrs))]
		t := ConnTypes[rng.Intn(len(ConnTypes))]
		if t == Local && rng.Intn(3) > 0 {
			a.a, a.m = "", ""
		}
		r := Rule{Type: t, Databases: pick(dbs), Users: pick(users), Address: a.a, Netmask: a.m, Method: Methods[rng.Intn(len(Methods))]}
		if rng.Intn(4) == 0 {
			r.Map = []string{"m1", "m2", "nomap"}[rng.Intn(3)]
		}
		if r.Method == Cert && rng.Intn(2) == 0 {
			r.ClientCert = "verify-full"
		}
		rules[i] = r
	}
	idents := []IdentMap{{Name: "m1"}, {Name: "unused"}}
	return rules, idents
}

// TestLintIndexMatchesPairwise: on random rule sets the indexed lint gives
// exactly the findings of the pairwise scan.
func TestLintIndexMatchesPairwise(t *testing.T) {
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	seed := rng.Int63()
	rng = rand.New(rand.NewSource(seed))
	n := 0
	for iter := 0; iter < 3000; iter++ {
		rules, idents := randomRuleSet(rng, 1+rng.Intn(40))
		opts := LintOptions{Version: 13 + rng.Intn(6), IdentMapsUnknown: rng.Intn(3) == 0}
		got := Lint(rules, idents, opts)
		want := lintWith(rules, idents, opts, newPairwise)
		n += len(want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d iteration %d: indexed lint differs\nrules:\n%s\n got %v\nwant %v", seed, iter, dumpLintRules(rules), got, want)
		}
	}
	if n < 10000 {
		t.Fatalf("only %d findings compared: the random sets do not exercise the lint", n)
	}
}

func dumpLintRules(rs []Rule) string {
	s := ""
	for i, r := range rs {
		l, err := r.Render()
		if err != nil {
			l = fmt.Sprintf("%#v", r)
		}
		s += fmt.Sprintf("%d: %s\n", i, l)
	}
	return s
}

// TestLintWorkBounded: a file built to defeat the index (every rule shares
// every bucket but none covers another) stops at the budget with a
// lint_incomplete finding instead of running for minutes.
func TestLintWorkBounded(t *testing.T) {
	n := 20000
	rules := make([]Rule, n)
	for i := range rules {
		// hostssl rules with two databases each, one shared (a or b) and one
		// unique: each shares the a/b bucket with half the file and none
		// covers another. Queries with [a, b] defeat any one element.
		rules[i] = Rule{Type: HostSSL, Databases: []Name{Lit([]string{"a", "b"}[i%2]), Lit(fmt.Sprintf("u%d", i))}, Users: allN, Address: "all", Method: Cert}
		if i%2 == 0 && i > 0 {
			rules[i].Databases = []Name{Lit("a"), Lit("b")}
			rules[i].Users = []Name{Lit(fmt.Sprintf("x%d", i))}
			rules[i].Address = "10.0.0.0/8"
		}
	}
	t0 := time.Now()
	fs := Lint(rules, nil, LintOptions{IdentMapsUnknown: true})
	el := time.Since(t0)
	if el > 5*time.Second {
		t.Errorf("adversarial lint took %v", el)
	}
	if c := codes(fs)[CodeLintIncomplete]; len(c) != 1 || c[0].RuleIndex <= 0 {
		t.Errorf("lint_incomplete: %+v", c)
	} else {
		t.Logf("%s", c[0].Message)
	}
	t.Logf("adversarial %d rules: %v, %d findings", n, el, len(fs))
}
