package nodemgmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// Pool groups nodes that share limits, scaling and pricing. A node is in at most one pool.
type Pool struct {
	PoolID      string `json:"pool_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// NodeCount is exactly the number of member nodes; stores derive it, they never guess it.
	NodeCount      int             `json:"node_count"`
	MaxNodes       int             `json:"max_nodes"`
	ResourceLimits *ResourceLimits `json:"resource_limits,omitempty"`
	AutoScaling    bool            `json:"auto_scaling"`
	ScalingPolicy  *ScalingPolicy  `json:"scaling_policy,omitempty"`
	Pricing        *Pricing        `json:"pricing,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

// ScalingPolicy says when an auto-scaling pool grows or shrinks.
type ScalingPolicy struct {
	ScaleUpThreshold   float64 `json:"scale_up_threshold"`
	ScaleDownThreshold float64 `json:"scale_down_threshold"`
	MinNodes           int     `json:"min_nodes"`
	MaxNodes           int     `json:"max_nodes"`
	CooldownMinutes    int     `json:"cooldown_minutes"`
}

// Pricing is what an hour of a pool's node costs.
type Pricing struct {
	CostPerHour Decimal `json:"cost_per_hour"`
	Currency    string  `json:"currency"`
}

// Decimal is an exact non-negative decimal with at most 8 fractional digits, kept as its
// canonical text so that money never passes through a binary float. It reads a JSON number or
// string and writes a JSON string.
type Decimal string

var decimalPattern = regexp.MustCompile(`^(0|[1-9][0-9]{0,11})(\.[0-9]{1,8})?$`)

// UnmarshalJSON accepts 1.5 or "1.5"; exponents, signs and NaN-like text are refused.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if !decimalPattern.MatchString(s) {
		return fmt.Errorf("invalid decimal %q: want digits with at most 8 decimals", s)
	}
	*d = Decimal(s)
	return nil
}

// MarshalJSON writes the decimal as a JSON string, exactly as stored.
func (d Decimal) MarshalJSON() ([]byte, error) { return json.Marshal(string(d)) }

// DefaultMaxNodes is a pool's capacity when the request does not say.
const DefaultMaxNodes = 100

func validatePool(v *validationError, p *Pool) {
	validateName(v, "name", p.Name)
	if len(p.Description) > 500 {
		v.add("description", "must be at most 500 characters")
	}
	checkText(v, "description", p.Description, 500)
	if p.MaxNodes < 1 || p.MaxNodes > 1000 {
		v.add("max_nodes", "must be 1–1000")
	}
	validateLimits(v, "resource_limits", p.ResourceLimits)
	if p.AutoScaling && p.ScalingPolicy == nil {
		v.add("scaling_policy", "is required when auto_scaling is on")
	}
	if sp := p.ScalingPolicy; sp != nil {
		if sp.ScaleUpThreshold < 0 || sp.ScaleUpThreshold > 100 {
			v.add("scaling_policy.scale_up_threshold", "must be 0–100")
		}
		if sp.ScaleDownThreshold < 0 || sp.ScaleDownThreshold > 100 {
			v.add("scaling_policy.scale_down_threshold", "must be 0–100")
		}
		if sp.ScaleDownThreshold >= sp.ScaleUpThreshold {
			v.add("scaling_policy.scale_down_threshold", "must be below scale_up_threshold")
		}
		if sp.MinNodes < 0 || sp.MinNodes > 1000 {
			v.add("scaling_policy.min_nodes", "must be 0–1000")
		}
		if sp.MaxNodes < 1 || sp.MaxNodes > 1000 || sp.MaxNodes < sp.MinNodes {
			v.add("scaling_policy.max_nodes", "must be 1–1000 and at least min_nodes")
		}
		if sp.MaxNodes > p.MaxNodes {
			v.add("scaling_policy.max_nodes", "must not exceed the pool's max_nodes")
		}
		if sp.CooldownMinutes < 0 || sp.CooldownMinutes > 1440 {
			v.add("scaling_policy.cooldown_minutes", "must be 0–1440")
		}
	}
	if pr := p.Pricing; pr != nil {
		if pr.CostPerHour == "" {
			v.add("pricing.cost_per_hour", "is required")
		}
		switch pr.Currency {
		case "USDT", "LUCID":
		default:
			v.add("pricing.currency", "must be USDT or LUCID")
		}
	}
}
