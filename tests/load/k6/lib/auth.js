// Bearer tokens: the order API serves only a verified caller, whose token
// subject is the customer of the orders it places and reads.
// - A deployed environment admits only tokens of its Cognito user pool. With
//   TOKEN_URL (the pool's domain + /oauth2/token), CLIENT_ID and
//   CLIENT_SECRET (the operators' machine client) each VU gets a
//   client-credentials token, and a new one a minute before it expires (a
//   soak run outlives one token).
// - A local stack (`platform dev`): TOKEN is a token of its issuer, e.g.
//   -e TOKEN=$(go run ./cmd/platform dev token --customer k6), valid an hour.
// With neither, no header is sent (and the order API answers 401).
import http from 'k6/http';
import encoding from 'k6/encoding';

const tokenURL = __ENV.TOKEN_URL || '';
const scopes = __ENV.TOKEN_SCOPES || 'orders/stream.all';
const refreshMarginMs = 60 * 1000;

let cached = { token: '', expiresAt: 0 };

// authHeaders returns the Authorization header to add to a request.
export function authHeaders() {
  if (tokenURL === '') {
    return __ENV.TOKEN ? { Authorization: `Bearer ${__ENV.TOKEN}` } : {};
  }
  if (cached.token === '' || Date.now() >= cached.expiresAt - refreshMarginMs) {
    cached = fetchToken();
  }
  return { Authorization: `Bearer ${cached.token}` };
}

function fetchToken() {
  if (!__ENV.CLIENT_ID || !__ENV.CLIENT_SECRET) {
    throw new Error('TOKEN_URL needs CLIENT_ID and CLIENT_SECRET');
  }
  const basic = encoding.b64encode(`${__ENV.CLIENT_ID}:${__ENV.CLIENT_SECRET}`);
  const res = http.post(tokenURL, { grant_type: 'client_credentials', scope: scopes }, {
    headers: { Authorization: `Basic ${basic}` },
    tags: { name: 'token' },
  });
  if (res.status !== 200) {
    throw new Error(`token endpoint answered ${res.status}: ${res.body}`);
  }
  return { token: res.json('access_token'), expiresAt: Date.now() + res.json('expires_in') * 1000 };
}
