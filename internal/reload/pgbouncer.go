package reload

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
	"github.com/pgtls/terraform-provider-pgtls/internal/localfiles"
)

// PgBouncer has no way to check files before it loads them, and RELOAD
// answers "RELOAD" even when it refused the file or dropped hba lines (it
// logs them). The closest checks, in order:
//   - before RELOAD: every [pgbouncer] key of the new pgbouncer.ini is one
//     SHOW CONFIG knows (an unknown key makes PgBouncer reject the whole
//     file), keys it cannot change without a restart are unchanged, the
//     auth_hba_file passes pgtls's model of PgBouncer's hba parser (which
//     drops bad lines: fail-open), and the TLS files load;
//   - after RELOAD: PgBouncer's own log (its logfile) from the RELOAD on has
//     no ERROR or WARNING, SHOW CONFIG shows every changed value, and a new
//     admin console connection is accepted.

type bouncerSetting struct {
	value      string
	changeable bool
}

func showConfig(ctx context.Context, c *pgconn.PgConn) (map[string]bouncerSetting, error) {
	res, err := c.Exec(ctx, "SHOW CONFIG").ReadAll()
	if err != nil {
		return nil, fmt.Errorf("SHOW CONFIG on the admin console failed: %s", describeErr(err))
	}
	if len(res) != 1 {
		return nil, fmt.Errorf("SHOW CONFIG returned %d results", len(res))
	}
	col := map[string]int{}
	for i, f := range res[0].FieldDescriptions {
		col[f.Name] = i
	}
	ki, ok1 := col["key"]
	vi, ok2 := col["value"]
	ci, ok3 := col["changeable"]
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("SHOW CONFIG has no key/value/changeable columns: is this PgBouncer's admin console?")
	}
	m := map[string]bouncerSetting{}
	for _, r := range res[0].Rows {
		m[strings.ToLower(string(r[ki]))] = bouncerSetting{value: string(r[vi]), changeable: string(r[ci]) == "yes"}
	}
	return m, nil
}

func applyPgBouncer(ctx context.Context, s localfiles.Spec, remove []string, t Target) (*Outcome, error) {
	admin, err := connect(ctx, t, "pgbouncer")
	if err != nil {
		return nil, err
	}
	defer func() { _ = admin.Close(context.Background()) }()
	before, err := showConfig(ctx, admin.Conn)
	if err != nil {
		return nil, err
	}
	logPath := before["logfile"].value
	var logOffset int64 = -1
	if logPath != "" {
		if fi, err := os.Stat(logPath); err == nil {
			logOffset = fi.Size()
		}
	}

	ch, err := localfiles.Apply(s, remove)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Change: ch}
	if len(ch.Written)+len(ch.Removed) == 0 {
		out.Checks = append(out.Checks, "every file already as wanted: nothing written, no reload")
		return out, nil
	}
	ix := newFileIndex(s)

	// 1. Before RELOAD.
	var findings []Finding
	pending := map[string]string{}
	for k, v := range before {
		pending[k] = v.value
	}
	conf := before["conffile"].value
	confFile, confOurs := ix.lookup(conf)
	var newVals map[string]setting
	if confOurs {
		ss, includes := parseBouncerIni(string(confFile.Content))
		if includes {
			out.Warnings = append(out.Warnings, conf+": %include files are not checked by pgtls before the RELOAD")
		}
		newVals = lastValues(ss)
		for _, st := range ss {
			cur, known := before[st.key]
			switch {
			case !known:
				findings = append(findings, Finding{File: conf, Line: st.line, Message: "unknown parameter: pgbouncer/" + st.key + " (PgBouncer then ignores the whole file on RELOAD: \"config file loading failed\")"})
			case !cur.changeable && normValue(st.value) != normValue(cur.value):
				msg := fmt.Sprintf("%s cannot be changed without restarting PgBouncer (it is %q now)", st.key, cur.value)
				if t.AllowPendingRestart {
					out.Warnings = append(out.Warnings, conf+": "+msg)
				} else {
					findings = append(findings, Finding{File: conf, Line: st.line, Message: msg + "; set allow_pending_restart to write it anyway"})
				}
			}
			pending[st.key] = st.value
		}
	}
	if p := pending["auth_hba_file"]; p != "" {
		if f, ok := ix.lookup(p); ok {
			findings = append(findings, poolerHBAFindings(p, f, hba.TargetPgBouncer)...)
		}
	}
	for _, side := range []string{"client", "server"} {
		tf := tlsFiles{Cert: pending[side+"_tls_cert_file"], Key: pending[side+"_tls_key_file"], CA: pending[side+"_tls_ca_file"], KeyOwner: -1, Program: PgBouncer}
		if tf.touched(ix) {
			f, w := tf.check()
			findings = append(findings, f...)
			out.Warnings = append(out.Warnings, w...)
		}
	}
	if len(findings) > 0 {
		return nil, undo(PgBouncer, ch, findings, false)
	}

	// 2. RELOAD, then PgBouncer's own verdict.
	if _, err := admin.Conn.Exec(ctx, "RELOAD").ReadAll(); err != nil {
		return nil, undo(PgBouncer, ch, []Finding{{Message: "RELOAD failed: " + describeErr(err)}}, false)
	}
	findings = append(findings, bouncerLogFindings(logPath, logOffset, ix, &out.Warnings)...)
	after, err := showConfig(ctx, admin.Conn)
	if err != nil {
		findings = append(findings, Finding{Message: err.Error()})
	} else if confOurs {
		var prev map[string]setting
		if b, ok := ch.Previous(confFile.Name); ok {
			ps, _ := parseBouncerIni(string(b))
			prev = lastValues(ps)
		}
		for k, st := range newVals {
			a, ok := after[k]
			if !ok || !a.changeable {
				continue
			}
			if p, had := prev[k]; had && normValue(p.value) == normValue(st.value) {
				continue // unchanged: nothing to confirm
			}
			if normValue(a.value) != normValue(st.value) {
				findings = append(findings, Finding{File: conf, Line: st.line, Message: fmt.Sprintf("after the RELOAD PgBouncer shows %s = %q, not the file's %q: it did not take the new value", k, a.value, st.value)})
			}
		}
	}
	if len(findings) == 0 {
		if s2, err := connect(ctx, t, "pgbouncer"); err != nil {
			findings = append(findings, Finding{Message: "after the RELOAD a new admin console connection fails, so the new files would lock this role out: " + err.Error()})
		} else {
			_ = s2.Close(ctx)
		}
	}
	if len(findings) > 0 {
		ref := undo(PgBouncer, ch, findings, true)
		if _, err := admin.Conn.Exec(ctx, "RELOAD").ReadAll(); err != nil {
			ref.Findings = append(ref.Findings, Finding{Message: "RELOAD of the previous files failed: " + describeErr(err)})
		}
		return nil, ref
	}
	out.Reloaded = true
	out.Checks = append(out.Checks, "PgBouncer RELOAD: no error or warning in its log, SHOW CONFIG shows the new values, a new admin console connection was accepted")
	return out, nil
}

// bouncerLogFindings returns the ERROR and WARNING lines PgBouncer logged
// from offset on (what it said about the RELOAD).
func bouncerLogFindings(path string, offset int64, ix *fileIndex, warnings *[]string) []Finding {
	if path == "" || offset < 0 {
		*warnings = append(*warnings, "PgBouncer has no logfile pgtls can read (logfile is unset or unreadable): its own verdict on the RELOAD was not read; set logfile for the complete check")
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		*warnings = append(*warnings, "cannot read PgBouncer's logfile "+path+": "+err.Error())
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil
	}
	var out []Finding
	for _, l := range strings.Split(string(b), "\n") {
		for _, lvl := range []string{" ERROR ", " WARNING "} {
			if i := strings.Index(l, lvl); i >= 0 {
				msg := strings.TrimSpace(l[i:])
				// PgBouncer quotes the offending value of a file it read;
				// hide it when that file is sensitive.
				kind := localfiles.Plain
				for j, fl := range ix.files {
					if ix.infos[j] != nil && strings.Contains(msg, fl.Name) && fl.Kind != localfiles.Plain {
						kind = fl.Kind
					}
				}
				out = append(out, Finding{Message: "PgBouncer logged: " + redactFor(kind, msg)})
				break
			}
		}
	}
	return out
}
