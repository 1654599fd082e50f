package authtoken

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// ErrUnknownKey is returned for a kid the issuer's JWKS does not hold (after a
// refetch, or while refetches are rate limited).
var ErrUnknownKey = errors.New("unknown signing key")

// KeySet is the issuer's JSON Web Key Set, cached. A token signed with a kid the cache
// lacks triggers a refetch (the issuer rotated its keys), at most once per
// MinRefetch so that tokens with made-up kids cannot turn the authorizer into a
// request amplifier against the IdP. The whole set is also refetched after MaxAge, so
// a key the issuer withdrew stops being accepted.
//
// A fetch runs on its own context with FetchTimeout, not on the request that
// triggered it, and outside the lock, one at a time (requests that need it join
// it): a cancelled request cannot make the fetch fail for everyone until the next
// MinRefetch, and while the issuer is slow, requests whose kid is cached and fresh
// are answered at once. A request that waits for a fetch gives up when its own
// context ends; the fetch goes on for the others.
type KeySet struct {
	Client       *http.Client
	URL          string // the JWKS; empty: discovered from Issuer
	Issuer       string
	MinRefetch   time.Duration
	MaxAge       time.Duration
	FetchTimeout time.Duration
	Now          func() time.Time

	fetches   singleflight.Group
	mu        sync.Mutex
	keys      map[string]jwk
	attempted time.Time // last fetch started, successful or not (the rate limit)
	loaded    time.Time // last successful fetch
	fetching  bool      // a fetch is running
	lastErr   error     // why the last fetch failed (nil after a success)
}

// NewKeySet returns a KeySet with the defaults used in the Lambda.
func NewKeySet(client *http.Client, jwksURL, issuer string) *KeySet {
	return &KeySet{Client: client, URL: jwksURL, Issuer: issuer, MinRefetch: 30 * time.Second, MaxAge: time.Hour,
		FetchTimeout: 5 * time.Second, Now: time.Now}
}

type jwk struct {
	key crypto.PublicKey
	alg string // the JWK's alg, if it named one
}

// Key returns the public key with that kid, suitable for alg (RS256: RSA, ES256: P-256).
func (s *KeySet) Key(ctx context.Context, kid, alg string) (crypto.PublicKey, error) {
	k, err := s.lookup(ctx, kid)
	if err != nil {
		return nil, err
	}
	if k.alg != "" && k.alg != alg {
		return nil, fmt.Errorf("key %q is for %s, the token says %s", kid, k.alg, alg)
	}
	switch pub := k.key.(type) {
	case *rsa.PublicKey:
		if alg == "RS256" {
			return pub, nil
		}
	case *ecdsa.PublicKey:
		if alg == "ES256" && pub.Curve == elliptic.P256() {
			return pub, nil
		}
	}
	return nil, fmt.Errorf("key %q (%T) cannot verify %s", kid, k.key, alg)
}

// lookup finds kid, waiting for a fetch only when the cache lacks it or is
// older than MaxAge (and the rate limit allows one, or one is running).
func (s *KeySet) lookup(ctx context.Context, kid string) (jwk, error) {
	s.mu.Lock()
	now := s.Now()
	k, known := s.keys[kid]
	stale := !s.loaded.IsZero() && now.Sub(s.loaded) > s.MaxAge
	if known && !stale {
		s.mu.Unlock()
		return k, nil
	}
	var wait <-chan singleflight.Result
	switch {
	case s.fetching:
		// Join the running fetch: it may bring this kid. (fetching is
		// cleared under mu before the call leaves the group, so this joins
		// it rather than starting another.)
		wait = s.fetches.DoChan("jwks", s.refresh)
	case s.attempted.IsZero() || now.Sub(s.attempted) >= s.MinRefetch:
		s.attempted, s.fetching = now, true
		wait = s.fetches.DoChan("jwks", s.refresh)
	}
	s.mu.Unlock()
	if wait == nil {
		return s.cached(kid) // rate limited: the cache is the answer
	}
	select {
	case <-wait:
	case <-ctx.Done():
		return jwk{}, fmt.Errorf("waiting for the JWKS: %w", ctx.Err())
	}
	return s.cached(kid)
}

// cached answers from the cache; with no keys at all, the fetch error.
func (s *KeySet) cached(kid string) (jwk, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		if s.lastErr != nil {
			return jwk{}, fmt.Errorf("fetch JWKS: %w", s.lastErr)
		}
		return jwk{}, fmt.Errorf("%w %q (no JWKS loaded yet)", ErrUnknownKey, kid)
	}
	k, ok := s.keys[kid]
	if !ok {
		return jwk{}, fmt.Errorf("%w %q", ErrUnknownKey, kid)
	}
	return k, nil
}

// refresh fetches the set on its own context. A failed refresh keeps the keys
// we have: the IdP being briefly unreachable must not refuse every customer
// (the next try is MinRefetch later).
func (s *KeySet) refresh() (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.FetchTimeout)
	defer cancel()
	s.mu.Lock()
	url := s.URL
	s.mu.Unlock()
	keys, url, err := s.fetch(ctx, url)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastErr, s.fetching = err, false
	if err == nil {
		s.keys, s.loaded, s.URL = keys, s.Now(), url
	}
	return nil, err
}

// fetch reads the set from url, discovering it first when empty; it returns
// the URL it read.
func (s *KeySet) fetch(ctx context.Context, url string) (map[string]jwk, string, error) {
	if url == "" {
		var err error
		if url, err = s.discover(ctx); err != nil {
			return nil, "", err
		}
	}
	var set struct {
		Keys []rawJWK `json:"keys"`
	}
	if err := s.getJSON(ctx, url, &set); err != nil {
		return nil, "", err
	}
	keys := map[string]jwk{}
	for _, r := range set.Keys {
		if r.Kid == "" || (r.Use != "" && r.Use != "sig") {
			continue
		}
		k, err := r.publicKey()
		if err != nil {
			// One malformed or unsupported key does not invalidate the others.
			continue
		}
		keys[r.Kid] = jwk{key: k, alg: r.Alg}
	}
	if len(keys) == 0 {
		return nil, "", fmt.Errorf("%s holds no usable RSA or P-256 signing key", url)
	}
	return keys, url, nil
}

// discover reads jwks_uri from the issuer's OpenID configuration, as API Gateway's
// JWT authorizer did.
func (s *KeySet) discover(ctx context.Context) (string, error) {
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	u := strings.TrimSuffix(s.Issuer, "/") + "/.well-known/openid-configuration"
	if err := s.getJSON(ctx, u, &doc); err != nil {
		return "", err
	}
	if doc.Issuer != s.Issuer {
		return "", fmt.Errorf("%s names issuer %q, want %q", u, doc.Issuer, s.Issuer)
	}
	if doc.JWKSURI == "" {
		return "", fmt.Errorf("%s has no jwks_uri", u)
	}
	return doc.JWKSURI, nil
}

func (s *KeySet) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

type rawJWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func (r rawJWK) publicKey() (crypto.PublicKey, error) {
	switch r.Kty {
	case "RSA":
		n, err := b64(r.N)
		if err != nil {
			return nil, fmt.Errorf("n: %w", err)
		}
		e, err := b64(r.E)
		if err != nil {
			return nil, fmt.Errorf("e: %w", err)
		}
		if len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA exponent")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 || pub.E < 3 {
			return nil, errors.New("RSA key below 2048 bits or with a bad exponent")
		}
		return pub, nil
	case "EC":
		if r.Crv != "P-256" {
			return nil, fmt.Errorf("curve %q", r.Crv)
		}
		x, err := b64(r.X)
		if err != nil {
			return nil, fmt.Errorf("x: %w", err)
		}
		y, err := b64(r.Y)
		if err != nil {
			return nil, fmt.Errorf("y: %w", err)
		}
		if len(x) != 32 || len(y) != 32 {
			return nil, errors.New("P-256 coordinates must be 32 bytes")
		}
		// ParseUncompressedPublicKey checks the point is on the curve.
		return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	}
	return nil, fmt.Errorf("key type %q", r.Kty)
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
