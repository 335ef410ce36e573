package reload

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
	"github.com/pgtls/terraform-provider-pgtls/internal/localfiles"
)

// Pgpool-II cannot check files before it loads them, and its reload answers
// success whatever it thought of them (it logs problems to its own log,
// often stderr). The closest checks, in order:
//   - before pcp_reload_config: pool_hba.conf passes pgtls's model of
//     Pgpool-II's hba parser (a file with an error is not reloaded), the TLS
//     files load, and every key of the new pgpool.conf is one Pgpool-II
//     lists (others are ignored by Pgpool-II: warned);
//   - after, when a database login through Pgpool-II is given (Conn): a new
//     connection is accepted and PGPOOL SHOW ALL, answered by a child that
//     has reloaded, shows each changed value (one it does not was refused
//     or needs a restart). pcp_pool_status cannot serve here: Pgpool-II
//     4.3's PCP process keeps the configuration it started with.

// pcpTool finds one of Pgpool-II's PCP commands.
func pcpTool(t Target, name string) (string, error) {
	dirs := []string{t.PCPBinDir}
	if t.PCPBinDir == "" {
		dirs = []string{"/usr/sbin", "/usr/bin"}
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if t.PCPBinDir == "" {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found (in %s or $PATH): install Pgpool-II's PCP tools or set pcp_bin_dir", name, strings.Join(dirs, ", "))
}

// pcpEscape escapes a PCPPASSFILE field (the libpq .pgpass rules).
func pcpEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(s)
}

// runPCP runs a PCP command with the password in a temporary PCPPASSFILE.
func runPCP(ctx context.Context, t Target, name string) (string, error) {
	bin, err := pcpTool(t, name)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "pgtls-pcppass-")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return "", err
	}
	if _, err := fmt.Fprintf(f, "*:*:%s:%s\n", pcpEscape(t.PCPUser), pcpEscape(t.PCPPassword)); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	args := []string{"-U", t.PCPUser, "-w"}
	if t.PCPHost != "" {
		args = append(args, "-h", t.PCPHost)
	}
	port := t.PCPPort
	if port == 0 {
		port = 9898
	}
	args = append(args, "-p", strconv.Itoa(port))
	cctx, cancel := context.WithTimeout(ctx, t.timeout())
	defer cancel()
	cmd := exec.CommandContext(cctx, bin, args...)
	cmd.Env = []string{"PCPPASSFILE=" + f.Name(), "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}
	var outb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &outb
	err = cmd.Run()
	out := outb.String()
	if err != nil {
		msg := strings.TrimSpace(out)
		if msg == "" {
			msg = err.Error()
		}
		if cctx.Err() != nil {
			msg = "timed out after " + t.timeout().String()
		}
		return out, fmt.Errorf("%s failed: %s", name, strings.ReplaceAll(msg, "\n", " "))
	}
	return out, nil
}

// poolStatus runs pcp_pool_status and returns name -> value.
func poolStatus(ctx context.Context, t Target) (map[string]string, error) {
	out, err := runPCP(ctx, t, "pcp_pool_status")
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	name := ""
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "name : "):
			name = strings.TrimPrefix(l, "name : ")
		case strings.HasPrefix(l, "value: ") && name != "":
			m[name] = strings.TrimPrefix(l, "value: ")
			name = ""
		}
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("pcp_pool_status printed no parameters")
	}
	return m, nil
}

// setFileNamed returns the file of the set whose last path component is base.
func setFileNamed(s localfiles.Spec, base string) (localfiles.File, bool) {
	for _, f := range s.Files {
		if f.Name == base || strings.HasSuffix(f.Name, "/"+base) {
			return f, true
		}
	}
	return localfiles.File{}, false
}

func applyPgpool(ctx context.Context, s localfiles.Spec, remove []string, t Target) (*Outcome, error) {
	before, err := poolStatus(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Pgpool-II's PCP port: %w", err)
	}
	var shown map[string]string // PGPOOL SHOW ALL before the reload
	if t.Conn.Host != "" {
		if shown, err = pgpoolShowAll(ctx, t); err != nil {
			return nil, err
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

	var findings []Finding
	pending := map[string]string{}
	for k, v := range before {
		pending[k] = v
	}
	var changed []setting // settings of pgpool.conf whose value changed
	conf, confOurs := setFileNamed(s, "pgpool.conf")
	confPath := filepath.Join(s.Dir, filepath.FromSlash(conf.Name))
	if confOurs {
		var prev map[string]setting
		if b, ok := ch.Previous(conf.Name); ok {
			prev = lastValues(parseGUCFile(string(b)))
		}
		for k, st := range lastValues(parseGUCFile(string(conf.Content))) {
			_, inPCP := before[k]
			_, inShow := shown[k]
			if !inPCP && !inShow {
				out.Warnings = append(out.Warnings, fmt.Sprintf("%s line %d: Pgpool-II does not list %q (pcp_pool_status, PGPOOL SHOW ALL): it ignores parameters it does not know", confPath, st.line, k))
				continue
			}
			pending[k] = st.value
			if p, had := prev[k]; !had || normValue(p.value) != normValue(st.value) {
				changed = append(changed, st)
			}
		}
	}
	if f, ok := setFileNamed(s, "pool_hba.conf"); ok {
		findings = append(findings, poolerHBAFindings(filepath.Join(s.Dir, filepath.FromSlash(f.Name)), f, hba.TargetPgpool)...)
	}
	if normValue(pending["ssl"]) == "1" {
		tf := tlsFiles{Cert: pending["ssl_cert"], Key: pending["ssl_key"], CA: pending["ssl_ca_cert"], CRL: pending["ssl_crl_file"], KeyOwner: -1, Program: Pgpool}
		if tf.touched(ix) || normValue(before["ssl"]) != "1" {
			f, w := tf.check()
			findings = append(findings, f...)
			out.Warnings = append(out.Warnings, w...)
		}
	}
	if len(findings) > 0 {
		return nil, undo(Pgpool, ch, findings, false)
	}

	if _, err := runPCP(ctx, t, "pcp_reload_config"); err != nil {
		return nil, undo(Pgpool, ch, []Finding{{Message: err.Error()}}, false)
	}
	pgpoolSettle(ctx)
	if t.Conn.Host == "" {
		out.Warnings = append(out.Warnings, "no login through Pgpool-II is configured: the effect of the reload was not confirmed (pcp_reload_config only says the signal was sent)")
	}
	findings = pgpoolConfirm(ctx, t, confPath, changed, shown, &out.Warnings)
	if len(findings) > 0 {
		ref := undo(Pgpool, ch, findings, true)
		if _, err := runPCP(ctx, t, "pcp_reload_config"); err != nil {
			ref.Findings = append(ref.Findings, Finding{Message: "reloading the previous files failed: " + err.Error()})
		}
		pgpoolSettle(ctx)
		return nil, ref
	}
	out.Reloaded = true
	out.Checks = append(out.Checks, "pcp_reload_config succeeded")
	if t.Conn.Host != "" {
		out.Checks = append(out.Checks, fmt.Sprintf("a new connection through Pgpool-II as %s was accepted and PGPOOL SHOW ALL shows the %d changed settings", t.Conn.User, len(changed)))
	}
	return out, nil
}

// PgpoolSettle is how long pgtls waits after pcp_reload_config before it
// looks at the result: the PCP process only signals the main process,
// which re-reads the files and then signals every child; none of them says
// when it is done (measured: a few milliseconds on an idle server, so a
// connection made at once can still meet the previous pool_hba.conf).
const PgpoolSettle = time.Second

func pgpoolSettle(ctx context.Context) {
	select {
	case <-time.After(PgpoolSettle):
	case <-ctx.Done():
	}
}

// pgpoolShowAll runs PGPOOL SHOW ALL on a new connection through Pgpool-II.
func pgpoolShowAll(ctx context.Context, t Target) (map[string]string, error) {
	sess, err := connect(ctx, t, "")
	if err != nil {
		return nil, err
	}
	defer func() { _ = sess.Close(context.Background()) }()
	rows, err := query(ctx, sess.Conn, "PGPOOL SHOW ALL")
	if err != nil {
		return nil, fmt.Errorf("PGPOOL SHOW ALL through Pgpool-II failed: %s", describeErr(err))
	}
	m := map[string]string{}
	for _, r := range rows {
		if len(r) >= 2 {
			m[str(r[0])] = str(r[1])
		}
	}
	return m, nil
}

// sameSetting reports whether Pgpool-II's display of a value ("33s",
// "1min", "on") is the file's value ("33", "60", "true").
func sameSetting(shown, file string) bool {
	if normValue(shown) == normValue(file) {
		return true
	}
	a, okA := seconds(shown)
	b, okB := seconds(file)
	return okA && okB && a == b
}

// seconds reads "33", "33s", "1min", "500ms", "2h", "1d" as seconds.
func seconds(v string) (float64, bool) {
	v = strings.ToLower(strings.Trim(strings.TrimSpace(v), "'"))
	units := []struct {
		suffix string
		mult   float64
	}{{"ms", 0.001}, {"min", 60}, {"s", 1}, {"h", 3600}, {"d", 86400}}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, false
	}
	return f * mult, true
}

// pgpoolConfirm, when a login through Pgpool-II is configured, connects
// and waits until PGPOOL SHOW ALL shows every changed setting: a value it
// displays the same as before the reload, and not as the file has it, was
// not taken.
func pgpoolConfirm(ctx context.Context, t Target, confPath string, changed []setting, before map[string]string, warnings *[]string) []Finding {
	if t.Conn.Host == "" {
		return nil
	}
	// A child takes the reload before it accepts its next client, so the
	// values show almost at once; a few seconds tell "not taken" apart.
	settle := min(t.timeout(), 5*time.Second)
	deadline := time.Now().Add(settle)
	var missing []setting
	var after map[string]string
	for {
		st, err := pgpoolShowAll(ctx, t)
		if err != nil {
			return []Finding{{Message: "after the reload a new connection through Pgpool-II fails, so the new files would lock this login out: " + err.Error()}}
		}
		after = st
		missing = missing[:0]
		for _, c := range changed {
			if v, ok := st[c.key]; ok && !sameSetting(v, c.value) && v == before[c.key] {
				missing = append(missing, c)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var findings []Finding
	for _, c := range missing {
		findings = append(findings, Finding{File: confPath, Line: c.line, Message: fmt.Sprintf(
			"after the reload Pgpool-II still shows %s = %q, not the file's %q: it refused the value or needs a restart for it", c.key, after[c.key], c.value)})
	}
	for _, c := range changed {
		if v, ok := after[c.key]; ok && !sameSetting(v, c.value) && v != before[c.key] {
			*warnings = append(*warnings, fmt.Sprintf("%s line %d: Pgpool-II shows %s = %q for the file's %q", confPath, c.line, c.key, v, c.value))
		}
	}
	return findings
}
