// Package devissuer is a local identity provider for the embedded stack and
// the tests: it generates a signing key at start, serves the OpenID
// discovery document and the JWKS over TLS on loopback (the services accept
// https issuers only), and mints access tokens shaped like Cognito's (iss,
// sub, client_id, scope, token_use "access", iat, exp at most an hour
// ahead). The services verify them exactly as they verify a cluster's
// tokens, so `platform dev`, the demo and the tests run with authentication
// on, like a cluster.
//
// A Signer (issuer, audience, key) can be written to a file readable by its
// owner only, so that `platform dev token` mints tokens for a running
// `platform dev` without any endpoint that hands tokens out.
package devissuer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Audience is the app client id the dev tokens name in client_id (a
// Cognito access token has no aud); the services accept it as AUTH_AUDIENCES.
const Audience = "dev-app-client"

// MaxTTL is the longest token lifetime it mints (Cognito's default for
// access tokens is one hour).
const MaxTTL = time.Hour

// StreamAllScope and StoreReadScope are the operators' scopes (the Cognito
// resource server "orders").
const (
	StreamAllScope = "orders/stream.all"
	StoreReadScope = "orders/store.read"
)

// Signer mints tokens of one issuer.
type Signer struct {
	Issuer string
	Kid    string
	key    *ecdsa.PrivateKey
	now    func() time.Time
}

// Token returns an access token for subject holding scopes, valid MaxTTL.
func (s *Signer) Token(subject string, scopes ...string) (string, error) {
	return s.TokenTTL(subject, MaxTTL, scopes...)
}

// TokenTTL is Token with a lifetime (at most MaxTTL).
func (s *Signer) TokenTTL(subject string, ttl time.Duration, scopes ...string) (string, error) {
	if strings.TrimSpace(subject) == "" {
		return "", errors.New("devissuer: a token needs a subject")
	}
	if ttl <= 0 || ttl > MaxTTL {
		return "", fmt.Errorf("devissuer: lifetime %s outside (0, %s]", ttl, MaxTTL)
	}
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	t := now()
	claims := jwt.MapClaims{
		"iss": s.Issuer, "sub": subject, "client_id": Audience, "token_use": "access",
		"iat": t.Unix(), "exp": t.Add(ttl).Unix(), "jti": randomID(),
	}
	if len(scopes) > 0 {
		claims["scope"] = strings.Join(scopes, " ")
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = s.Kid
	return tok.SignedString(s.key)
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// jwks is the issuer's public key set.
func (s *Signer) jwks() map[string]any {
	pub := s.key.PublicKey
	b := func(n *big.Int) string {
		buf := make([]byte, 32)
		return base64.RawURLEncoding.EncodeToString(n.FillBytes(buf))
	}
	return map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "kid": s.Kid, "use": "sig", "alg": "ES256", "x": b(pub.X), "y": b(pub.Y),
	}}}
}

// Issuer is a running local identity provider.
type Issuer struct {
	*Signer
	srv    *http.Server
	ln     net.Listener
	client *http.Client
	caPEM  []byte
}

// Start serves a new issuer on addr (e.g. "127.0.0.1:0"); its URL
// (https://127.0.0.1:port) is the tokens' iss.
func Start(addr string) (*Issuer, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("devissuer: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("devissuer: address %q: a development issuer listens on loopback only", addr)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("devissuer: signing key: %w", err)
	}
	cert, pool, err := selfSigned(net.ParseIP(host))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("devissuer: listen: %w", err)
	}
	is := &Issuer{
		Signer: &Signer{Issuer: "https://" + ln.Addr().String(), Kid: "dev-" + randomID()[:8], key: key},
		ln:     ln,
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}},
		caPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Leaf.Raw}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"issuer": is.Issuer, "jwks_uri": is.Issuer + "/.well-known/jwks.json",
			"token_endpoint_auth_methods_supported": []string{}, "id_token_signing_alg_values_supported": []string{"ES256"}})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, is.jwks()) })
	is.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go func() { _ = is.srv.ServeTLS(ln, "", "") }()
	return is, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// TLSClient returns an HTTP client that trusts the issuer's certificate: the
// services fetch the JWKS with it.
func (is *Issuer) TLSClient() *http.Client { return is.client }

// CertificatePEM is the issuer's self-signed TLS certificate: a service
// running as its own process trusts it through SSL_CERT_FILE.
func (is *Issuer) CertificatePEM() []byte { return is.caPEM }

// Close stops serving.
func (is *Issuer) Close() error { return is.srv.Close() }

// selfSigned returns a certificate for ip valid for a day, and a pool
// trusting it.
func selfSigned(ip net.IP) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("devissuer: TLS key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "bloody-sweet dev issuer"},
		NotBefore: now.Add(-time.Minute), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, IPAddresses: []net.IP{ip},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("devissuer: TLS certificate: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: c}, pool, nil
}

// signerFile is the JSON form of a Signer on disk.
type signerFile struct {
	Issuer   string `json:"issuer"`
	Audience string `json:"audience"`
	Kid      string `json:"kid"`
	Key      string `json:"private_key_pem"`
}

// KeyFile is the name of the signer file in a dev stack's state directory.
const KeyFile = "dev-issuer.json"

// KeyPath is where `platform dev` keeps its signer: in its --data-dir, or
// without one in the user's cache directory (never a shared temporary
// directory: the file holds a private key).
func KeyPath(dataDir string) string {
	if dataDir != "" {
		return filepath.Join(dataDir, KeyFile)
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "bloody-sweet", "dev", KeyFile)
}

// WriteFile stores the signer in path, readable and writable by the owner
// only (it holds the private key), replacing any older one atomically.
func (s *Signer) WriteFile(path string) error {
	der, err := x509.MarshalECPrivateKey(s.key)
	if err != nil {
		return fmt.Errorf("devissuer: encode key: %w", err)
	}
	b, err := json.MarshalIndent(signerFile{Issuer: s.Issuer, Audience: Audience, Kid: s.Kid,
		Key: string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("devissuer: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".dev-issuer-*")
	if err != nil {
		return fmt.Errorf("devissuer: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("devissuer: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("devissuer: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("devissuer: %w", err)
	}
	return nil
}

// ReadFile loads a signer written by WriteFile.
func ReadFile(path string) (*Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("devissuer: %w (is `platform dev` running with this state directory?)", err)
	}
	var f signerFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("devissuer: %s: %w", path, err)
	}
	blk, _ := pem.Decode([]byte(f.Key))
	if blk == nil || f.Issuer == "" || f.Kid == "" {
		return nil, fmt.Errorf("devissuer: %s: not a dev issuer file (issuer, kid and private_key_pem are required)", path)
	}
	key, err := x509.ParseECPrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("devissuer: %s: private key: %w", path, err)
	}
	return &Signer{Issuer: f.Issuer, Kid: f.Kid, key: key}, nil
}

// Client returns an HTTP client whose requests carry a bearer token of
// subject with scopes (minted once, valid MaxTTL: longer than any test or
// demo run). It is the one way tests, the demo and the load harness call
// the stack's APIs as a customer or an operator.
func (s *Signer) Client(subject string, scopes ...string) (*http.Client, error) {
	return s.Authorize(&http.Client{}, subject, scopes...)
}

// Authorize returns a copy of c whose requests carry such a token.
func (s *Signer) Authorize(c *http.Client, subject string, scopes ...string) (*http.Client, error) {
	tok, err := s.Token(subject, scopes...)
	if err != nil {
		return nil, err
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	authed := *c
	authed.Transport = bearer{token: tok, base: base}
	return &authed, nil
}

// bearer adds the Authorization header to requests that have none.
type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") != "" {
		return b.base.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}
