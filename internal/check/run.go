// The libpq sslmode state machine: which connection attempts each mode
// makes, and how their outcomes become one Result.

package check

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Run probes every requested sslmode concurrently and returns one Result per
// mode in the request's order. Each probe is bounded by the request's
// timeout (and by ctx). An invalid request yields a failed Result per mode
// whose Error lists the problems.
func Run(ctx context.Context, req Request) []Result {
	if ctx == nil {
		ctx = context.Background()
	}
	m, probs := req.prepare()
	modes := m.modes
	results := make([]Result, len(modes))
	if len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, p := range probs {
			msgs[i] = p.String()
		}
		for i, mode := range modes {
			results[i] = Result{Mode: mode, Path: PathNone, Category: CatInvalidReq, Error: "invalid request: " + strings.Join(msgs, "; ")}
		}
		return results
	}
	var wg sync.WaitGroup
	for i, mode := range modes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = probeMode(ctx, req, m, mode)
		}()
	}
	wg.Wait()
	return results
}

func probeMode(parent context.Context, req Request, m *material, mode SSLMode) (res Result) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(parent, m.timeout)
	defer cancel()
	res = Result{Mode: mode}
	defer func() { res.Duration = time.Since(start) }()

	run := func(useTLS bool) *attempt {
		a := &attempt{useTLS: useTLS}
		t0 := time.Now()
		connectAttempt(ctx, req, m, mode, a)
		outcome := "connected"
		if a.conn == nil {
			outcome = "failed"
			if a.finalErr != nil {
				outcome = "failed: " + oneLine(a.finalErr.Error())
			}
		}
		res.Attempts = append(res.Attempts, Attempt{TLS: useTLS, Address: a.remoteAddr, Outcome: outcome, Duration: time.Since(t0)})
		return a
	}

	var attempts []*attempt
	switch mode {
	case ModeDisable:
		attempts = append(attempts, run(false))
	case ModeAllow:
		a := run(false)
		attempts = append(attempts, a)
		// libpq: an ErrorResponse before AuthenticationOk on the
		// unencrypted connection makes allow retry once with SSL.
		if a.conn == nil && a.sqlState != "" && !a.authOK.Load() {
			attempts = append(attempts, run(true))
		}
	case ModePrefer:
		a := run(true)
		attempts = append(attempts, a)
		switch {
		case a.conn != nil:
		case a.refused:
			// Server said N: the attempt already went on unencrypted on
			// the same connection (libpq does not reconnect), so its
			// outcome is final.
		case (a.dialCat == CatCertVerify || a.dialCat == CatTLS) && !a.tlsDone:
			// TLS handshake failure: libpq retries without SSL. (An alert
			// after a completed TLS 1.3 handshake, e.g. the server
			// rejecting our certificate, is a read error to libpq: no
			// retry.)
			attempts = append(attempts, run(false))
		case a.tlsDone && a.sqlState != "" && !a.authOK.Load():
			// ErrorResponse on the SSL connection before authentication
			// completed: libpq retries without SSL.
			attempts = append(attempts, run(false))
		}
	default: // require, verify-ca, verify-full
		attempts = append(attempts, run(true))
	}

	last := attempts[len(attempts)-1]
	res.Path = pathOf(attempts)
	// TLS details from the last attempt that reached a handshake.
	for _, a := range attempts {
		if a.peer != nil {
			res.ServerCertificate = summarizeCert(a.peer)
		}
		if a.tlsDone {
			// libpq, psql and pg_stat_ssl spell it "TLSv1.3", Go "TLS 1.3".
			res.TLSVersion = strings.Replace(tls.VersionName(a.tlsState.Version), "TLS 1.", "TLSv1.", 1)
			res.Cipher = tls.CipherSuiteName(a.tlsState.CipherSuite)
			res.ClientCertificateSent = a.clientSent
		}
	}
	if last.conn == nil {
		res.Encrypted = last.tlsDone
		res.Category = last.finalCat
		res.SQLState = last.sqlState
		var parts []string
		for _, a := range attempts {
			label := "plaintext"
			switch {
			case a.plainAfterRefusal:
				label = "plaintext (server refused SSL)"
			case a.useTLS:
				label = "tls"
			}
			if len(attempts) > 1 {
				parts = append(parts, label+": "+oneLine(a.finalErr.Error()))
			} else {
				parts = append(parts, oneLine(a.finalErr.Error()))
			}
		}
		res.Error = strings.Join(parts, "; then ")
		return res
	}

	conn := last.conn
	// Close within the probe's own budget: with ctx already done pgconn
	// skips the Terminate message and just closes the socket.
	defer func() { _ = conn.Close(ctx) }()
	res.Encrypted = last.useTLS && last.tlsDone
	res.ServerVersion = conn.ParameterStatus("server_version")

	rows, err := queryRows(ctx, conn, "SELECT current_user::text")
	if err != nil || len(rows) != 1 || len(rows[0]) != 1 {
		res.Category = CatProtocol
		if err == nil {
			err = fmt.Errorf("unexpected result shape")
		}
		res.Error, res.SQLState, res.Category = describeQueryErr(ctx, "connected, but SELECT current_user failed", err)
		return res
	}
	res.AuthenticatedUser = deref(rows[0][0])
	res.Success = true
	res.SSLStat = sslStat(ctx, conn, last.localAddr)
	return res
}

func pathOf(as []*attempt) string {
	first := as[0]
	switch len(as) {
	case 1:
		switch {
		case first.conn == nil && first.localAddr == nil:
			return PathNone
		case first.plainAfterRefusal:
			return PathTLSRefusedPlaintext
		case first.refused:
			return PathTLSRefused
		case first.useTLS:
			return PathTLS
		default:
			return PathPlaintext
		}
	default:
		second := as[1]
		switch {
		case first.useTLS:
			return PathTLSThenPlaintext
		case second.refused:
			return PathPlaintextThenRefused
		default:
			return PathPlaintextThenTLS
		}
	}
}
