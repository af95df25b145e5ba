package auth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/refserver/auth"
)

var (
	testSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")
	t0         = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
)

func newAuthority(t testing.TB, mod func(*auth.Config)) *auth.Authority {
	t.Helper()
	cfg := auth.Config{Secret: testSecret, Now: func() time.Time { return t0 }}
	if mod != nil {
		mod(&cfg)
	}
	a, err := auth.New(cfg)
	require.NoError(t, err)
	return a
}

func b64(v []byte) string { return base64.RawURLEncoding.EncodeToString(v) }

// handToken builds a token byte by byte so tests can forge what the library would refuse to sign.
func handToken(t testing.TB, header, payload map[string]any, secret []byte, mac func() hash.Hash) string {
	t.Helper()
	h, err := json.Marshal(header)
	require.NoError(t, err)
	p, err := json.Marshal(payload)
	require.NoError(t, err)
	signing := b64(h) + "." + b64(p)
	if mac == nil {
		return signing + "."
	}
	m := hmac.New(mac, secret)
	m.Write([]byte(signing))
	return signing + "." + b64(m.Sum(nil))
}

func goodClaims() map[string]any {
	return map[string]any{
		"iss": auth.DefaultIssuer, "sub": "admin", "iat": t0.Unix(), "nbf": t0.Unix(),
		"exp": t0.Add(time.Hour).Unix(), "jti": "id-1", "role": "admin",
		"scopes": []string{"node:read", "node:write", "poot:read", "poot:write", "payout:read", "payout:write"},
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

var hs256 = map[string]any{"alg": "HS256", "typ": "JWT"}

func TestNewRefusesShortSecret(t *testing.T) {
	t.Parallel()
	_, err := auth.New(auth.Config{Secret: []byte("short")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "at least 32 bytes")
	assert.NotContains(t, err.Error(), "short")
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	a := newAuthority(t, func(c *auth.Config) { c.Audience = "lucid-api" })
	tests := []struct {
		role   auth.Role
		nodeID string
		sub    string
	}{
		{auth.RoleAdmin, "", "admin"},
		{auth.RoleValidator, "", "validator"},
		{auth.RoleWorker, "node-7", "worker:node-7"},
	}
	for _, tc := range tests {
		t.Run(string(tc.role), func(t *testing.T) {
			t.Parallel()
			tok, err := a.Issue(tc.role, tc.nodeID, 0)
			require.NoError(t, err)
			p, err := a.Verify(tok)
			require.NoError(t, err)
			assert.Equal(t, tc.role, p.Role)
			assert.Equal(t, tc.sub, p.Subject)
			assert.Equal(t, tc.nodeID, p.NodeID)
			assert.ElementsMatch(t, tc.role.Scopes(), p.Scopes)
			assert.NotEmpty(t, p.TokenID)
		})
	}
}

func TestIssueRefusals(t *testing.T) {
	t.Parallel()
	a := newAuthority(t, nil)
	tests := []struct {
		name string
		req  auth.TokenRequest
	}{
		{"unknown role", auth.TokenRequest{Role: "root"}},
		{"worker without node", auth.TokenRequest{Role: auth.RoleWorker}},
		{"admin bound to node", auth.TokenRequest{Role: auth.RoleAdmin, NodeID: "n1"}},
		{"validator with payout scope", auth.TokenRequest{Role: auth.RoleValidator, Scopes: []auth.Scope{auth.ScopePayoutWrite}}},
		{"worker with payout scope", auth.TokenRequest{Role: auth.RoleWorker, NodeID: "n1", Scopes: []auth.Scope{auth.ScopePayoutRead}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := a.IssueToken(tc.req)
			require.Error(t, err)
		})
	}
}

func TestExpiryAndLeeway(t *testing.T) {
	t.Parallel()
	now := t0
	a := newAuthority(t, func(c *auth.Config) { c.Now = func() time.Time { return now } })
	tok, err := a.Issue(auth.RoleAdmin, "", time.Minute)
	require.NoError(t, err)

	now = t0.Add(time.Minute + 20*time.Second) // inside the 30 s leeway
	_, err = a.Verify(tok)
	require.NoError(t, err)

	now = t0.Add(time.Minute + 31*time.Second)
	_, err = a.Verify(tok)
	require.ErrorIs(t, err, auth.ErrExpired)

	now = t0.Add(-time.Minute) // issued in the future
	_, err = a.Verify(tok)
	require.ErrorIs(t, err, auth.ErrNotYetValid)
}

func TestVerifyRefusals(t *testing.T) {
	t.Parallel()
	a := newAuthority(t, nil)
	aud := newAuthority(t, func(c *auth.Config) { c.Audience = "lucid-api" })
	other := newAuthority(t, func(c *auth.Config) { c.Secret = []byte(strings.Repeat("x", 40)) })
	otherIss := newAuthority(t, func(c *auth.Config) { c.Issuer = "someone-else" })

	good, err := a.Issue(auth.RoleWorker, "node-1", 0)
	require.NoError(t, err)
	wrongSig, err := other.Issue(auth.RoleAdmin, "", 0)
	require.NoError(t, err)
	wrongIss, err := otherIss.Issue(auth.RoleAdmin, "", 0)
	require.NoError(t, err)

	// Tampered payload: swap the worker's payload for an admin one, keep the signature.
	parts := strings.Split(good, ".")
	adminPayload, err := json.Marshal(with(goodClaims(), "sub", "worker:node-1"))
	require.NoError(t, err)
	tampered := parts[0] + "." + b64(adminPayload) + "." + parts[2]

	sign := func(claims map[string]any) string { return handToken(t, hs256, claims, testSecret, sha256.New) }

	tests := []struct {
		name  string
		v     *auth.Authority
		token string
		want  error
	}{
		{"empty", a, "", auth.ErrMalformed},
		{"garbage", a, "not.a.token", auth.ErrMalformed},
		{"two segments", a, "abc.def", auth.ErrMalformed},
		{"expired", a, sign(with(goodClaims(), "iat", t0.Add(-2*time.Hour).Unix(), "nbf", t0.Add(-2*time.Hour).Unix(), "exp", t0.Add(-time.Hour).Unix())), auth.ErrExpired},
		{"not yet valid", a, sign(with(goodClaims(), "nbf", t0.Add(time.Hour).Unix())), auth.ErrNotYetValid},
		{"wrong signature", a, wrongSig, auth.ErrSignature},
		{"tampered payload", a, tampered, auth.ErrSignature},
		{"signature stripped", a, parts[0] + "." + parts[1] + ".", auth.ErrSignature},
		{"alg none", a, handToken(t, map[string]any{"alg": "none", "typ": "JWT"}, goodClaims(), nil, nil), auth.ErrAlgorithm},
		{"alg None mixed case", a, handToken(t, map[string]any{"alg": "None"}, goodClaims(), nil, nil), auth.ErrAlgorithm},
		{"alg HS512 with the right secret", a, handToken(t, map[string]any{"alg": "HS512"}, goodClaims(), testSecret, sha512.New), auth.ErrAlgorithm},
		{"alg HS384 with the right secret", a, handToken(t, map[string]any{"alg": "HS384"}, goodClaims(), testSecret, sha512.New384), auth.ErrAlgorithm},
		{"alg RS256", a, handToken(t, map[string]any{"alg": "RS256"}, goodClaims(), testSecret, sha256.New), auth.ErrAlgorithm},
		{"alg ES256", a, handToken(t, map[string]any{"alg": "ES256"}, goodClaims(), testSecret, sha256.New), auth.ErrAlgorithm},
		{"alg missing", a, handToken(t, map[string]any{"typ": "JWT"}, goodClaims(), testSecret, sha256.New), auth.ErrAlgorithm},
		{"missing iss", a, sign(with(goodClaims(), "iss", nil)), auth.ErrMissingClaim},
		{"wrong iss", a, wrongIss, auth.ErrIssuer},
		{"missing exp", a, sign(with(goodClaims(), "exp", nil)), auth.ErrMissingClaim},
		{"exp as string", a, sign(with(goodClaims(), "exp", "tomorrow")), auth.ErrMalformed},
		{"missing sub", a, sign(with(goodClaims(), "sub", nil)), auth.ErrMissingClaim},
		{"missing role", a, sign(with(goodClaims(), "role", nil)), auth.ErrMissingClaim},
		{"unknown role", a, sign(with(goodClaims(), "role", "root")), auth.ErrClaims},
		{"missing scopes", a, sign(with(goodClaims(), "scopes", nil)), auth.ErrMissingClaim},
		{"unknown scope", a, sign(with(goodClaims(), "scopes", []string{"node:read", "everything"})), auth.ErrClaims},
		{"validator escalating to payout", a, sign(with(goodClaims(), "role", "validator", "scopes", []string{"node:read", "payout:write"})), auth.ErrClaims},
		{"worker escalating to payout", a, sign(with(goodClaims(), "role", "worker", "node_id", "n1", "scopes", []string{"payout:read"})), auth.ErrClaims},
		{"worker without node", a, sign(with(goodClaims(), "role", "worker", "scopes", []string{"node:read"})), auth.ErrMissingClaim},
		{"admin bound to node", a, sign(with(goodClaims(), "node_id", "n1")), auth.ErrClaims},
		{"missing aud when required", aud, good, auth.ErrMissingClaim},
		{"wrong aud", aud, sign(with(goodClaims(), "aud", "other-api")), auth.ErrAudience},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := tc.v.Verify(tc.token)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			assert.Zero(t, p)
			var ae *auth.Error
			require.True(t, errors.As(err, &ae))
			assert.Equal(t, auth.CodeUnauthorized, ae.LucidCode())
			assert.NotContains(t, err.Error(), string(testSecret))
			assert.NotContains(t, ae.Message, string(testSecret))
		})
	}

	// The valid hand-built token passes, so the refusals above are due to what each case changes.
	_, err = a.Verify(sign(goodClaims()))
	require.NoError(t, err)
}

func TestPrincipalAccess(t *testing.T) {
	t.Parallel()
	worker := auth.Principal{Subject: "worker:n1", Role: auth.RoleWorker, NodeID: "n1", Scopes: auth.RoleWorker.Scopes()}
	validator := auth.Principal{Subject: "validator", Role: auth.RoleValidator, Scopes: auth.RoleValidator.Scopes()}
	admin := auth.Principal{Subject: "admin", Role: auth.RoleAdmin, Scopes: auth.RoleAdmin.Scopes()}
	tests := []struct {
		name  string
		p     auth.Principal
		scope auth.Scope
		node  string
		ok    bool
	}{
		{"worker own node write", worker, auth.ScopeNodeWrite, "n1", true},
		{"worker own poot", worker, auth.ScopePoOTWrite, "n1", true},
		{"worker other node", worker, auth.ScopeNodeRead, "n2", false},
		{"worker payouts", worker, auth.ScopePayoutRead, "n1", false},
		{"validator any node read", validator, auth.ScopeNodeRead, "n2", true},
		{"validator poot write", validator, auth.ScopePoOTWrite, "", true},
		{"validator node write", validator, auth.ScopeNodeWrite, "n2", false},
		{"validator payouts", validator, auth.ScopePayoutWrite, "", false},
		{"admin anything", admin, auth.ScopePayoutWrite, "n9", true},
		{"zero principal", auth.Principal{}, auth.ScopeNodeRead, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.p.Authorize(tc.scope, tc.node)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, auth.ErrForbidden)
			var ae *auth.Error
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, auth.CodeForbidden, ae.LucidCode())
		})
	}
	assert.False(t, worker.CanAccessNode(""))
	assert.False(t, auth.Principal{Role: auth.RoleWorker}.CanAccessNode(""))
	assert.True(t, admin.CanAccessNode("anything"))
}

func TestParseBearer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		want   string
		ok     bool
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi", true},
		{"bearer abc", "abc", true},
		{"  Bearer   abc  ", "abc", true},
		{"", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Basic dXNlcjpwYXNz", "", false},
		{"abc.def.ghi", "", false},
		{"Bearer a b", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.header, func(t *testing.T) {
			t.Parallel()
			got, err := auth.ParseBearer(tc.header)
			if !tc.ok {
				require.ErrorIs(t, err, auth.ErrMissingToken)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseRole(t *testing.T) {
	t.Parallel()
	r, err := auth.ParseRole("validator")
	require.NoError(t, err)
	assert.Equal(t, auth.RoleValidator, r)
	_, err = auth.ParseRole("Admin")
	require.Error(t, err)
}

func hmacSHA256(secret []byte, s string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func TestVerifyCache(t *testing.T) {
	t.Parallel()
	now := t0
	clock := func() time.Time { return now }
	cached := newAuthority(t, func(c *auth.Config) { c.Now = clock; c.CacheSize = 4 })
	uncached := newAuthority(t, func(c *auth.Config) { c.Now = clock; c.CacheSize = -1 })
	var tokens []string
	for i := range 10 {
		tok, err := cached.IssueToken(auth.TokenRequest{Role: auth.RoleWorker, NodeID: "n" + string(rune('0'+i)), TTL: time.Duration(i+1) * time.Minute})
		require.NoError(t, err)
		tokens = append(tokens, tok)
	}
	// Callers may not corrupt the cached principal.
	p, err := cached.Verify(tokens[0])
	require.NoError(t, err)
	p.Scopes[0] = auth.ScopePayoutWrite
	p, err = cached.Verify(tokens[0])
	require.NoError(t, err)
	assert.False(t, p.Has(auth.ScopePayoutWrite))

	// Over the validity period of every token, cached and uncached answers agree, even with
	// more tokens than the cache holds.
	for step := range 14 {
		now = t0.Add(time.Duration(step) * 50 * time.Second)
		for i, tok := range tokens {
			want, wantErr := uncached.Verify(tok)
			got, gotErr := cached.Verify(tok)
			if wantErr != nil {
				require.Error(t, gotErr, "step %d token %d", step, i)
				assert.ErrorIs(t, gotErr, auth.ErrExpired)
				continue
			}
			require.NoError(t, gotErr, "step %d token %d", step, i)
			assert.Equal(t, want, got)
		}
	}
}
