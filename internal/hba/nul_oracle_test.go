package hba

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// outcomeSeq is what a reader makes of a file: per logical line that is not
// empty, "ok <type> <address> <method>" or "error", in file order.
func ourOutcomes(content string, v int) ([]string, ParsedFile) {
	pf, err := Parse(content, v)
	if err != nil {
		panic(err)
	}
	byLine := map[int]string{}
	for _, pr := range pf.Rules {
		a, _ := expectAddress(pr.Rule)
		byLine[pr.Line] = fmt.Sprintf("ok %s %s %s", pr.Rule.Type, strp(a), effectiveMethod(pr.Rule))
	}
	for _, p := range pf.Problems {
		byLine[p.Line] = "error"
	}
	lines := make([]int, 0, len(byLine))
	for l := range byLine {
		lines = append(lines, l)
	}
	sort.Ints(lines)
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = byLine[l]
	}
	return out, pf
}

func effectiveMethod(r Rule) Method {
	if r.Type == Local && r.Method == Ident {
		return Peer
	}
	return r.Method
}

func serverOutcomes(t *testing.T, p *testserver.Postgres) []string {
	rows := p.QueryNullable(t, `SELECT type, address, auth_method, error FROM pg_hba_file_rules ORDER BY line_number`)
	out := make([]string, len(rows))
	for i, r := range rows {
		if r[3] != nil || r[2] == nil {
			out[i] = "error"
			continue
		}
		out[i] = fmt.Sprintf("ok %s %s %s", strp(r[0]), strp(r[1]), strp(r[2]))
	}
	return out
}

// nulFiles are hand-made files with NUL bytes in the places that matter,
// plus random ones (NULs dropped into a base file, lines longer than
// PostgreSQL's 1024-byte first buffer and its 13 line buffer).
func nulFiles(rng *rand.Rand) []string {
	files := []string{
		"host all all 10.0.0.0/8 md5\x00 garbage\nhost all all 10.1.0.0/16 trust\n",
		"host all all 10.2.0.0/16 md5 \\\x00 x\nhost all all 10.3.0.0/16 trust\n",
		"host all all 10.5.0.0/16 md5 \x00\nhost all all 10.6.0.0/16 md5\nhost all all 10.7.0.0/16 trust\n",
		"host all all 10.8.0.0/16 md5 #\x00\n all all 10.9.0.0/16 trust\nhost all all 10.10.0.0/16 trust\n",
		"host all all 10.11.0.0/16 md5\n\x00host all all 10.12.0.0/16 md5\n",
		"host all all 10.13.0.0/16 md5\n\x00\n\x00\nhost all all 10.14.0.0/16 trust",
		"host all all 10.15.0.0/16 md5 # " + strings.Repeat("c", 1500) + "\x00" + strings.Repeat("d", 1500) + " host\nhost all all 10.16.0.0/16 trust\n",
		"host all all 10.17.0.0/16 md5 # \x00" + strings.Repeat("e", 3000) + " hostssl all all 10.18.0.0/16 trust\nhost all all 10.19.0.0/16 trust\n",
		"host all all 10.20.0.0/16 trust \\\nmd5\x00x\nhost all all 10.21.0.0/16 trust\n",
		"\x00",
		// The text after a NUL that lies beyond PostgreSQL's first 1024-byte
		// buffer is read again by the next fgets() (14+).
		"host all all 10.40.0.0/16 md5\x00" + strings.Repeat(" ", 1100) + "ldapserver=x\nhost all all 10.41.0.0/16 trust\n",
		"host all all 10.42.0.0/16 md5\x00" + strings.Repeat(" ", 3000) + "\x00" + strings.Repeat(" ", 2000) + "map=m\nhost all all 10.43.0.0/16 trust\n",
		"host all all 10.22.0.0/16 md5\r\x00\r\nhost all all 10.23.0.0/16 trust\r\n",
	}
	base := []string{
		"local all all trust", "host all all 10.30.0.0/16 md5", "hostssl all all 10.31.0.0/16 cert",
		"host all all 10.32.0.0/16 trust # a comment", "host all all 10.33.0.0/16 \\", "  scram-sha-256",
		"", "# only a comment", "host all all 10.34.0.0/16 reject", "host all all 10.35.0.0/16 md5 # " + strings.Repeat("x", 1200),
	}
	for i := 0; i < 40; i++ {
		var b strings.Builder
		for j := 0; j < 4+rng.Intn(8); j++ {
			b.WriteString(base[rng.Intn(len(base))])
			b.WriteString("\n")
		}
		s := []byte(b.String())
		for k := 0; k < 1+rng.Intn(3); k++ {
			s[rng.Intn(len(s))] = 0
		}
		files = append(files, string(s))
	}
	return files
}

// TestOracleNULBytes compares what every PostgreSQL major makes of files
// with NUL bytes (which C string handling truncates, and 14+ joins with the
// next line) with Parse, line by line, and checks that each NUL is reported.
func TestOracleNULBytes(t *testing.T) {
	for _, v := range testserver.Majors() {
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			testserver.RequirePostgresVersion(t, v)
			p := testserver.StartPostgres(t, testserver.PostgresConfig{SSL: true, Version: v})
			rng := rand.New(rand.NewSource(int64(v)))
			for i, content := range nulFiles(rng) {
				p.WriteFile(t, "data/pg_hba.conf", content)
				want := serverOutcomes(t, p)
				got, pf := ourOutcomes(content, v)
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("file %d %q:\nPostgreSQL %d: %q\nParse:         %q", i, content, v, want, got)
				}
				nuls := 0
				for _, f := range pf.Findings {
					if f.Code == CodeNULByte {
						nuls++
					}
				}
				if strings.Contains(content, "\x00") && nuls == 0 {
					t.Errorf("file %d %q: no nul_byte finding", i, content)
				}
			}
		})
	}
}
