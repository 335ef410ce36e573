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
	return remember(c, c.certs, cacheKey(certPEM, chainPEM), func() (*IssuerCert, error) {
		return ParseIssuerCert(certPEM, chainPEM)
	})
}

// Issuer is ParseIssuer, remembered (the certificate side through
// IssuerCert, so it is shared with the plan-time lookups).
func (c *IssuerCache) Issuer(certPEM, keyPEM, chainPEM string) (*Issuer, error) {
	return remember(c, c.issuers, cacheKey(certPEM, keyPEM, chainPEM), func() (*Issuer, error) {
		ic, err := c.IssuerCert(certPEM, chainPEM)
		if err != nil {
			return nil, err
		}
		return issuerWithKey(ic, keyPEM)
	})
}

// remember returns m[k], or parses, keeps a success in m (starting over
// when m is full) and returns it. parse runs without the lock held.
func remember[V any](c *IssuerCache, m map[[sha256.Size]byte]V, k [sha256.Size]byte, parse func() (V, error)) (V, error) {
	c.mu.Lock()
	v, ok := m[k]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := parse()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(m) >= c.max {
		clear(m)
	}
	m[k] = v
	c.mu.Unlock()
	return v, nil
}
