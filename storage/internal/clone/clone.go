// Package clone deep-copies domain values for the storage backends, normalising their times to
// the stored form (UTC, microseconds), so no caller ever shares a value with a store.
package clone

import (
	"encoding/json"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// Norm is the stored form of a time: UTC at microsecond precision, like the SQL backends.
func Norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := Norm(*t)
	return &v
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// Node deep-copies n and normalises its times; nil and empty slices stay distinct.
func Node(n *nodemgmt.Node) *nodemgmt.Node {
	c := *n
	c.HardwareInfo.GPU = clonePtr(n.HardwareInfo.GPU)
	if n.HardwareInfo.Network != nil {
		c.HardwareInfo.Network = make([]nodemgmt.NetworkInfo, len(n.HardwareInfo.Network))
		copy(c.HardwareInfo.Network, n.HardwareInfo.Network)
	}
	if n.Location != nil {
		l := *n.Location
		l.Coordinates = clonePtr(l.Coordinates)
		c.Location = &l
	}
	if n.Configuration != nil {
		cf := *n.Configuration
		cf.ResourceLimits = clonePtr(cf.ResourceLimits)
		cf.MaintenanceWindow = clonePtr(cf.MaintenanceWindow)
		c.Configuration = &cf
	}
	c.LastHeartbeat = normPtr(n.LastHeartbeat)
	c.UptimeSince = normPtr(n.UptimeSince)
	c.HealthDeadline = normPtr(n.HealthDeadline)
	if n.Maintenance != nil {
		m := *n.Maintenance
		m.Since = Norm(m.Since)
		c.Maintenance = &m
	}
	c.CreatedAt = Norm(n.CreatedAt)
	c.UpdatedAt = Norm(n.UpdatedAt)
	return &c
}

// Pool deep-copies p and normalises its times.
func Pool(p *nodemgmt.Pool) *nodemgmt.Pool {
	c := *p
	c.ResourceLimits = clonePtr(p.ResourceLimits)
	c.ScalingPolicy = clonePtr(p.ScalingPolicy)
	c.Pricing = clonePtr(p.Pricing)
	c.CreatedAt = Norm(p.CreatedAt)
	c.UpdatedAt = Norm(p.UpdatedAt)
	return &c
}

// JSONDetails gives audit details the JSON shape the SQL backends store, so every backend
// returns the same values (numbers as float64) and no caller map is shared.
func JSONDetails(d map[string]any) (map[string]any, error) {
	if d == nil {
		return nil, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}
