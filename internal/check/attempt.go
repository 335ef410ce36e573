package check

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// attempt is one connection attempt (one TCP connection).
type attempt struct {
	useTLS bool

	// filled while connecting
	refused bool // server answered 'N' to SSLRequest
	// plainAfterRefusal: allow/prefer went on unencrypted on the same
	// connection after the refusal (libpq does; require and above fail).
	plainAfterRefusal bool
	tlsDone           bool
	tlsState          tls.ConnectionState
	peer              *x509.Certificate
	clientSent        bool
	certAsked         bool // the server sent a CertificateRequest
	localAddr         *net.TCPAddr
	remoteAddr        string // the address the last dial reached ("" when none was reached)
	dialErr           error  // our own failure inside DialFunc (TCP, SSLRequest, handshake, verification)
	dialCat           string // its category
	authOK            atomic.Bool
	noPassword        atomic.Bool
	cbErr             atomic.Bool // channel binding impossible (see endPointHashDefined)
	finalErr          error
	finalCat          string
	sqlState          string
	conn              *pgconn.PgConn
}

// baseConfig returns a pgconn.Config built from a fully explicit keyword
// string, then overwritten field by field, so that no PG* variable, no
// ~/.pgpass, ~/.pg_service.conf or ~/.postgresql/* file influences the
// connection (ParseConfig reads them; every value they could set is
// replaced below, and TLS is done by our own dialer).
func baseConfig(req Request, m *material) (*pgconn.Config, error) {
	dsn := "host=127.0.0.1 port=5432 user=pgtls dbname=pgtls password=x passfile='' sslmode=disable sslrootcert='' sslcert='' sslkey='' sslcertmode=allow sslnegotiation=postgres target_session_attrs=any min_protocol_version=3.0 max_protocol_version=3.0 channel_binding=prefer require_auth='' connect_timeout=0"
	cfg, err := pgconn.ParseConfigWithOptions(dsn, pgconn.ParseConfigOptions{})
	if err != nil {
		// Only a PGSERVICE pointing at a missing service can get here; do
		// not echo the environment.
		return nil, errors.New("could not build a connection configuration (is PGSERVICE set to an unknown service?)")
	}
	cfg.Host = req.Host
	cfg.Port = uint16(m.port)
	cfg.Database = req.Database
	cfg.User = req.User
	cfg.Password = req.Password
	cfg.TLSConfig = nil // TLS is negotiated by our DialFunc
	cfg.Fallbacks = nil
	cfg.ConnectTimeout = 0
	cfg.SSLNegotiation = "postgres"
	cfg.SSLCertMode = "allow"
	cfg.ChannelBinding = "prefer"
	cfg.RequireAuth = ""
	cfg.MinProtocolVersion = "3.0"
	cfg.MaxProtocolVersion = "3.0"
	cfg.KerberosSrvName = ""
	cfg.KerberosSpn = ""
	cfg.ValidateConnect = nil
	cfg.AfterConnect = nil
	cfg.AfterNetConnect = nil
	cfg.OAuthTokenProvider = nil
	cfg.OnNotice = nil
	cfg.OnNotification = nil
	// libpq sends user, database and nothing else unless asked to
	// (application_name, options, ...): no runtime parameters.
	cfg.RuntimeParams = map[string]string{}
	return cfg, nil
}

// connectAttempt makes one TCP connection, negotiating TLS itself when
// a.useTLS, and runs the startup/authentication through pgconn.
func connectAttempt(ctx context.Context, req Request, m *material, mode SSLMode, a *attempt) {
	cfg, err := baseConfig(req, m)
	if err != nil {
		a.finalErr, a.finalCat = err, CatInvalidReq
		return
	}
	cfg.LookupFunc = (&net.Resolver{}).LookupHost
	cfg.DialFunc = func(dctx context.Context, network, addr string) (net.Conn, error) {
		// A host name may resolve to several addresses, tried in turn
		// (like libpq): keep only the last address's state.
		a.refused, a.plainAfterRefusal, a.tlsDone, a.peer, a.clientSent, a.certAsked = false, false, false, nil, false, false
		a.localAddr, a.dialErr, a.dialCat = nil, nil, ""
		c, err := dialAndNegotiate(dctx, m, mode, a, network, addr)
		if err != nil && a.dialErr == nil {
			a.dialErr, a.dialCat = err, CatProtocol
		}
		return c, err
	}
	cfg.BuildFrontend = func(r io.Reader, w io.Writer) *pgproto3.Frontend {
		return pgproto3.NewFrontend(&authSniffer{r: r, a: a, noPassword: req.Password == ""}, w)
	}
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err == nil {
		a.conn = conn
		return
	}
	a.finalCat, a.sqlState, a.finalErr = classifyConnectErr(ctx, req, m, a, err)
}
