package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Defaults of Config.
const (
	// DefaultIssuer is the iss claim written and required when Config.Issuer is empty.
	DefaultIssuer = "lucid-node-management"
	// DefaultTTL is the lifetime of an access token when Issue gets no ttl (SPEC: 1 hour).
	DefaultTTL = time.Hour
	// DefaultLeeway is the clock skew tolerated on exp, nbf and iat.
	DefaultLeeway = 30 * time.Second
	// MinSecretLen is the shortest accepted HMAC secret, in bytes (256 bits, the HS256 key size).
	MinSecretLen = 32
)

// Config configures an Authority.
type Config struct {
	// Secret is the HS256 key, at least MinSecretLen bytes. It is copied.
	Secret []byte
	// Issuer is written into and required from every token; DefaultIssuer when empty.
	Issuer string
	// Audience, when not empty, is written into every token and required on verification.
	Audience string
	// TTL is the default token lifetime; DefaultTTL when zero.
	TTL time.Duration
	// Leeway is the tolerated clock skew; DefaultLeeway when zero, none when negative.
	Leeway time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// CacheSize bounds the cache of verified tokens: a token seen before is accepted again
	// after a map lookup and a check of its validity period, instead of a full parse and HMAC
	// (clients reuse one token for its whole hour). DefaultCacheSize when zero, no cache when
	// negative. Only tokens that passed every check are cached, keyed by their exact text.
	CacheSize int
}

// DefaultCacheSize is the number of verified tokens remembered when Config.CacheSize is zero.
const DefaultCacheSize = 10_000

// Authority issues and verifies access tokens with one secret. It is safe for concurrent use.
type Authority struct {
	secret   []byte
	issuer   string
	audience string
	ttl      time.Duration
	now      func() time.Time
	parser   *jwt.Parser
	leeway   time.Duration
	cache    *verifiedCache
}

// New returns an Authority for cfg, or an error when the secret is too short.
func New(cfg Config) (*Authority, error) {
	if len(cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("auth: JWT secret must be at least %d bytes, got %d", MinSecretLen, len(cfg.Secret))
	}
	a := &Authority{
		secret:   slices.Clone(cfg.Secret),
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		ttl:      cfg.TTL,
		now:      cfg.Now,
	}
	if a.issuer == "" {
		a.issuer = DefaultIssuer
	}
	if a.ttl <= 0 {
		a.ttl = DefaultTTL
	}
	if a.now == nil {
		a.now = time.Now
	}
	leeway := cfg.Leeway
	switch {
	case leeway == 0:
		leeway = DefaultLeeway
	case leeway < 0:
		leeway = 0
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(a.issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(a.now),
		jwt.WithStrictDecoding(),
	}
	if a.audience != "" {
		opts = append(opts, jwt.WithAudience(a.audience))
	}
	a.parser = jwt.NewParser(opts...)
	a.leeway = leeway
	switch {
	case cfg.CacheSize == 0:
		a.cache = newVerifiedCache(DefaultCacheSize)
	case cfg.CacheSize > 0:
		a.cache = newVerifiedCache(cfg.CacheSize)
	}
	return a, nil
}

// Issuer returns the issuer the authority writes and requires.
func (a *Authority) Issuer() string { return a.issuer }

// claims is the token payload.
type claims struct {
	jwt.RegisteredClaims
	Role   string   `json:"role"`
	Scopes []string `json:"scopes"`
	NodeID string   `json:"node_id,omitempty"`
}

// DefaultSubject is the sub claim Issue writes: "worker:<node id>" for a worker, the role name
// otherwise. The rate limiter keys on it, so all tokens of one worker share one budget.
func DefaultSubject(role Role, nodeID string) string {
	if role == RoleWorker {
		return "worker:" + nodeID
	}
	return string(role)
}

// Issue returns a signed token for role with the role's full scope preset and the default
// subject. nodeID is required for a worker and refused for other roles. ttl ≤ 0 means the
// configured default.
func (a *Authority) Issue(role Role, nodeID string, ttl time.Duration) (string, error) {
	return a.IssueToken(TokenRequest{Role: role, NodeID: nodeID, TTL: ttl})
}

// TokenRequest describes a token for IssueToken.
type TokenRequest struct {
	// Subject is the sub claim; DefaultSubject(Role, NodeID) when empty.
	Subject string
	// Role is required.
	Role Role
	// Scopes narrows the role's preset; the full preset when empty. Scopes outside the preset
	// are refused.
	Scopes []Scope
	// NodeID binds a worker token to its node; required for workers, refused otherwise.
	NodeID string
	// TTL is the lifetime; the configured default when ≤ 0.
	TTL time.Duration
}

// IssueToken returns a signed HS256 token for req.
func (a *Authority) IssueToken(req TokenRequest) (string, error) {
	if !req.Role.Valid() {
		return "", fmt.Errorf("auth: unknown role %q", req.Role)
	}
	scopes := req.Scopes
	if len(scopes) == 0 {
		scopes = req.Role.Scopes()
	}
	for _, s := range scopes {
		if !req.Role.Allows(s) {
			return "", fmt.Errorf("auth: role %s may not hold scope %q", req.Role, s)
		}
	}
	switch {
	case req.Role == RoleWorker && req.NodeID == "":
		return "", errors.New("auth: a worker token needs a node id")
	case req.Role != RoleWorker && req.NodeID != "":
		return "", fmt.Errorf("auth: a %s token is not bound to a node", req.Role)
	}
	ttl := req.TTL
	if ttl <= 0 {
		ttl = a.ttl
	}
	sub := req.Subject
	if sub == "" {
		sub = DefaultSubject(req.Role, req.NodeID)
	}
	now := a.now().Truncate(time.Second)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    a.issuer,
			Subject:   sub,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        uuid.NewString(),
		},
		Role:   string(req.Role),
		NodeID: req.NodeID,
	}
	if a.audience != "" {
		c.Audience = jwt.ClaimStrings{a.audience}
	}
	for _, s := range scopes {
		c.Scopes = append(c.Scopes, string(s))
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(a.secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return signed, nil
}

// Verify checks token and returns its principal. A token verified before is found in the
// cache and only its validity period is checked again. Every refusal is an *Error with
// CodeUnauthorized whose cause matches one of ErrMalformed, ErrAlgorithm, ErrSignature,
// ErrExpired, ErrNotYetValid, ErrMissingClaim, ErrIssuer, ErrAudience or ErrClaims.
func (a *Authority) Verify(token string) (Principal, error) {
	if a.cache != nil {
		if e, ok := a.cache.get(token); ok {
			now := a.now()
			switch {
			case !now.Before(e.exp.Add(a.leeway)):
				a.cache.remove(token)
				return Principal{}, unauthorized(ErrExpired, "token expired", nil)
			case now.Add(a.leeway).Before(e.notBefore):
				return Principal{}, unauthorized(ErrNotYetValid, "token not valid yet", nil)
			}
			p := e.p
			p.Scopes = slices.Clone(p.Scopes)
			return p, nil
		}
	}
	var c claims
	t, err := a.parser.ParseWithClaims(token, &c, a.key)
	if err != nil {
		return Principal{}, classify(t, err)
	}
	p, err := principalOf(&c)
	if err != nil {
		return Principal{}, err
	}
	if a.cache != nil {
		e := verified{p: p, exp: c.ExpiresAt.Time}
		if c.NotBefore != nil {
			e.notBefore = c.NotBefore.Time
		}
		if c.IssuedAt != nil && c.IssuedAt.After(e.notBefore) {
			e.notBefore = c.IssuedAt.Time
		}
		e.p.Scopes = slices.Clone(p.Scopes)
		a.cache.put(token, e, a.now())
	}
	return p, nil
}

// key returns the secret for an HS256 token. The parser has already refused other algorithms;
// the check is repeated so that a change of parser options cannot open the door.
func (a *Authority) key(t *jwt.Token) (any, error) {
	if t.Method != jwt.SigningMethodHS256 {
		return nil, ErrAlgorithm
	}
	return a.secret, nil
}

// classify turns a jwt error into an *Error with a message safe for the client.
func classify(t *jwt.Token, err error) *Error {
	// The parser reports an algorithm outside the valid set as an invalid signature; tell them
	// apart so the client learns which.
	wrongAlg := t != nil && t.Method != nil && t.Method != jwt.SigningMethodHS256
	switch {
	case errors.Is(err, ErrAlgorithm), errors.Is(err, jwt.ErrTokenUnverifiable):
		return unauthorized(ErrAlgorithm, "token signing algorithm not accepted (HS256 only)", err)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return unauthorized(ErrMalformed, "malformed token", err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if wrongAlg {
			return unauthorized(ErrAlgorithm, "token signing algorithm not accepted (HS256 only)", err)
		}
		return unauthorized(ErrSignature, "token signature invalid", err)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return unauthorized(ErrMissingClaim, "token lacks a required claim (iss and exp are required)", err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return unauthorized(ErrExpired, "token expired", err)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return unauthorized(ErrNotYetValid, "token not valid yet", err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return unauthorized(ErrIssuer, "token issuer not accepted", err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return unauthorized(ErrAudience, "token audience not accepted", err)
	}
	return unauthorized(ErrMalformed, "malformed token", err)
}

// principalOf checks the private claims against the role presets.
func principalOf(c *claims) (Principal, error) {
	if c.Subject == "" {
		return Principal{}, unauthorized(ErrMissingClaim, "token lacks the sub claim", nil)
	}
	if c.Role == "" {
		return Principal{}, unauthorized(ErrMissingClaim, "token lacks the role claim", nil)
	}
	role := Role(c.Role)
	if !role.Valid() {
		return Principal{}, unauthorized(ErrClaims, "token role unknown", nil)
	}
	if len(c.Scopes) == 0 {
		return Principal{}, unauthorized(ErrMissingClaim, "token lacks the scopes claim", nil)
	}
	p := Principal{Subject: c.Subject, Role: role, NodeID: c.NodeID, TokenID: c.ID}
	p.Scopes = make([]Scope, 0, len(c.Scopes))
	for _, s := range c.Scopes {
		sc := Scope(s)
		if !role.Allows(sc) {
			return Principal{}, unauthorized(ErrClaims, "token scopes exceed its role", nil)
		}
		if !slices.Contains(p.Scopes, sc) {
			p.Scopes = append(p.Scopes, sc)
		}
	}
	switch {
	case role == RoleWorker && c.NodeID == "":
		return Principal{}, unauthorized(ErrMissingClaim, "worker token lacks node_id", nil)
	case role != RoleWorker && c.NodeID != "":
		return Principal{}, unauthorized(ErrClaims, "only worker tokens are bound to a node", nil)
	}
	return p, nil
}

// ParseBearer extracts the token from an Authorization header value ("Bearer <token>", scheme
// case-insensitive). An empty header or another scheme gives an *Error matching ErrMissingToken.
func ParseBearer(header string) (string, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", unauthorized(ErrMissingToken, "missing bearer token in Authorization header", nil)
	}
	token = strings.TrimSpace(token)
	if token == "" || strings.ContainsAny(token, " \t") {
		return "", unauthorized(ErrMissingToken, "missing bearer token in Authorization header", nil)
	}
	return token, nil
}
