package testserver

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestEveryMajorServesTLS starts each PostgreSQL major pgtls claims (13 to 18,
// the npm builds) with ssl = on, checks the server reports that major, reads
// pg_hba_file_rules, and logs in over TLS with the real psql 15.
func TestEveryMajorServesTLS(t *testing.T) {
	for _, v := range Majors() {
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			p := StartPostgres(t, PostgresConfig{
				Version: v,
				SSL:     true,
				HBA:     "hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
				Roles:   []string{"alice"},
			})
			if p.Major != v {
				t.Fatalf("Postgres.Major = %d, want %d", p.Major, v)
			}
			num, err := strconv.Atoi(p.Exec(t, "SHOW server_version_num"))
			if err != nil || num/10000 != v {
				t.Fatalf("server_version_num = %d (%v), want major %d (build %s)", num, err, v, p.Build)
			}
			rules := p.Query(t, "SELECT type, auth_method FROM pg_hba_file_rules WHERE error IS NULL ORDER BY line_number")
			if len(rules) != 3 || rules[1][0] != "hostssl" || rules[2][1] != "reject" {
				t.Errorf("pg_hba_file_rules = %v, want local/hostssl/hostnossl rows", rules)
			}
			ci := map[string]string{"host": p.Host, "port": strconv.Itoa(p.Port), "user": "alice", "dbname": "postgres", "sslmode": "require"}
			res := Psql(t, ci, ClientTLS{}, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
			if res.Err != nil || strings.TrimSpace(res.Stdout) != "t" {
				t.Fatalf("TLS login to %s: err=%v stdout=%q stderr=%q", p.Build, res.Err, res.Stdout, res.Stderr)
			}
			ci["sslmode"] = "disable"
			if res := Psql(t, ci, ClientTLS{}, "SELECT 1"); res.Err == nil {
				t.Fatalf("plaintext login to %s succeeded despite hostnossl reject", p.Build)
			}
		})
	}
}
