package check

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// benchServer is PostgreSQL 15 with TLS and SCRAM for alice from
// 127.0.0.1 with and without TLS, so every sslmode logs in.
func benchServer(b *testing.B) (*testserver.Postgres, *testpki.CA) {
	b.Helper()
	testserver.RequirePostgres(b)
	ca := testpki.NewCA(b, "bench root")
	leaf := ca.Issue(b, testpki.ServerTemplate("localhost", "localhost", "127.0.0.1"))
	srv := testserver.StartPostgres(b, testserver.PostgresConfig{SSL: true, CertPEM: leaf.CertPEM, KeyPEM: leaf.KeyPEM,
		HBA: "host all all 127.0.0.1/32 scram-sha-256", Roles: []string{"alice"}})
	srv.Exec(b, "SET password_encryption = 'scram-sha-256'; ALTER ROLE alice PASSWORD "+testserver.QuoteLiteral(alicePassword))
	return srv, ca
}

// BenchmarkRunSixModes is one connection check of all six sslmodes (what
// pgtls_connection_check does per read), next to BenchmarkPsqlSixModes:
// one successful psql login per mode, one after the other.
func BenchmarkRunSixModes(b *testing.B) {
	srv, ca := benchServer(b)
	req := Request{Host: srv.Host, Port: srv.Port, Database: "postgres", User: "alice", Password: alicePassword,
		RootCertPEM: ca.PEM, ServerName: "localhost", ConnectTimeout: 10 * time.Second}
	for b.Loop() {
		for _, r := range Run(context.Background(), req) {
			if !r.Success {
				b.Fatalf("%s: %s", r.Mode, r.Error)
			}
		}
	}
}

// BenchmarkPsqlSixModes: the same six logins with psql (libpq), one after
// the other: the baseline the connection check is measured against.
func BenchmarkPsqlSixModes(b *testing.B) {
	srv, ca := benchServer(b)
	for b.Loop() {
		for _, mode := range AllModes {
			r := testserver.Psql(b, map[string]string{"host": "localhost", "hostaddr": srv.Host, "port": strconv.Itoa(srv.Port),
				"dbname": "postgres", "user": "alice", "password": alicePassword, "sslmode": string(mode)},
				testserver.ClientTLS{RootCertPEM: ca.PEM}, "SELECT 1")
			if r.Err != nil {
				b.Fatalf("psql %s: %v %s", mode, r.Err, r.Stderr)
			}
		}
	}
}
