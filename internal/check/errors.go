package check

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

func describeQueryErr(ctx context.Context, prefix string, err error) (msg, state, cat string) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return prefix + ": " + formatPgError(pgErr), pgErr.Code, CatServer
	}
	if ctx.Err() != nil {
		return prefix + ": timeout", "", CatTimeout
	}
	return prefix + ": " + oneLine(err.Error()), "", CatProtocol
}

func innermost(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return oneLine(err.Error())
		}
		if j, ok := u.(interface{ Unwrap() []error }); ok {
			es := j.Unwrap()
			if len(es) == 0 {
				return oneLine(u.Error())
			}
			u = es[len(es)-1]
		}
		err = u
	}
}

// isReset: the peer closed the connection (our read saw EOF or a reset, or
// our write hit the closed socket first).
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func isTLSAlert(err error) bool {
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return true
	}
	return strings.Contains(err.Error(), "remote error: tls:")
}

func tlsAlertText(err error) string {
	s := err.Error()
	if i := strings.Index(s, "remote error: tls:"); i >= 0 {
		return s[i:]
	}
	return innermost(err)
}

func formatPgError(e *pgconn.PgError) string {
	s := e.Severity + ": " + e.Message
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return oneLine(s + " (SQLSTATE " + e.Code + ")")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// classifyConnectErr turns the error pgconn.ConnectConfig returned for one
// attempt into libpq's wording and a failure category (Cat*), using what the
// dialer and the authentication sniffer observed during the attempt.
func classifyConnectErr(ctx context.Context, req Request, m *material, a *attempt, err error) (cat, sqlState string, out error) {
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		return CatServer, pgErr.Code, errors.New(formatPgError(pgErr))
	case a.noPassword.Load():
		return CatNoPassword, "", errNoPassword
	case a.cbErr.Load():
		return CatChannelBinding, "", errors.New(innermost(err))
	case a.dialErr != nil:
		return a.dialCat, "", a.dialErr
	case errors.As(err, new(*net.DNSError)) && !expired(ctx):
		var de *net.DNSError
		errors.As(err, &de)
		return CatConnect, "", fmt.Errorf("could not translate host name %q to address: %s", req.Host, de.Err)
	case expired(ctx):
		return CatTimeout, "", fmt.Errorf("timeout expired after %s", m.timeout)
	case a.tlsDone && isTLSAlert(err):
		// e.g. the server rejected our client certificate (TLS 1.3 reports
		// that after the handshake, on the first read).
		return CatTLS, "", fmt.Errorf("SSL error: %s", tlsAlertText(err))
	case a.tlsDone && isReset(err):
		// libpq's words for a TLS connection the server closed without an
		// alert. The cause is unknown here (the server logs it: an
		// oversized startup packet, a crash, a rejected certificate whose
		// alert was lost), so only facts are added.
		msg := "SSL connection has been closed unexpectedly"
		if a.clientSent && !a.authOK.Load() {
			msg += " (before authentication completed; the server had asked for the client certificate and received it, and may have rejected it)"
		}
		return CatProtocol, "", errors.New(msg)
	default:
		return CatProtocol, "", fmt.Errorf("server closed the connection unexpectedly: %s", innermost(err))
	}
}
