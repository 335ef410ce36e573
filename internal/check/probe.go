package check

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
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

// attempt is one connection attempt (one TCP connection).
type attempt struct {
	useTLS bool

	// filled while connecting
	refused    bool // server answered 'N' to SSLRequest
	tlsDone    bool
	tlsState   tls.ConnectionState
	peer       *x509.Certificate
	clientSent bool
	certAsked  bool // the server sent a CertificateRequest
	localAddr  *net.TCPAddr
	dialErr    error  // our own failure inside DialFunc (TCP, SSLRequest, handshake, verification)
	dialCat    string // its category
	authOK     atomic.Bool
	noPassword atomic.Bool
	cbErr      atomic.Bool // channel binding impossible (see endPointHashDefined)
	finalErr   error
	finalCat   string
	sqlState   string
	conn       *pgconn.PgConn
}

var errNoPassword = errors.New("fe_sendauth: no password supplied")

func probeMode(parent context.Context, req Request, m *material, mode SSLMode) Result {
	ctx, cancel := context.WithTimeout(parent, m.timeout)
	defer cancel()
	res := Result{Mode: mode}

	run := func(useTLS bool) *attempt {
		a := &attempt{useTLS: useTLS}
		connectAttempt(ctx, req, m, mode, a)
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
			// Server said N: continue unencrypted.
			attempts = append(attempts, run(false))
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
			if a.useTLS {
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
	res.AuthenticatedUser = derefOr(rows[0][0], "")
	res.Success = true
	res.SSLStat = sslStat(ctx, conn, last.localAddr)
	return res
}

func derefOr(p *string, d string) string {
	if p == nil {
		return d
	}
	return *p
}

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

// sslStat reads pg_stat_ssl for the backend serving this session, but only
// when that backend's client is this very socket: through a pooler the row
// would describe the pooler's own server connection, so nil is returned.
func sslStat(ctx context.Context, conn *pgconn.PgConn, local *net.TCPAddr) *SSLStat {
	if local == nil {
		return nil
	}
	rows, err := queryRows(ctx, conn, `SELECT s.ssl::text, s.version, s.cipher, s.bits::text, s.client_dn, s.client_serial::text, s.issuer_dn, host(a.client_addr), a.client_port::text
FROM pg_catalog.pg_stat_ssl s JOIN pg_catalog.pg_stat_activity a ON a.pid = s.pid
WHERE s.pid = pg_catalog.pg_backend_pid()`)
	if err != nil || len(rows) != 1 || len(rows[0]) != 9 {
		return nil
	}
	r := rows[0]
	addr, port := derefOr(r[7], ""), derefOr(r[8], "")
	ip, err := netipParse(addr)
	if err != nil || !ip.Equal(local.IP) || port != strconv.Itoa(local.Port) {
		return nil
	}
	st := &SSLStat{
		SSL:          derefOr(r[0], "") == "true",
		Version:      derefOr(r[1], ""),
		Cipher:       derefOr(r[2], ""),
		ClientDN:     derefOr(r[4], ""),
		ClientSerial: derefOr(r[5], ""),
		IssuerDN:     derefOr(r[6], ""),
	}
	if b := derefOr(r[3], ""); b != "" {
		st.Bits, _ = strconv.Atoi(b)
	}
	return st
}

func netipParse(s string) (net.IP, error) {
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, fmt.Errorf("not an IP: %q", s)
	}
	return ip, nil
}

func queryRows(ctx context.Context, conn *pgconn.PgConn, sql string) ([][]*string, error) {
	results, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(results) != 1 {
		return nil, fmt.Errorf("expected one result, got %d", len(results))
	}
	var out [][]*string
	for _, row := range results[0].Rows {
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

func pathOf(as []*attempt) string {
	first := as[0]
	switch len(as) {
	case 1:
		switch {
		case first.conn == nil && first.localAddr == nil:
			return PathNone
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
		case first.useTLS && first.refused:
			return PathTLSRefusedPlaintext
		case first.useTLS:
			return PathTLSThenPlaintext
		case second.refused:
			return PathPlaintextThenRefused
		default:
			return PathPlaintextThenTLS
		}
	}
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
		a.refused, a.tlsDone, a.peer, a.clientSent, a.certAsked = false, false, nil, false, false
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
	a.finalErr = err
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		a.finalErr = errors.New(formatPgError(pgErr))
		a.sqlState, a.finalCat = pgErr.Code, CatServer
	case a.noPassword.Load():
		a.finalErr, a.finalCat = errNoPassword, CatNoPassword
	case a.cbErr.Load():
		a.finalErr, a.finalCat = errors.New(innermost(err)), CatChannelBinding
	case a.dialErr != nil:
		a.finalErr, a.finalCat = a.dialErr, a.dialCat
	case errors.As(err, new(*net.DNSError)) && !expired(ctx):
		var de *net.DNSError
		errors.As(err, &de)
		a.finalErr, a.finalCat = fmt.Errorf("could not translate host name %q to address: %s", req.Host, de.Err), CatConnect
	case expired(ctx):
		a.finalErr, a.finalCat = fmt.Errorf("timeout expired after %s", m.timeout), CatTimeout
	case a.tlsDone && a.certAsked && !a.authOK.Load() && isReset(err):
		a.finalErr, a.finalCat = errors.New("SSL error: server closed the connection right after the TLS handshake in which it asked for a client certificate (it most likely rejected the certificate sent, or its absence)"), CatTLS
	case a.tlsDone && isTLSAlert(err):
		// e.g. the server rejected our client certificate (TLS 1.3 reports
		// that after the handshake, on the first read).
		a.finalErr, a.finalCat = fmt.Errorf("SSL error: %s", tlsAlertText(err)), CatTLS
	default:
		a.finalErr, a.finalCat = fmt.Errorf("server closed the connection unexpectedly: %s", innermost(err)), CatProtocol
	}
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

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
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

// dialAndNegotiate dials TCP and, for a TLS attempt, performs libpq's
// SSLRequest and handshake with libpq's verification rules.
func dialAndNegotiate(ctx context.Context, m *material, mode SSLMode, a *attempt, network, addr string) (net.Conn, error) {
	fail := func(cat string, err error) (net.Conn, error) {
		if expired(ctx) && (cat == CatConnect || cat == CatProtocol || cat == CatTLS) {
			cat, err = CatTimeout, fmt.Errorf("timeout expired after %s (%s)", m.timeout, stage(cat))
		}
		a.dialErr, a.dialCat = err, cat
		return nil, err
	}
	var d net.Dialer
	raw, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return fail(CatConnect, fmt.Errorf("could not connect to server at %s: %s", addr, innermost(err)))
	}
	if tcp, ok := raw.LocalAddr().(*net.TCPAddr); ok {
		a.localAddr = tcp
	}
	if !a.useTLS {
		return raw, nil
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[0:4], 8)
	binary.BigEndian.PutUint32(hdr[4:8], 80877103)
	if _, err := raw.Write(hdr[:]); err != nil {
		raw.Close()
		return fail(CatProtocol, fmt.Errorf("could not send SSL negotiation packet: %s", innermost(err)))
	}
	var resp [1]byte
	if _, err := io.ReadFull(raw, resp[:]); err != nil {
		raw.Close()
		return fail(CatProtocol, fmt.Errorf("server closed the connection during SSL negotiation: %s", innermost(err)))
	}
	switch resp[0] {
	case 'S':
	case 'N':
		raw.Close()
		a.refused = true
		return fail(CatSSLRefused, errors.New("server does not support SSL, but SSL was required"))
	default:
		raw.Close()
		return fail(CatProtocol, fmt.Errorf("received invalid response to SSL negotiation: %q", resp[0]))
	}
	verifyChain := m.haveRoot
	if (mode == ModeVerifyCA || mode == ModeVerifyFull) && !m.haveRoot {
		raw.Close()
		return fail(CatNoRootCert, fmt.Errorf("root certificate required for sslmode=%s, but root_cert_pem is empty (the system store is never used)", mode))
	}
	tcfg := &tls.Config{
		MinVersion:         tls.VersionTLS12, // libpq's ssl_min_protocol_version default
		InsecureSkipVerify: true,             // verification is ours, below
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			a.certAsked = true
			if m.clientCert == nil {
				return &tls.Certificate{}, nil
			}
			a.clientSent = true
			return m.clientCert, nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) > 0 {
				a.peer = cs.PeerCertificates[0]
			}
			if !verifyChain {
				return nil
			}
			if err := m.verifyChain(cs.PeerCertificates, time.Now()); err != nil {
				a.dialErr, a.dialCat = err, CatCertVerify
				return err
			}
			return nil
		},
	}
	// Session tickets are never reused (Get finds nothing, like libpq
	// without a session cache); Put only tells peekAlert that the server
	// accepted the handshake, including our certificate.
	tickets := &ticketSignal{}
	tcfg.ClientSessionCache = tickets
	// libpq sends SNI (sslsni=1) unless the host is an IP address.
	if !isIPHost(m.verifyName) {
		tcfg.ServerName = m.verifyName
	}
	tc := tls.Client(raw, tcfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		tc.Close()
		if a.dialCat == CatCertVerify {
			return nil, a.dialErr
		}
		if expired(ctx) {
			return fail(CatTimeout, fmt.Errorf("timeout expired after %s (TLS handshake)", m.timeout))
		}
		return fail(CatTLS, fmt.Errorf("SSL error: %s", innermost(err)))
	}
	a.tlsDone = true
	a.tlsState = tc.ConnectionState()
	if mode == ModeVerifyFull {
		if err := matchHostName(a.peer, m.verifyName); err != nil {
			tc.Close()
			return fail(CatHostname, err)
		}
	}
	if a.certAsked && a.tlsState.Version == tls.VersionTLS13 {
		// In TLS 1.3 the server judges our certificate (or its absence)
		// only after our Finished, so its rejection alert arrives after
		// the handshake "succeeded". Wait briefly for it before the startup
		// packet is written: otherwise the write hits the closed socket and
		// the RST discards the alert. Only NewSessionTicket (handled inside
		// crypto/tls) or nothing can legitimately arrive here, since the
		// server waits for our startup packet.
		tickets.mu.Lock()
		tickets.conn = tc
		got := tickets.got
		tickets.mu.Unlock()
		var perr error
		if !got {
			perr = peekAlert(ctx, tc)
		}
		// Later tickets (OpenSSL sends two) must not touch the deadline
		// of the connection pgconn is about to use.
		tickets.mu.Lock()
		tickets.conn = nil
		tickets.mu.Unlock()
		if perr != nil {
			tc.Close()
			return fail(CatTLS, fmt.Errorf("SSL error: %s", innermost(perr)))
		}
	}
	_ = raw.SetDeadline(time.Time{})
	return tc, nil
}

// ticketSignal is a ClientSessionCache that stores nothing. A
// NewSessionTicket is sent by an OpenSSL server only after it has verified
// our Finished and certificate, so its arrival ends peekAlert's wait early.
type ticketSignal struct {
	mu   sync.Mutex
	got  bool
	conn *tls.Conn
}

func (s *ticketSignal) Get(string) (*tls.ClientSessionState, bool) { return nil, false }

func (s *ticketSignal) Put(string, *tls.ClientSessionState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = true
	if s.conn != nil {
		_ = s.conn.SetReadDeadline(time.Now())
	}
}

// alertWait bounds peekAlert.
const alertWait = 150 * time.Millisecond

func peekAlert(ctx context.Context, tc *tls.Conn) error {
	wait := time.Now().Add(alertWait)
	if dl, ok := ctx.Deadline(); ok && dl.Before(wait) {
		wait = dl
	}
	_ = tc.SetReadDeadline(wait)
	defer func() { _ = tc.SetReadDeadline(time.Time{}) }()
	var b [1]byte
	n, err := tc.Read(b[:])
	if n > 0 {
		return fmt.Errorf("server sent data before the startup packet")
	}
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	return err
}

// expired reports whether ctx is done or its deadline has passed (a socket
// deadline set to the context's deadline can fire a moment before ctx.Done).
func expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

func stage(cat string) string {
	switch cat {
	case CatConnect:
		return "connecting"
	case CatTLS:
		return "TLS handshake"
	}
	return "SSL negotiation"
}

// authSniffer watches the backend message stream pgconn reads to learn
// whether AuthenticationOk arrived (libpq's allow/prefer retry only happens
// before it) and to fail like libpq when a password is requested but none
// was given (pgx would send an empty one).
type authSniffer struct {
	r          io.Reader
	a          *attempt
	noPassword bool
	hdr        []byte
	body       int // bytes of the current message body still to skip
	typ        byte
	code       []byte
	done       bool
}

func (s *authSniffer) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if !s.done {
		if serr := s.scan(p[:n]); serr != nil {
			return 0, serr
		}
	}
	return n, err
}

func (s *authSniffer) scan(b []byte) error {
	for len(b) > 0 && !s.done {
		if s.body == 0 && len(s.hdr) < 5 {
			need := min(5-len(s.hdr), len(b))
			s.hdr = append(s.hdr, b[:need]...)
			b = b[need:]
			if len(s.hdr) == 5 {
				s.typ = s.hdr[0]
				s.body = int(binary.BigEndian.Uint32(s.hdr[1:5])) - 4
				s.code = s.code[:0]
				if s.body <= 0 {
					s.hdr, s.body = s.hdr[:0], 0
				}
			}
			continue
		}
		take := min(s.body, len(b))
		if s.typ == 'R' && len(s.code) < maxAuthBody {
			s.code = append(s.code, b[:min(take, maxAuthBody-len(s.code))]...)
		}
		s.body -= take
		b = b[take:]
		if s.body == 0 {
			s.hdr = s.hdr[:0]
			if s.typ == 'R' {
				if err := s.authRequest(s.code); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// maxAuthBody bounds what authSniffer keeps of one authentication message.
const maxAuthBody = 4096

func (s *authSniffer) authRequest(body []byte) error {
	if len(body) < 4 {
		return nil
	}
	switch binary.BigEndian.Uint32(body) {
	case 0: // AuthenticationOk
		s.a.authOK.Store(true)
		s.done = true
	case 3, 5: // cleartext, MD5
		if s.noPassword {
			s.a.noPassword.Store(true)
			return errNoPassword
		}
	case 10: // SASL: mechanism list
		if s.noPassword {
			s.a.noPassword.Store(true)
			return errNoPassword
		}
		plus := false
		for _, mech := range strings.Split(string(body[4:]), "\x00") {
			if mech == "SCRAM-SHA-256-PLUS" {
				plus = true
			}
		}
		// libpq picks SCRAM-SHA-256-PLUS whenever it is offered over TLS
		// (channel_binding=prefer) and then needs the tls-server-end-point
		// hash of the server certificate, which is undefined for some
		// signature algorithms: libpq fails the connection there, while
		// pgx would quietly fall back to plain SCRAM.
		if plus && s.a.tlsDone && s.a.peer != nil {
			if err := endPointHashDefined(s.a.peer); err != nil {
				s.a.cbErr.Store(true)
				return err
			}
		}
	}
	return nil
}

// endPointHashDefined mirrors libpq's pgtls_get_peer_certificate_hash: the
// hash follows the certificate's signature digest (MD5/SHA-1 become
// SHA-256); without a digest (Ed25519, unknown algorithms) it errors.
func endPointHashDefined(c *x509.Certificate) error {
	switch c.SignatureAlgorithm {
	case x509.PureEd25519:
		return errors.New("could not find digest for NID UNDEF: the server certificate is signed with Ed25519, for which SCRAM channel binding (tls-server-end-point) is undefined")
	case x509.UnknownSignatureAlgorithm:
		return errors.New("could not find digest for NID UNDEF: the server certificate's signature algorithm has no digest for SCRAM channel binding (tls-server-end-point)")
	}
	return nil
}
