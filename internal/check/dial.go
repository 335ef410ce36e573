package check

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

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
	a.remoteAddr = raw.RemoteAddr().String()
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
		a.refused = true
		if mode == ModeAllow || mode == ModePrefer {
			// libpq: SSL was only desired, so the startup continues
			// unencrypted on this same connection; nothing is an error.
			a.plainAfterRefusal = true
			_ = raw.SetDeadline(time.Time{})
			return raw, nil
		}
		raw.Close()
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
