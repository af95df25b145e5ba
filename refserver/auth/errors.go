package auth

import "errors"

// Codes carried by *Error, matching the server's LUCID_ERR_ table.
const (
	// CodeUnauthorized is answered with 401: no token, or a token that does not verify.
	CodeUnauthorized = "LUCID_ERR_4010"
	// CodeForbidden is answered with 403: a valid token without the right to the operation.
	CodeForbidden = "LUCID_ERR_4030"
)

// Sentinel causes, to be matched with errors.Is on an error returned by this package.
var (
	// ErrMissingToken: no Authorization header, or one without a bearer token.
	ErrMissingToken = errors.New("missing bearer token")
	// ErrMalformed: the token is not a well-formed JWT (segments, base64, JSON, claim types).
	ErrMalformed = errors.New("malformed token")
	// ErrAlgorithm: the token is not signed with HS256 (alg none, RS*, ES*, HS384, HS512, ...).
	ErrAlgorithm = errors.New("token signing algorithm not accepted")
	// ErrSignature: the HS256 signature does not match (wrong secret or tampered token).
	ErrSignature = errors.New("token signature invalid")
	// ErrExpired: the token's exp is in the past (beyond the leeway).
	ErrExpired = errors.New("token expired")
	// ErrNotYetValid: nbf or iat lies in the future (beyond the leeway).
	ErrNotYetValid = errors.New("token not valid yet")
	// ErrMissingClaim: a required claim (iss, exp, sub, role, scopes, or node_id of a worker) is absent.
	ErrMissingClaim = errors.New("token lacks a required claim")
	// ErrIssuer: the iss claim names another issuer.
	ErrIssuer = errors.New("token issuer not accepted")
	// ErrAudience: an audience is configured and the token is not for it.
	ErrAudience = errors.New("token audience not accepted")
	// ErrClaims: role unknown, scopes beyond the role's preset, or a node_id on a non-worker.
	ErrClaims = errors.New("token claims not accepted")
	// ErrForbidden: the principal may not perform the operation.
	ErrForbidden = errors.New("forbidden")
)

// Error is the error type of this package. Message is safe to show to the client: it never
// contains the secret nor the token.
type Error struct {
	// Code is CodeUnauthorized or CodeForbidden.
	Code string
	// Message is a short human-readable explanation.
	Message string
	// Details holds machine-readable extras (required scope, node id, claim name).
	Details map[string]any
	// Err is the cause; errors.Is(err, ErrExpired) and friends match through it.
	Err error
}

// Error returns the message, prefixed by the package name.
func (e *Error) Error() string { return "auth: " + e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// LucidCode returns the LUCID_ERR_ code the server answers with.
func (e *Error) LucidCode() string { return e.Code }

// LucidDetails returns the details for the error body.
func (e *Error) LucidDetails() map[string]any { return e.Details }

func unauthorized(kind error, msg string, cause error) *Error {
	err := kind
	if cause != nil {
		err = errors.Join(kind, cause)
	}
	return &Error{Code: CodeUnauthorized, Message: msg, Err: err}
}
