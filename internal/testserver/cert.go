package testserver

import "github.com/pgtls/terraform-provider-pgtls/internal/testpki"

// SelfSignedServerCert is the throwaway certificate StartPostgres generates
// when SSL is on without CertPEM/KeyPEM: ECDSA P-256, CN=localhost, SANs
// localhost and 127.0.0.1, serverAuth, self-signed (usable as sslrootcert).
// It comes from the shared test fixture, testpki.SelfSignedServer.
func SelfSignedServerCert() (certPEM, keyPEM string, err error) { return testpki.SelfSignedServer() }
