package check

import (
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"strings"
)

var errNoPassword = errors.New("fe_sendauth: no password supplied")

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
