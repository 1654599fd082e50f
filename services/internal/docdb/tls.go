package docdb

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// caBundle is the TLS configuration that trusts only the PEM bundle in
// file (DocumentDB's certificates are signed by the RDS CAs, which are not
// in the system pool).
func caBundle(file string) (*tls.Config, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("docdb: MONGODB_CA_FILE: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("docdb: MONGODB_CA_FILE %s: no PEM certificate in it", file)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
