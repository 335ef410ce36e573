package x509util

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// PEM block types.
const (
	BlockCertificate  = "CERTIFICATE"
	BlockCRL          = "X509 CRL"
	BlockPKCS8Key     = "PRIVATE KEY"
	BlockPKCS1Key     = "RSA PRIVATE KEY"
	BlockSEC1Key      = "EC PRIVATE KEY"
	BlockECParameters = "EC PARAMETERS"
	blockEncryptedKey = "ENCRYPTED PRIVATE KEY"
)

var (
	beginMarker = []byte("-----BEGIN")
	endMarker   = []byte("-----END")
)

// block is a decoded PEM block with its position for messages.
type block struct {
	*pem.Block
	index int // 1-based
	line  int // line of its BEGIN marker, 1-based
}

// decodePEM splits s into PEM blocks under the package rule: text outside
// blocks is ignored unless it contains a PEM marker, and every block must
// decode. what names the input in messages ("certificate", "CRL", ...).
func decodePEM(s, what string) ([]block, error) {
	data := []byte(s)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s PEM is empty", what)
	}
	var out []block
	offset := 0
	lines := lineCounter{data: data, line: 1}
	for {
		rest := data[offset:]
		i := beginLineIndex(rest)
		text := rest
		if i >= 0 {
			text = rest[:i]
		}
		if j := markerIndex(text); j >= 0 {
			return nil, fmt.Errorf("line %d holds a PEM marker (\"-----BEGIN\" or \"-----END\") outside any well-formed block: "+
				"fix or remove it (OpenSSL ignores only plain text around the blocks, and pgtls refuses what could be a broken certificate or key rather than drop it)",
				lines.at(offset+j))
		}
		if i < 0 {
			break
		}
		start := offset + i
		b, r := pem.Decode(data[start:])
		consumed := data[start : len(data)-len(r)]
		if b == nil || bytes.Count(consumed, beginMarker) != 1 {
			return nil, fmt.Errorf("PEM block %d (line %d) is malformed: bad base64, or no matching \"-----END ...-----\" line", len(out)+1, lines.at(start))
		}
		out = append(out, block{Block: b, index: len(out) + 1, line: lines.at(start)})
		offset = len(data) - len(r)
	}
	return out, nil
}

// beginLineIndex finds "-----BEGIN" at the start of a line.
func beginLineIndex(b []byte) int {
	for off := 0; ; {
		i := bytes.Index(b[off:], beginMarker)
		if i < 0 {
			return -1
		}
		i += off
		if i == 0 || b[i-1] == '\n' {
			return i
		}
		off = i + 1
	}
}

func markerIndex(b []byte) int {
	i, j := bytes.Index(b, beginMarker), bytes.Index(b, endMarker)
	switch {
	case i < 0:
		return j
	case j < 0 || i < j:
		return i
	}
	return j
}

// lineCounter maps increasing offsets to 1-based line numbers in linear
// total time.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (l *lineCounter) at(off int) int {
	if off < l.off { // not expected: offsets only grow
		l.off, l.line = 0, 1
	}
	l.line += bytes.Count(l.data[l.off:off], []byte{'\n'})
	l.off = off
	return l.line
}

// typeName quotes a block type for messages, bounded in length.
func typeName(t string) string {
	if r := []rune(t); len(r) > 40 {
		t = string(r[:40]) + "..."
	}
	return fmt.Sprintf("%q", t)
}

func (b block) where() string { return fmt.Sprintf("PEM block %d (line %d)", b.index, b.line) }

// wrongType explains a block of another type than want.
func (b block) wrongType(want string) error {
	hint := ""
	switch {
	case strings.HasSuffix(b.Type, "PRIVATE KEY"):
		hint = ": a private key does not belong here"
	case b.Type == "TRUSTED CERTIFICATE":
		hint = ": convert OpenSSL's trusted-certificate format with `openssl x509 -in FILE -out FILE.pem`"
	}
	return fmt.Errorf("%s is a %s, not a %q%s", b.where(), typeName(b.Type), want, hint)
}

// ParseCertificatesPEM parses one or more PEM CERTIFICATE blocks strictly
// (see the package documentation for the text rule) with crypto/x509.
func ParseCertificatesPEM(s string) ([]*x509.Certificate, error) {
	return parseCerts(s, x509.ParseCertificate)
}

// ParseCertificatesPEMLax is ParseCertificatesPEM with ParseCertificateLax:
// for describing certificates, never for verifying with them.
func ParseCertificatesPEMLax(s string) ([]*x509.Certificate, error) {
	return parseCerts(s, ParseCertificateLax)
}

func parseCerts(s string, parse func([]byte) (*x509.Certificate, error)) ([]*x509.Certificate, error) {
	blocks, err := decodePEM(s, "certificate")
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for _, b := range blocks {
		if b.Type != BlockCertificate {
			return nil, b.wrongType(BlockCertificate)
		}
		if len(b.Headers) != 0 {
			return nil, fmt.Errorf("%s has PEM headers; certificates carry none", b.where())
		}
		c, err := parse(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s is not a valid X.509 certificate: %w", b.where(), err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no certificate found: the text is not PEM (it holds no \"-----BEGIN CERTIFICATE-----\" block)")
	}
	return out, nil
}

// EncodeCertificatesPEM renders certificates as concatenated PEM blocks
// (nil entries are skipped).
func EncodeCertificatesPEM(certs ...*x509.Certificate) string {
	var b strings.Builder
	for _, c := range certs {
		if c != nil {
			b.Write(pem.EncodeToMemory(&pem.Block{Type: BlockCertificate, Bytes: c.Raw}))
		}
	}
	return b.String()
}

// ParseCRLsPEM parses one or more PEM "X509 CRL" blocks strictly.
func ParseCRLsPEM(s string) ([]*x509.RevocationList, error) {
	blocks, err := decodePEM(s, "CRL")
	if err != nil {
		return nil, err
	}
	var out []*x509.RevocationList
	for _, b := range blocks {
		if b.Type != BlockCRL {
			return nil, b.wrongType(BlockCRL)
		}
		if len(b.Headers) != 0 {
			return nil, fmt.Errorf("%s has PEM headers; CRLs carry none", b.where())
		}
		l, err := x509.ParseRevocationList(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s is not a valid CRL: %w", b.where(), err)
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, errors.New("no CRL found: the text is not PEM (it holds no \"-----BEGIN X509 CRL-----\" block)")
	}
	return out, nil
}

// ParsePrivateKeyPEM parses exactly one unencrypted private key block:
// PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE
// KEY"); an "EC PARAMETERS" block beside it is ignored, as OpenSSL does.
// The key must be able to sign. Errors never contain key material.
func ParsePrivateKeyPEM(s string) (crypto.Signer, error) {
	blocks, err := decodePEM(s, "private key")
	if err != nil {
		return nil, err
	}
	var key *block
	for i := range blocks {
		b := &blocks[i]
		switch b.Type {
		case BlockECParameters:
			continue
		case blockEncryptedKey:
			return nil, fmt.Errorf("%s is an encrypted private key: give the key unencrypted", b.where())
		case BlockPKCS8Key, BlockPKCS1Key, BlockSEC1Key:
		default:
			return nil, fmt.Errorf("%s is a %s, not a private key: expected \"PRIVATE KEY\" (PKCS#8), "+
				"\"RSA PRIVATE KEY\" (PKCS#1) or \"EC PRIVATE KEY\" (SEC1)", b.where(), typeName(b.Type))
		}
		if key != nil {
			return nil, fmt.Errorf("%s is a second private key: give exactly one key", b.where())
		}
		key = b
	}
	if key == nil {
		return nil, errors.New("no private key found: the text is not PEM (it holds no \"-----BEGIN PRIVATE KEY-----\", RSA or EC PRIVATE KEY block)")
	}
	if _, ok := key.Headers["DEK-Info"]; ok {
		return nil, fmt.Errorf("%s (%s) is encrypted (DEK-Info header): give the key unencrypted", key.where(), typeName(key.Type))
	}
	if len(key.Headers) != 0 {
		return nil, fmt.Errorf("%s has PEM headers; an unencrypted key carries none", key.where())
	}
	var k any
	switch key.Type {
	case BlockPKCS8Key:
		k, err = x509.ParsePKCS8PrivateKey(key.Bytes)
	case BlockPKCS1Key:
		k, err = x509.ParsePKCS1PrivateKey(key.Bytes)
	case BlockSEC1Key:
		k, err = x509.ParseECPrivateKey(key.Bytes)
	}
	if err != nil {
		// crypto/x509 errors describe the structure, never key bytes.
		return nil, fmt.Errorf("cannot parse the %s block (%s): %w", typeName(key.Type), key.where(), err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("the %s block holds a %T key, which cannot sign", typeName(key.Type), k)
	}
	return signer, nil
}
