package reload

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtls/terraform-provider-pgtls/internal/check"
	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
	"github.com/pgtls/terraform-provider-pgtls/internal/localfiles"
)

// query runs one statement and returns its rows as nullable text.
func query(ctx context.Context, c *pgconn.PgConn, sql string) ([][]*string, error) {
	res, err := c.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(res) != 1 {
		return nil, fmt.Errorf("expected one result, got %d", len(res))
	}
	out := make([][]*string, 0, len(res[0].Rows))
	for _, row := range res[0].Rows {
		r := make([]*string, len(row))
		for i, v := range row {
			if v != nil {
				s := string(v)
				r[i] = &s
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// describeErr renders a query error with PostgreSQL's own words.
func describeErr(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		s := pe.Severity + ": " + pe.Message
		if pe.Hint != "" {
			s += " (HINT: " + pe.Hint + ")"
		}
		return s + " (SQLSTATE " + pe.Code + ")"
	}
	return err.Error()
}

// pgServer is what Apply learns from the server before writing.
type pgServer struct {
	major    int
	loadTime string
	settings map[string]string // pg_settings for the names below
	dataUID  int               // owner of the data directory (the server's user), -1 if unknown
}

var pgSettingNames = []string{"data_directory", "config_file", "hba_file", "ident_file",
	"ssl", "ssl_cert_file", "ssl_key_file", "ssl_ca_file", "ssl_crl_file"}

func pgInspect(ctx context.Context, c *pgconn.PgConn) (*pgServer, error) {
	rows, err := query(ctx, c, "SELECT current_setting('server_version_num'), pg_catalog.pg_conf_load_time()::text")
	if err != nil {
		return nil, fmt.Errorf("could not read the server version: %s", describeErr(err))
	}
	num, _ := strconv.Atoi(str(rows[0][0]))
	srv := &pgServer{major: num / 10000, loadTime: str(rows[0][1]), settings: map[string]string{}, dataUID: -1}
	if srv.major < 10 {
		return nil, fmt.Errorf("PostgreSQL %d cannot check files before a reload (pg_hba_file_rules needs 10 or later)", srv.major)
	}
	quotedNames := make([]string, len(pgSettingNames))
	for i, n := range pgSettingNames {
		quotedNames[i] = "'" + n + "'"
	}
	rows, err = query(ctx, c, "SELECT name, setting FROM pg_catalog.pg_settings WHERE name IN ("+strings.Join(quotedNames, ",")+")")
	if err != nil {
		return nil, fmt.Errorf("could not read the server's file settings: %s", describeErr(err))
	}
	for _, r := range rows {
		srv.settings[str(r[0])] = str(r[1])
	}
	if srv.settings["data_directory"] == "" || srv.settings["hba_file"] == "" {
		return nil, errors.New("the server does not show data_directory and hba_file to this role: connect as a superuser or a member of pg_read_all_settings")
	}
	return srv, nil
}

// abs resolves a setting that may be relative to the data directory.
func (s *pgServer) abs(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.settings["data_directory"], p)
}

func applyPostgres(ctx context.Context, s localfiles.Spec, remove []string, t Target) (*Outcome, error) {
	admin, err := connect(ctx, t, "")
	if err != nil {
		return nil, err
	}
	defer func() { _ = admin.Close(context.Background()) }()
	srv, err := pgInspect(ctx, admin.Conn)
	if err != nil {
		return nil, err
	}
	if fi, err := statPath(srv.settings["data_directory"]); err == nil {
		if uid, ok := ownerOf(fi); ok {
			srv.dataUID = uid
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

	// 1. Ask the server whether it would load what is on disk now.
	findings, warnings, checks, err := pgJudge(ctx, admin.Conn, srv, ix, t)
	out.Warnings = append(out.Warnings, warnings...)
	if err != nil {
		findings = append(findings, Finding{Message: "could not ask the server to check the files: " + err.Error()})
	}
	if len(findings) > 0 {
		return nil, undo(PostgreSQL, ch, findings, false)
	}
	out.Checks = append(out.Checks, checks...)

	// 2. Reload, and confirm on a connection made after the reload.
	if _, err := query(ctx, admin.Conn, "SELECT pg_catalog.pg_reload_conf()"); err != nil {
		return nil, undo(PostgreSQL, ch, []Finding{{Message: "pg_reload_conf() failed: " + describeErr(err)}}, false)
	}
	after, seen, findings := pgConfirm(ctx, t, srv, ix)
	if after != nil {
		defer func() { _ = after.Close(context.Background()) }()
	}
	if len(findings) > 0 {
		ref := undo(PostgreSQL, ch, findings, true)
		if _, err := query(ctx, admin.Conn, "SELECT pg_catalog.pg_reload_conf()"); err != nil {
			ref.Findings = append(ref.Findings, Finding{Message: "reloading the previous files failed: " + describeErr(err)})
		} else if err := pgWaitBack(ctx, t, seen); err != nil {
			ref.Findings = append(ref.Findings, Finding{Message: "the reload of the previous files did not show: " + err.Error()})
		}
		return nil, ref
	}
	out.Reloaded = true
	out.Checks = append(out.Checks, "pg_reload_conf() took effect (pg_conf_load_time changed) and a new connection as "+t.Conn.User+" was accepted")
	if after.Peer != nil {
		if _, ok := ix.lookup(srv.abs(srv.settings["ssl_cert_file"])); ok {
			out.Checks = append(out.Checks, "a new TLS connection was served the new certificate")
		}
	}
	return out, nil
}

// pgPending returns the value each setting will have after a reload: the
// last error-free line of the configuration files (pg_file_settings), or
// the current value when no file sets it.
func pgPending(ctx context.Context, c *pgconn.PgConn, srv *pgServer) (map[string]string, error) {
	rows, err := query(ctx, c, "SELECT name, setting FROM pg_catalog.pg_file_settings WHERE error IS NULL ORDER BY seqno")
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for k, v := range srv.settings {
		m[k] = v
	}
	for _, r := range rows {
		m[str(r[0])] = str(r[1])
	}
	return m, nil
}

// pgJudge has the server read the files on disk (pg_hba_file_rules,
// pg_ident_file_mappings, pg_file_settings) and checks the TLS files it
// would load.
func pgJudge(ctx context.Context, c *pgconn.PgConn, srv *pgServer, ix *fileIndex, t Target) (findings []Finding, warnings, checks []string, err error) {
	// pg_hba.conf
	hbaPath := srv.settings["hba_file"]
	cols := "line_number::text, error, (auth_method IS NULL)::text, NULL::text"
	if srv.major >= 16 {
		cols = "line_number::text, error, (auth_method IS NULL)::text, file_name"
	}
	rows, err := query(ctx, c, "SELECT "+cols+" FROM pg_catalog.pg_hba_file_rules ORDER BY 1")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("pg_hba_file_rules: %s", describeErr(err))
	}
	hbaFile, hbaOurs := ix.lookup(hbaPath)
	var hbaLines []int
	for _, r := range rows {
		file := hbaPath
		if r[3] != nil {
			file = *r[3]
		}
		line, _ := strconv.Atoi(str(r[0]))
		switch {
		case r[1] != nil:
			findings = append(findings, Finding{File: file, Line: line, Message: redactFor(ix.kindOf(file), *r[1])})
		case str(r[2]) == "true":
			msg := "PostgreSQL returns this line with no fields and no error, and refuses it when loading (a bad value of an option such as clientcert, clientname or radiusports)"
			if hbaOurs && file == hbaPath {
				msg += pgtlsReason(string(hbaFile.Content), srv.major, line, hbaFile.Kind, false)
			}
			findings = append(findings, Finding{File: file, Line: line, Message: msg})
		}
		if file == hbaPath {
			hbaLines = append(hbaLines, line)
		}
	}
	if hbaOurs && len(findings) == 0 {
		if want, ok := renderedLines(string(hbaFile.Content), srv.major, false); !ok {
			warnings = append(warnings, fmt.Sprintf("PostgreSQL %d is outside the versions pgtls parses (%d to %d): the rule count of %s was not compared", srv.major, hba.MinVersion, hba.MaxVersion, hbaPath))
		} else if !slices.Equal(want, hbaLines) {
			findings = append(findings, Finding{File: hbaPath, Message: fmt.Sprintf(
				"the server reads %d rules from this file, pgtls wrote %d (%s): the server is not reading the file as written", len(hbaLines), len(want), firstDifference(want, hbaLines))})
		} else {
			checks = append(checks, fmt.Sprintf("pg_hba_file_rules: %d rules read from %s, no error, as written", len(hbaLines), hbaPath))
		}
	}

	// pg_ident.conf
	identPath := srv.settings["ident_file"]
	identFile, identOurs := ix.lookup(identPath)
	if srv.major >= 15 {
		cols := "line_number::text, error, (map_name IS NULL)::text, NULL::text"
		if srv.major >= 16 {
			cols = "line_number::text, error, (map_name IS NULL)::text, file_name"
		}
		rows, err := query(ctx, c, "SELECT "+cols+" FROM pg_catalog.pg_ident_file_mappings ORDER BY 1")
		if err != nil {
			return nil, nil, nil, fmt.Errorf("pg_ident_file_mappings: %s", describeErr(err))
		}
		var lines []int
		bad := false
		for _, r := range rows {
			file := identPath
			if r[3] != nil {
				file = *r[3]
			}
			line, _ := strconv.Atoi(str(r[0]))
			switch {
			case r[1] != nil:
				findings = append(findings, Finding{File: file, Line: line, Message: redactFor(ix.kindOf(file), *r[1])})
				bad = true
			case str(r[2]) == "true":
				findings = append(findings, Finding{File: file, Line: line, Message: "PostgreSQL returns this line with no fields and no error, and refuses it when loading"})
				bad = true
			}
			if file == identPath {
				lines = append(lines, line)
			}
		}
		if identOurs && !bad {
			if want, ok := renderedLines(string(identFile.Content), srv.major, true); ok && !slices.Equal(want, lines) {
				findings = append(findings, Finding{File: identPath, Message: fmt.Sprintf(
					"the server reads %d mappings from this file, pgtls wrote %d (%s): the server is not reading the file as written", len(lines), len(want), firstDifference(want, lines))})
			} else if ok {
				checks = append(checks, fmt.Sprintf("pg_ident_file_mappings: %d mappings read from %s, no error, as written", len(lines), identPath))
			}
		}
	} else if identOurs {
		warnings = append(warnings, fmt.Sprintf("PostgreSQL %d has no pg_ident_file_mappings (15+): %s was not checked before the reload", srv.major, identPath))
	}

	// postgresql.conf and the files it includes.
	rows, err = query(ctx, c, `SELECT f.sourcefile, f.sourceline::text, f.name, f.error, s.context
FROM pg_catalog.pg_file_settings f LEFT JOIN pg_catalog.pg_settings s ON s.name = f.name
WHERE f.error IS NOT NULL ORDER BY f.seqno`)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("pg_file_settings: %s", describeErr(err))
	}
	for _, r := range rows {
		file, name, msg := str(r[0]), str(r[2]), str(r[3])
		line, _ := strconv.Atoi(str(r[1]))
		switch {
		case str(r[4]) == "postmaster" && msg == "setting could not be applied":
			if t.AllowPendingRestart {
				warnings = append(warnings, fmt.Sprintf("%s line %d: %s takes effect only when the server restarts", file, line, name))
				continue
			}
			msg = fmt.Sprintf("%s: parameter %q can only be changed by restarting the server, or its value is invalid (set allow_pending_restart to write it anyway; the server log has the details after a reload)", msg, name)
		case msg == "setting could not be applied":
			msg = fmt.Sprintf("%s: the value of %q is invalid (the server log has PostgreSQL's details after a reload)", msg, name)
		default:
			msg = fmt.Sprintf("%s: %s", name, msg)
		}
		findings = append(findings, Finding{File: file, Line: line, Message: redactFor(ix.kindOf(file), msg)})
	}
	if len(rows) == 0 {
		checks = append(checks, "pg_file_settings: no error in the configuration files")
	}

	// The TLS files the server loads on reload.
	pending, err := pgPending(ctx, c, srv)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("pg_file_settings: %s", describeErr(err))
	}
	if pending["ssl"] == "on" {
		tf := tlsFiles{Cert: srv.abs(pending["ssl_cert_file"]), Key: srv.abs(pending["ssl_key_file"]),
			CA: srv.abs(pending["ssl_ca_file"]), CRL: srv.abs(pending["ssl_crl_file"]), KeyOwner: srv.dataUID, Program: PostgreSQL}
		if tf.touched(ix) || srv.settings["ssl"] != "on" {
			f, w := tf.check()
			findings = append(findings, f...)
			warnings = append(warnings, w...)
			if len(f) == 0 {
				checks = append(checks, "TLS files load: certificate, matching key with the mode and owner PostgreSQL requires, CA and CRL files parse")
			}
		}
	}
	return findings, warnings, checks, nil
}

// renderedLines returns the line numbers of the non-empty lines of an hba
// (or ident) file as PostgreSQL major v tokenizes it: one per rule,
// directive or refused line. ok is false when v is outside what pgtls
// parses.
func renderedLines(content string, v int, ident bool) ([]int, bool) {
	seen := map[int]bool{}
	if ident {
		pf, err := hba.ParseIdent(content, v)
		if err != nil {
			return nil, false
		}
		for _, ls := range pf.Lines {
			for _, l := range ls {
				seen[l] = true
			}
		}
		for _, d := range pf.Directives {
			seen[d.Line] = true
		}
		for _, p := range pf.Problems {
			seen[p.Line] = true
		}
	} else {
		pf, err := hba.Parse(content, v)
		if err != nil {
			return nil, false
		}
		for _, r := range pf.Rules {
			seen[r.Line] = true
		}
		for _, d := range pf.Directives {
			seen[d.Line] = true
		}
		for _, p := range pf.Problems {
			seen[p.Line] = true
		}
	}
	out := make([]int, 0, len(seen))
	for l := range seen {
		out = append(out, l)
	}
	slices.Sort(out)
	return out, true
}

// pgtlsReason adds what pgtls's own parser says about a line the server
// returned without an error text.
func pgtlsReason(content string, v, line int, kind localfiles.Kind, _ bool) string {
	pf, err := hba.Parse(content, v)
	if err != nil {
		return ""
	}
	var msgs []string
	for _, p := range pf.Problems {
		if p.Line == line {
			msgs = append(msgs, p.Message)
		}
	}
	if len(msgs) == 0 {
		return ""
	}
	return "; pgtls's parser says: " + redactFor(kind, strings.Join(msgs, "; "))
}

func firstDifference(want, got []int) string {
	for i := 0; i < len(want) && i < len(got); i++ {
		if want[i] != got[i] {
			return fmt.Sprintf("pgtls has a rule on line %d, the server on line %d", want[i], got[i])
		}
	}
	if len(want) > len(got) {
		return fmt.Sprintf("the server has nothing for line %d", want[len(got)])
	}
	if len(got) > len(want) {
		return fmt.Sprintf("pgtls wrote nothing on line %d", got[len(want)])
	}
	return "same lines"
}

// pgConfirm waits until a new connection shows the reload
// (pg_conf_load_time changed), then opens one more connection, which the
// postmaster can only have accepted with the reloaded pg_hba.conf, and
// checks what it was served. It returns that connection and the load time
// it saw.
func pgConfirm(ctx context.Context, t Target, srv *pgServer, ix *fileIndex) (*check.Session, string, []Finding) {
	deadline := time.Now().Add(t.timeout())
	var last, seen string
	for {
		s, err := connect(ctx, t, "")
		if err != nil {
			var ce *check.ConnectError
			if errors.As(err, &ce) && ce.Category == check.CatServer && strings.HasPrefix(ce.SQLState, "28") {
				return nil, "", []Finding{{Message: "after the reload the server refuses the connection pgtls reloads it with, so the new files would lock this role out: " + ce.Msg}}
			}
			last = err.Error()
		} else {
			rows, qerr := query(ctx, s.Conn, "SELECT pg_catalog.pg_conf_load_time()::text")
			_ = s.Close(ctx)
			if qerr == nil && len(rows) == 1 && str(rows[0][0]) != srv.loadTime {
				seen = str(rows[0][0])
				break
			}
			if qerr != nil {
				last = describeErr(qerr)
			} else {
				last = "pg_conf_load_time() is still " + srv.loadTime
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, "", []Finding{{Message: fmt.Sprintf("the reload did not show within %s (%s)", t.timeout(), last)}}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s, err := connect(ctx, t, "")
	if err != nil {
		return nil, seen, []Finding{{Message: "after the reload a new connection failed, so the new files would lock this role out: " + err.Error()}}
	}
	certPath := srv.abs(srv.settings["ssl_cert_file"])
	if _, ok := ix.lookup(certPath); ok && s.Peer != nil {
		if want := leafFingerprint(certPath); want != "" && fingerprint(s.Peer) != want {
			_ = s.Close(ctx)
			return nil, seen, []Finding{{File: certPath, Message: "after the reload the server still presents its previous certificate: it did not load the new TLS files (PostgreSQL logs \"SSL configuration was not reloaded\")"}}
		}
	}
	return s, seen, nil
}

// pgWaitBack waits, after the previous files were reloaded again, until a
// new connection is accepted and shows a load time other than seen (the
// failed reload's; "" when that one was never seen).
func pgWaitBack(ctx context.Context, t Target, seen string) error {
	deadline := time.Now().Add(t.timeout())
	var last string
	for {
		s, err := connect(ctx, t, "")
		if err == nil {
			rows, qerr := query(ctx, s.Conn, "SELECT pg_catalog.pg_conf_load_time()::text")
			_ = s.Close(ctx)
			if qerr == nil && len(rows) == 1 && (seen == "" || str(rows[0][0]) != seen) {
				return nil
			}
			last = "pg_conf_load_time() unchanged"
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("not within %s (%s)", t.timeout(), last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
