package rowcodec

import (
	"encoding/json"
	"fmt"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// PoolColumns are a pool's optional JSON columns; a nil slice is NULL, so a pool without
// resource limits, scaling policy or pricing reads back with a nil pointer, not an empty value.
type PoolColumns struct {
	// Limits, Policy and Pricing hold ResourceLimits, ScalingPolicy and Pricing.
	Limits, Policy, Pricing []byte
}

// EncodePool encodes p's JSON columns.
func EncodePool(p *nodemgmt.Pool) (PoolColumns, error) {
	var c PoolColumns
	var err error
	if c.Limits, err = JSON(p.ResourceLimits, p.ResourceLimits == nil); err != nil {
		return c, err
	}
	if c.Policy, err = JSON(p.ScalingPolicy, p.ScalingPolicy == nil); err != nil {
		return c, err
	}
	if c.Pricing, err = JSON(p.Pricing, p.Pricing == nil); err != nil {
		return c, err
	}
	return c, nil
}

// DecodePool decodes c into p; p.PoolID names the pool in errors.
func DecodePool(p *nodemgmt.Pool, c PoolColumns) error {
	for _, f := range []struct {
		col []byte
		dst any
	}{{c.Limits, &p.ResourceLimits}, {c.Policy, &p.ScalingPolicy}, {c.Pricing, &p.Pricing}} {
		if f.col != nil {
			if err := json.Unmarshal(f.col, f.dst); err != nil {
				return fmt.Errorf("pool %s: %w", p.PoolID, err)
			}
		}
	}
	return nil
}
