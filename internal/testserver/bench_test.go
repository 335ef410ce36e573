package testserver

import (
	"testing"
	"time"
)

// cleanupTB runs the cleanups registered through it when runCleanups is called.
type cleanupTB struct {
	testing.TB
	fns []func()
}

func (c *cleanupTB) Cleanup(f func()) { c.fns = append(c.fns, f) }
func (c *cleanupTB) runCleanups() {
	for i := len(c.fns) - 1; i >= 0; i-- {
		c.fns[i]()
	}
	c.fns = nil
}

// BenchmarkStartPostgres measures one throwaway SSL server from the cached
// template: start (copy, config, certificate, start, readiness) and
// stop+removal, reported as start-ms and stop-ms per server.
func BenchmarkStartPostgres(b *testing.B) {
	RequirePostgres(b)
	if _, err := templateDataDir(aptBinaries); err != nil {
		b.Fatal(err)
	}
	var start, stop time.Duration
	for i := 0; i < b.N; i++ {
		c := &cleanupTB{TB: b}
		t0 := time.Now()
		p := StartPostgres(c, PostgresConfig{SSL: true})
		t1 := time.Now()
		p.Exec(b, "SELECT 1")
		t2 := time.Now()
		c.runCleanups()
		start += t1.Sub(t0)
		stop += time.Since(t2)
	}
	b.ReportMetric(float64(start.Microseconds())/1000/float64(b.N), "start-ms")
	b.ReportMetric(float64(stop.Microseconds())/1000/float64(b.N), "stop-ms")
}

// BenchmarkStartPoolers measures PgBouncer and Pgpool-II start+stop in front
// of one backend.
func BenchmarkStartPoolers(b *testing.B) {
	RequirePgBouncer(b)
	RequirePgpool(b)
	pg := StartPostgres(b, PostgresConfig{})
	crt, key, err := SelfSignedServerCert()
	if err != nil {
		b.Fatal(err)
	}
	var bnc, pp time.Duration
	for i := 0; i < b.N; i++ {
		c := &cleanupTB{TB: b}
		t0 := time.Now()
		StartPgBouncer(c, PgBouncerConfig{Backend: pg, CertPEM: crt, KeyPEM: key})
		t1 := time.Now()
		StartPgpool(c, PgpoolConfig{Backend: pg, CertPEM: crt, KeyPEM: key})
		t2 := time.Now()
		c.runCleanups()
		bnc += t1.Sub(t0)
		pp += t2.Sub(t1)
	}
	b.ReportMetric(float64(bnc.Microseconds())/1000/float64(b.N), "pgbouncer-start-ms")
	b.ReportMetric(float64(pp.Microseconds())/1000/float64(b.N), "pgpool-start-ms")
}
