// Package auth issues and verifies the bearer access tokens of the reference server and decides
// what a caller may do.
//
// Tokens are HS256 JWTs signed with a shared secret. Verification pins the algorithm, requires
// issuer and expiry, and checks the token's role and scopes against the role presets below, so a
// token can never claim more than its role allows. A worker token is bound to one node id and
// may only touch that node.
package auth

import (
	"fmt"
	"slices"
)

// Scope is one permission carried by a token.
type Scope string

// The six scopes of the API.
const (
	ScopeNodeRead    Scope = "node:read"
	ScopeNodeWrite   Scope = "node:write"
	ScopePoOTRead    Scope = "poot:read"
	ScopePoOTWrite   Scope = "poot:write"
	ScopePayoutRead  Scope = "payout:read"
	ScopePayoutWrite Scope = "payout:write"
)

// AllScopes returns every known scope, in a stable order.
func AllScopes() []Scope {
	return []Scope{ScopeNodeRead, ScopeNodeWrite, ScopePoOTRead, ScopePoOTWrite, ScopePayoutRead, ScopePayoutWrite}
}

// Valid reports whether s is one of the known scopes.
func (s Scope) Valid() bool { return slices.Contains(AllScopes(), s) }

// Role is a preset of scopes a token is issued for.
type Role string

// The role presets.
const (
	// RoleAdmin holds every scope on every node.
	RoleAdmin Role = "admin"
	// RoleValidator reads nodes and PoOT data of any node and validates proofs, batches included.
	RoleValidator Role = "validator"
	// RoleWorker is bound to one node: it reads that node, reports its heartbeat and resources,
	// submits and reads its own PoOT proofs. Never another node's data, never payouts.
	RoleWorker Role = "worker"
)

// Roles returns every known role.
func Roles() []Role { return []Role{RoleAdmin, RoleValidator, RoleWorker} }

// ParseRole returns the Role named s, or an error naming the accepted values.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("auth: unknown role %q (want admin, validator or worker)", s)
	}
	return r, nil
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// Scopes returns the scope preset of the role (a fresh slice), nil for an unknown role.
func (r Role) Scopes() []Scope {
	switch r {
	case RoleAdmin:
		return AllScopes()
	case RoleValidator:
		return []Scope{ScopeNodeRead, ScopePoOTRead, ScopePoOTWrite}
	case RoleWorker:
		return []Scope{ScopeNodeRead, ScopeNodeWrite, ScopePoOTRead, ScopePoOTWrite}
	}
	return nil
}

// Allows reports whether the role's preset contains s.
func (r Role) Allows(s Scope) bool { return slices.Contains(r.Scopes(), s) }

// Principal is the verified caller of a request.
type Principal struct {
	// Subject is the token's sub claim; the rate limiter keys on it.
	Subject string
	// Role is the preset the token was issued for.
	Role Role
	// Scopes are the scopes the token carries, always a subset of the role preset.
	Scopes []Scope
	// NodeID is the node a worker token is bound to; empty for other roles.
	NodeID string
	// TokenID is the jti claim, for audit entries.
	TokenID string
}

// Has reports whether the principal holds scope s.
func (p Principal) Has(s Scope) bool { return slices.Contains(p.Scopes, s) }

// CanAccessNode reports whether the principal may touch the node nodeID: admin and validator
// may touch any node, a worker only its own.
func (p Principal) CanAccessNode(nodeID string) bool {
	switch p.Role {
	case RoleAdmin, RoleValidator:
		return true
	case RoleWorker:
		return p.NodeID != "" && nodeID == p.NodeID
	}
	return false
}

// Authorize returns nil when the principal holds scope s and, when nodeID is not empty, may
// touch that node; otherwise a forbidden *Error (LUCID_ERR_4030). Routes that act on no single
// node (lists, pools, batches) pass an empty nodeID and must themselves refuse workers where the
// route would expose other nodes.
func (p Principal) Authorize(s Scope, nodeID string) error {
	if !p.Has(s) {
		return &Error{Code: CodeForbidden, Message: "token lacks scope " + string(s), Err: ErrForbidden,
			Details: map[string]any{"required_scope": string(s)}}
	}
	if nodeID != "" && !p.CanAccessNode(nodeID) {
		return &Error{Code: CodeForbidden, Message: "token may not access this node", Err: ErrForbidden,
			Details: map[string]any{"node_id": nodeID}}
	}
	return nil
}
