package hba

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// afterLastReload returns the part of a PgBouncer log written after the last
// SIGHUP.
func afterLastReload(log string) string {
	i := strings.LastIndex(log, "got SIGHUP, re-reading config")
	if i < 0 {
		return log
	}
	return log[i:]
}

// settledLog waits until PgBouncer's log after the last reload stops
// growing (it logs hba warnings after "got SIGHUP"), at most 5 seconds.
func settledLog(b *testserver.PgBouncer) string {
	last, stable := "", 0
	for i := 0; i < 100 && stable < 6; i++ {
		cur := afterLastReload(b.Log())
		if cur == last {
			stable++
		} else {
			stable, last = 0, cur
		}
		time.Sleep(50 * time.Millisecond)
	}
	return last
}

var bouncerDropRE = regexp.MustCompile(`could not parse hba config line (\d+)`)

// TestOraclePgBouncer118 loads rendered files into a real PgBouncer 1.18:
// every rule valid for the pgbouncer target is kept (no "could not parse hba
// config line"), and every rule PgBouncer drops is rejected by Validate.
func TestOraclePgBouncer118(t *testing.T) {
	testserver.RequirePgBouncer(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{})
	b := testserver.StartPgBouncer(t, testserver.PgBouncerConfig{Backend: pg, HBA: "local all all trust\n"})
	b.WriteFile(t, "dbs.txt", "filedb1\nfiledb2\n")

	L := func(s ...string) []Name {
		var o []Name
		for _, x := range s {
			o = append(o, Lit(x))
		}
		return o
	}
	valid := []Rule{
		mk(Local, allN, allN, "", Peer),
		mk(Local, allN, L("postgres"), "", Trust),
		mk(Host, allN, allN, "127.0.0.1/32", Trust),
		mk(Host, allN, allN, "0.0.0.0/0", Reject),
		mk(HostSSL, allN, allN, "10.0.0.0/8", ScramSHA256),
		mk(HostSSL, allN, allN, "10.0.0.0/8", Cert),
		mk(HostNoSSL, allN, allN, "10.0.0.0/8", Reject),
		mk(Host, allN, allN, "10.0.0.0/8", MD5),
		mk(Host, allN, allN, "10.0.0.0/8", Password),
		mk(Host, allN, allN, "::1/128", Trust),
		mk(Host, allN, allN, "2001:db8::/32", ScramSHA256),
		withMask(mk(Host, allN, allN, "10.1.0.0", MD5), "255.255.0.0"),
		withMask(mk(Host, allN, allN, "2001:db8::", MD5), "ffff:ffff::"),
		mk(Host, []Name{Kw("sameuser")}, allN, "10.0.0.0/8", MD5),
		mk(Host, L("my db", "all", "a,b", `q"uote`, "#x"), L("with space", "all", "+notgroup", "sameuser"), "10.0.0.0/8", MD5),
		mk(Host, []Name{FileRef("dbs.txt")}, allN, "10.0.0.0/8", MD5),
		{Type: Host, Databases: allN, Users: allN, Address: "10.0.0.0/8", Method: Reject, Comment: "with a comment, \"quotes\" and # hash"},
	}
	for i, r := range valid {
		if ps := r.Validate(TargetPgBouncer, 0); len(ps) > 0 {
			t.Fatalf("valid[%d] rejected: %v", i, ps)
		}
	}
	content, err := RenderFile(valid, "pgbouncer oracle")
	if err != nil {
		t.Fatal(err)
	}
	b.WriteFile(t, "hba.conf", content)
	b.Reload(t)
	if m := bouncerDropRE.FindAllString(settledLog(b), -1); len(m) > 0 {
		t.Errorf("PgBouncer dropped lines of a valid file: %v\n%s\n%s", m, content, settledLog(b))
	}

	// Rules PgBouncer 1.18 drops (fails open): Validate must reject each.
	dropped := []Rule{
		mk(Host, allN, allN, "all", Reject),
		mk(Host, allN, allN, "samehost", Reject),
		mk(Host, allN, allN, "samenet", Reject),
		mk(Host, allN, allN, "db.example.com", Reject),
		mk(Host, allN, allN, ".example.com", Reject),
		mk(HostGSSEnc, allN, allN, "10.0.0.0/8", Reject),
		mk(HostNoGSSEnc, allN, allN, "10.0.0.0/8", Reject),
		withOpts(mk(HostSSL, allN, allN, "10.0.0.0/8", Cert), "clientcert", "verify-full"),
		withOpts(mk(HostSSL, allN, allN, "10.0.0.0/8", Cert), "map", "m"),
		withOpts(mk(HostSSL, allN, allN, "10.0.0.0/8", ScramSHA256), "clientcert", "verify-ca"),
		withOpts(mk(Host, allN, allN, "10.0.0.0/8", LDAP), "ldapbasedn", "dc=x"),
		withOpts(mk(Host, allN, allN, "10.0.0.0/8", PAM), "pamservice", "x"),
		mk(Host, allN, allN, "10.0.0.0/8", PAM),
		mk(Host, allN, allN, "10.0.0.0/8", GSS),
		mk(Host, allN, allN, "10.0.0.0/8", Ident),
		mk(Host, allN, []Name{GroupOf("admins")}, "10.0.0.0/8", Reject),
		mk(Host, []Name{Kw("replication")}, allN, "10.0.0.0/8", Reject),
		mk(Host, []Name{Kw("samerole")}, allN, "10.0.0.0/8", Reject),
		mk(Host, []Name{Kw("samegroup")}, allN, "10.0.0.0/8", Reject),
		mk(Host, []Name{FileRef("my list.txt")}, allN, "10.0.0.0/8", Reject),
	}
	for i, r := range dropped {
		if ps := r.Validate(TargetPgBouncer, 0); len(ps) == 0 {
			t.Errorf("dropped[%d] accepted by Validate(pgbouncer): %s", i, r.String())
		}
	}
	content, err = RenderFile(dropped, "")
	if err != nil {
		t.Fatal(err)
	}
	b.WriteFile(t, "hba.conf", content)
	b.Reload(t)
	got := map[string]bool{}
	for _, m := range bouncerDropRE.FindAllStringSubmatch(settledLog(b), -1) {
		got[m[1]] = true
	}
	for i := range dropped {
		if !got[fmt.Sprint(i+1)] {
			l, _ := dropped[i].Render()
			t.Errorf("oracle: PgBouncer 1.18 keeps line %d %q (test corpus wrong)\n%s", i+1, l, settledLog(b))
		}
	}
}

var pgpoolErrLineRE = regexp.MustCompile(`main pid \d+: CONTEXT:  line (\d+) of configuration file`)

// TestOraclePgpool435 loads rendered files into a real Pgpool-II 4.3.5:
// rules valid for the pgpool target load without a logged error, and lines
// Pgpool-II refuses are rejected by Validate(pgpool).
func TestOraclePgpool435(t *testing.T) {
	testserver.RequirePgpool(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{})
	crt, key, err := testserver.SelfSignedServerCert()
	if err != nil {
		t.Fatal(err)
	}
	g := testserver.StartPgpool(t, testserver.PgpoolConfig{Backend: pg, CertPEM: crt, KeyPEM: key})
	g.WriteFile(t, "dbs.txt", "filedb1\n")
	valid := []Rule{
		mk(Local, allN, allN, "", Trust),
		mk(Host, allN, allN, "127.0.0.1/32", Trust),
		mk(HostSSL, allN, allN, "10.0.0.0/8", ScramSHA256),
		mk(HostSSL, allN, allN, "10.0.0.0/8", Cert),
		mk(Host, allN, allN, "10.0.0.0/8", Cert),
		mk(HostNoSSL, allN, allN, "all", Reject),
		mk(Host, allN, allN, "samehost", MD5),
		mk(Host, allN, allN, "db.example.com", MD5),
		mk(Host, allN, allN, "::1/128", Password),
		withMask(mk(Host, allN, allN, "10.1.0.0", MD5), "255.255.0.0"),
		mk(Host, []Name{Kw("sameuser")}, allN, "10.0.0.0/8", MD5),
		mk(Host, []Name{Lit("my db"), Lit(`a"b`), Lit("all")}, []Name{Lit("x,y"), Lit("#h")}, "10.0.0.0/8", MD5),
		mk(Host, []Name{FileRef("dbs.txt")}, allN, "10.0.0.0/8", MD5),
		withOpts(mk(Host, allN, allN, "10.0.0.0/8", PAM), "pamservice", "pgpool"),
		{Type: Host, Databases: allN, Users: allN, Address: "10.0.0.0/8", Method: Reject, Comment: "a comment, with \"quotes\""},
	}
	for i, r := range valid {
		if ps := r.Validate(TargetPgpool, 0); len(ps) > 0 {
			t.Fatalf("valid[%d] rejected: %v", i, ps)
		}
	}
	content, err := RenderFile(valid, "pgpool oracle")
	if err != nil {
		t.Fatal(err)
	}
	n := len(g.Log())
	g.WriteFile(t, "pool_hba.conf", content)
	g.Reload(t)
	time.Sleep(300 * time.Millisecond)
	if l := g.Log()[n:]; strings.Contains(l, "CONTEXT:  line") || strings.Contains(l, "could not open") || strings.Contains(l, "invalid") {
		t.Errorf("Pgpool-II logged errors for a valid file:\n%s\n%s", content, l)
	}

	refused := []Rule{
		mk(HostGSSEnc, allN, allN, "10.0.0.0/8", Trust),
		mk(HostNoGSSEnc, allN, allN, "10.0.0.0/8", MD5),
		withOpts(mk(HostSSL, allN, allN, "10.0.0.0/8", Cert), "clientcert", "verify-full"),
		withOpts(mk(HostSSL, allN, allN, "10.0.0.0/8", ScramSHA256), "clientname", "DN"),
		withOpts(mk(HostSSL, allN, allN, "10.0.0.0/8", Cert), "map", "m"),
		mk(Host, allN, allN, "10.0.0.0/8", GSS),
		mk(Host, allN, allN, "10.0.0.0/8", Ident),
		withOpts(mk(Host, allN, allN, "10.0.0.0/8", RADIUS), "radiusservers", "127.0.0.1", "radiussecrets", "x"),
		withOpts(mk(Host, allN, allN, "10.0.0.0/8", MD5), "pamservice", "x"),
	}
	for i, r := range refused {
		if ps := r.Validate(TargetPgpool, 0); len(ps) == 0 {
			t.Errorf("refused[%d] accepted by Validate(pgpool): %s", i, r.String())
		}
	}
	content, err = RenderFile(refused, "")
	if err != nil {
		t.Fatal(err)
	}
	n = len(g.Log())
	g.WriteFile(t, "pool_hba.conf", content)
	g.Reload(t)
	time.Sleep(300 * time.Millisecond)
	got := map[string]bool{}
	for _, m := range pgpoolErrLineRE.FindAllStringSubmatch(g.Log()[n:], -1) {
		got[m[1]] = true
	}
	for i := range refused {
		if !got[fmt.Sprint(i+1)] {
			t.Errorf("oracle: Pgpool-II 4.3.5 accepts line %d %q (test corpus wrong)\n%s", i+1, refused[i].String(), g.Log()[n:])
		}
	}
}
