package nodemgmt

import (
	"context"
	"time"
)

// LifecycleResult is the answer of start, stop and restart.
type LifecycleResult struct {
	NodeID    string     `json:"node_id"`
	Status    Status     `json:"status"`
	StartedAt *time.Time `json:"started_at,omitempty"`
	StoppedAt *time.Time `json:"stopped_at,omitempty"`
	// Message explains a no-op answer such as "already active".
	Message string `json:"message,omitempty"`
}

// StartNode moves an inactive node to starting, and straight on to active when the node is
// healthy (it heartbeats, so it is demonstrably up); otherwise its next heartbeat completes the
// start. Starting an active node answers "already active" without error.
func (s *Service) StartNode(ctx context.Context, actor Actor, id string) (res LifecycleResult, err error) {
	defer func() { s.record(ctx, "node", actor, "start", id, err, nil) }()
	if err := checkNodeID(id); err != nil {
		return res, err
	}
	now := s.now()
	noop := false
	n, err := s.store.UpdateNode(ctx, id, func(n *Node) error {
		noop = n.Status == StatusActive || n.Status == StatusStarting
		if noop {
			return nil
		}
		if err := s.apply(n, ActionStart, actor, "", false, now); err != nil {
			return err
		}
		s.completeStart(n, now)
		n.UpdatedAt = now
		return nil
	})
	if err != nil {
		return res, err
	}
	res = LifecycleResult{NodeID: id, Status: n.Status, StartedAt: &now}
	if noop {
		res.Message = "already " + string(n.Status)
	}
	return res, nil
}

// completeStart finishes a start when the node is currently proving it is alive.
func (s *Service) completeStart(n *Node, now time.Time) {
	if n.Status == StatusStarting && n.Health == HealthHealthy && n.HealthDeadline != nil && now.Before(*n.HealthDeadline) {
		n.Status = StatusActive
	}
}

// StopNode moves an active (or starting) node through stopping to inactive. Stopping an
// inactive node answers "already inactive" without error.
func (s *Service) StopNode(ctx context.Context, actor Actor, id string) (res LifecycleResult, err error) {
	defer func() { s.record(ctx, "node", actor, "stop", id, err, nil) }()
	if err := checkNodeID(id); err != nil {
		return res, err
	}
	now := s.now()
	noop := false
	n, err := s.store.UpdateNode(ctx, id, func(n *Node) error {
		noop = n.Status == StatusInactive
		if noop {
			return nil
		}
		if err := s.apply(n, ActionStop, actor, "", false, now); err != nil {
			return err
		}
		if err := s.apply(n, ActionStopped, actor, "", false, now); err != nil {
			return err
		}
		n.UpdatedAt = now
		return nil
	})
	if err != nil {
		return res, err
	}
	res = LifecycleResult{NodeID: id, Status: n.Status, StoppedAt: &now}
	if noop {
		res.Message = "already inactive"
	}
	return res, nil
}

// RestartNode stops an active node and starts it again in one atomic step. An inactive node is
// simply started.
func (s *Service) RestartNode(ctx context.Context, actor Actor, id string) (res LifecycleResult, err error) {
	defer func() { s.record(ctx, "node", actor, "restart", id, err, nil) }()
	if err := checkNodeID(id); err != nil {
		return res, err
	}
	now := s.now()
	n, err := s.store.UpdateNode(ctx, id, func(n *Node) error {
		if n.Status == StatusActive || n.Status == StatusStarting {
			if err := s.apply(n, ActionStop, actor, "", false, now); err != nil {
				return err
			}
			if err := s.apply(n, ActionStopped, actor, "", false, now); err != nil {
				return err
			}
		}
		if err := s.apply(n, ActionStart, actor, "", false, now); err != nil {
			return err
		}
		s.completeStart(n, now)
		n.UpdatedAt = now
		return nil
	})
	if err != nil {
		return res, err
	}
	return LifecycleResult{NodeID: id, Status: n.Status, StartedAt: &now, StoppedAt: &now}, nil
}

// MaintenanceRequest puts a node into maintenance (or drain) and records why.
type MaintenanceRequest struct {
	Reason string `json:"reason"`
	// Drain keeps the node finishing current work while taking no new sessions.
	Drain bool `json:"drain"`
}

// Validate requires a reason: maintenance must always say why.
func (r *MaintenanceRequest) Validate() error {
	var v validationError
	if r.Reason == "" {
		v.add("reason", "is required")
	}
	checkText(&v, "reason", r.Reason, 500)
	return v.err()
}

// EnterMaintenance puts a node into maintenance, recording who, why and whether it drains.
func (s *Service) EnterMaintenance(ctx context.Context, actor Actor, id string, req MaintenanceRequest) (n *Node, err error) {
	defer func() {
		s.record(ctx, "node", actor, "enter_maintenance", id, err, map[string]any{"reason": req.Reason, "drain": req.Drain})
	}()
	if err := checkNodeID(id); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	return s.store.UpdateNode(ctx, id, func(n *Node) error {
		if err := s.apply(n, ActionEnterMaintenance, actor, req.Reason, req.Drain, now); err != nil {
			return err
		}
		n.UpdatedAt = now
		return nil
	})
}

// ExitMaintenance ends maintenance; the node returns to inactive and is started as usual.
func (s *Service) ExitMaintenance(ctx context.Context, actor Actor, id string) (n *Node, err error) {
	defer func() { s.record(ctx, "node", actor, "exit_maintenance", id, err, nil) }()
	if err := checkNodeID(id); err != nil {
		return nil, err
	}
	now := s.now()
	return s.store.UpdateNode(ctx, id, func(n *Node) error {
		if err := s.apply(n, ActionExitMaintenance, actor, "", false, now); err != nil {
			return err
		}
		n.UpdatedAt = now
		return nil
	})
}

// HeartbeatAck tells a node how long its heartbeat keeps it healthy.
type HeartbeatAck struct {
	NodeID string `json:"node_id"`
	Status Status `json:"status"`
	Health Health `json:"health"`
	// TTLSeconds is the time within which the node must heartbeat again.
	TTLSeconds int       `json:"ttl_seconds"`
	Deadline   time.Time `json:"deadline"`
	// IntervalSeconds is the heartbeat interval the server recommends (a third of the TTL).
	IntervalSeconds int `json:"interval_seconds"`
}

// Heartbeat records that the node is alive: health becomes healthy until now+TTL, and a node
// that was starting becomes active.
func (s *Service) Heartbeat(ctx context.Context, id string) (HeartbeatAck, error) {
	if err := checkNodeID(id); err != nil {
		return HeartbeatAck{}, err
	}
	now := s.now()
	deadline := now.Add(s.cfg.HeartbeatTTL)
	n, err := s.store.UpdateNode(ctx, id, func(n *Node) error {
		// The gap since the last heartbeat counts as up only if it stayed within the TTL.
		if n.LastHeartbeat != nil && n.UptimeSince != nil {
			if gap := now.Sub(*n.LastHeartbeat); gap > 0 && gap <= s.cfg.HeartbeatTTL {
				n.UpSeconds += int64(gap / time.Second)
			}
		} else {
			n.UptimeSince = &now
		}
		n.LastHeartbeat = &now
		n.Health = HealthHealthy
		n.HealthDeadline = &deadline
		s.completeStart(n, now)
		n.UpdatedAt = now
		return nil
	})
	if s.cfg.OnOperation != nil {
		s.cfg.OnOperation("node.heartbeat", resultOf(err))
	}
	if err != nil {
		return HeartbeatAck{}, err
	}
	ttl := int(s.cfg.HeartbeatTTL / time.Second)
	return HeartbeatAck{NodeID: id, Status: n.Status, Health: n.Health, TTLSeconds: ttl, Deadline: deadline,
		IntervalSeconds: max(1, ttl/3)}, nil
}

func resultOf(err error) string {
	if err == nil {
		return "ok"
	}
	return errorCode(err)
}

// ReapStats counts what one reaper pass changed.
type ReapStats struct {
	Unknown int
	Down    int
}

// reapBatch bounds one reaper pass so a large outage is processed in steady slices.
const reapBatch = 500

// ReapHealth moves nodes whose heartbeat deadline passed from healthy to unknown, and nodes
// unknown for longer than the grace period to down.
func (s *Service) ReapHealth(ctx context.Context) (ReapStats, error) {
	var st ReapStats
	now := s.now()
	stale, err := s.store.ListStaleNodes(ctx, now, reapBatch)
	if err != nil {
		return st, err
	}
	for _, candidate := range stale {
		var changed Health
		_, err := s.store.UpdateNode(ctx, candidate.NodeID, func(n *Node) error {
			changed = ""
			if n.Health == HealthDown || n.HealthDeadline == nil || !now.After(*n.HealthDeadline) {
				return nil // a heartbeat arrived since the listing
			}
			if now.After(n.HealthDeadline.Add(s.cfg.HeartbeatGrace)) {
				n.Health, changed = HealthDown, HealthDown
			} else if n.Health == HealthHealthy {
				n.Health, changed = HealthUnknown, HealthUnknown
			}
			if changed != "" {
				n.UpdatedAt = now
			}
			return nil
		})
		if err != nil {
			if ctx.Err() != nil {
				return st, ctx.Err()
			}
			s.cfg.Logger.WarnContext(ctx, "reaper could not update node", "node_id", candidate.NodeID, "err", err)
			continue
		}
		switch changed {
		case HealthUnknown:
			st.Unknown++
		case HealthDown:
			st.Down++
			s.cfg.Logger.WarnContext(ctx, "node is down: no heartbeat", "node_id", candidate.NodeID)
			s.record(ctx, "node", SystemActor, "health_down", candidate.NodeID, nil, nil)
		}
	}
	return st, nil
}

// PrepareAfterRestart gives every node that is not down a deadline of at least now+RestartTTL,
// so that a server restart (during which no heartbeat could arrive) does not mark the fleet down.
func (s *Service) PrepareAfterRestart(ctx context.Context) (int, error) {
	return s.store.ExtendHealthDeadlines(ctx, s.now().Add(s.cfg.RestartTTL))
}

// RunReaper runs ReapHealth every interval until ctx ends. When several replicas share a
// store, the caller runs it on one of them at a time (the reference server holds a lease).
func (s *Service) RunReaper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if st, err := s.ReapHealth(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.WarnContext(ctx, "reaper pass failed", "err", err)
		} else if st.Unknown+st.Down > 0 {
			s.cfg.Logger.InfoContext(ctx, "reaper pass", "unknown", st.Unknown, "down", st.Down)
		}
	}
}

// Counts returns fleet totals by status and health.
func (s *Service) Counts(ctx context.Context) (NodeCounts, error) { return s.store.CountNodes(ctx) }

// Ping checks the store.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Audit lists audit entries.
func (s *Service) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	return s.store.ListAudit(ctx, f)
}
