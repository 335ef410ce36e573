package check

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Session is one open connection made with the same libpq rules as Run,
// for callers that need to run statements on the server (the safe reload).
type Session struct {
	Conn      *pgconn.PgConn
	Encrypted bool
	// Peer is the leaf certificate the server presented (nil without TLS).
	Peer *x509.Certificate
}

// Close ends the session.
func (s *Session) Close(ctx context.Context) error { return s.Conn.Close(ctx) }

// ConnectError is why Connect failed: one readable line (never a secret),
// the failure category (a Cat* constant) and the server's SQLSTATE when it
// sent an error.
type ConnectError struct {
	Msg      string
	Category string
	SQLState string
}

func (e *ConnectError) Error() string { return e.Msg }

// Connect opens one connection to req's server as libpq would in mode. Only
// the modes that make a single, predictable attempt are accepted: disable,
// require, verify-ca and verify-full (prefer and allow may silently fall
// back, which a caller acting on the server should not). req.SSLModes is
// ignored.
//
// A Host starting with "/" is a unix-domain socket directory (mode must be
// disable there: TLS does not apply to sockets, as in libpq).
//
// The whole connection, TLS handshake and authentication included, is
// bounded by req.ConnectTimeout (default 5s) and by ctx.
func Connect(ctx context.Context, req Request, mode SSLMode) (*Session, error) {
	switch mode {
	case ModeDisable, ModeRequire, ModeVerifyCA, ModeVerifyFull:
	case ModeAllow, ModePrefer:
		return nil, &ConnectError{Category: CatInvalidReq, Msg: fmt.Sprintf("sslmode %s may fall back silently; use disable, require, verify-ca or verify-full", mode)}
	default:
		return nil, &ConnectError{Category: CatInvalidReq, Msg: fmt.Sprintf("unknown sslmode %q; must be one of %s", mode, modeList())}
	}
	socket := strings.HasPrefix(req.Host, "/")
	checked := req
	checked.SSLModes = nil
	if socket {
		if mode != ModeDisable {
			return nil, &ConnectError{Category: CatInvalidReq, Msg: fmt.Sprintf("host %q is a unix-domain socket directory: sslmode must be disable there (TLS only applies to TCP)", req.Host)}
		}
		checked.Host = "localhost" // the other fields are checked as for TCP
	}
	m, probs := checked.prepare()
	if len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, p := range probs {
			msgs[i] = p.String()
		}
		return nil, &ConnectError{Category: CatInvalidReq, Msg: "invalid request: " + strings.Join(msgs, "; ")}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	cctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()

	a := &attempt{useTLS: mode != ModeDisable}
	if socket {
		cfg, err := baseConfig(req, m)
		if err != nil {
			return nil, &ConnectError{Category: CatInvalidReq, Msg: err.Error()}
		}
		conn, err := pgconn.ConnectConfig(cctx, cfg)
		if err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) {
				return nil, &ConnectError{Category: CatServer, SQLState: pgErr.Code, Msg: formatPgError(pgErr)}
			}
			if expired(cctx) {
				return nil, &ConnectError{Category: CatTimeout, Msg: fmt.Sprintf("timeout expired after %s", m.timeout)}
			}
			return nil, &ConnectError{Category: CatConnect, Msg: "could not connect to the server's socket in " + req.Host + ": " + innermost(err)}
		}
		return &Session{Conn: conn}, nil
	}
	connectAttempt(cctx, req, m, mode, a)
	if a.conn == nil {
		msg := "connection failed"
		if a.finalErr != nil {
			msg = oneLine(a.finalErr.Error())
		}
		return nil, &ConnectError{Category: a.finalCat, SQLState: a.sqlState, Msg: msg}
	}
	return &Session{Conn: a.conn, Encrypted: a.useTLS && a.tlsDone, Peer: a.peer}, nil
}
