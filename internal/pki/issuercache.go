package pki

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
)

// IssuerCache remembers issuers parsed from their PEM inputs, so a fleet of
// certificates signed by one CA parses and checks that CA once per process
// instead of once per certificate and per call (plan, then apply).
//
// Only successful parses are kept, keyed by a SHA-256 of the exact inputs;
// the values are shared and must not be modified. The cache holds at most
// max entries of each kind and starts over when full, so memory stays
// bounded whatever the configuration. It is safe for concurrent use.
type IssuerCache struct {
	mu      sync.Mutex
	max     int
	certs   map[[sha256.Size]byte]*IssuerCert
	issuers map[[sha256.Size]byte]*Issuer
}

// NewIssuerCache returns a cache of at most max issuers (and as many
// issuer certificates); max < 1 means 1.
func NewIssuerCache(maxEntries int) *IssuerCache {
	return &IssuerCache{
		max:     max(maxEntries, 1),
		certs:   map[[sha256.Size]byte]*IssuerCert{},
		issuers: map[[sha256.Size]byte]*Issuer{},
	}
}

// cacheKey hashes the inputs with their lengths, so no two different input
// lists share a key.
func cacheKey(parts ...string) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// IssuerCert is ParseIssuerCert, remembered.
func (c *IssuerCache) IssuerCert(certPEM, chainPEM string) (*IssuerCert, error) {
	k := cacheKey(certPEM, chainPEM)
	c.mu.Lock()
	ic, ok := c.certs[k]
	c.mu.Unlock()
	if ok {
		return ic, nil
	}
	ic, err := ParseIssuerCert(certPEM, chainPEM)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.certs) >= c.max {
		clear(c.certs)
	}
	c.certs[k] = ic
	c.mu.Unlock()
	return ic, nil
}

// Issuer is ParseIssuer, remembered.
func (c *IssuerCache) Issuer(certPEM, keyPEM, chainPEM string) (*Issuer, error) {
	k := cacheKey(certPEM, keyPEM, chainPEM)
	c.mu.Lock()
	iss, ok := c.issuers[k]
	c.mu.Unlock()
	if ok {
		return iss, nil
	}
	ic, err := c.IssuerCert(certPEM, chainPEM)
	if err != nil {
		return nil, err
	}
	iss, err = issuerWithKey(ic, keyPEM)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.issuers) >= c.max {
		clear(c.issuers)
	}
	c.issuers[k] = iss
	c.mu.Unlock()
	return iss, nil
}
