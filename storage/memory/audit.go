package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/clone"
)

// AppendAudit records one entry; its Details are stored in their JSON shape.
func (s *Store) AppendAudit(ctx context.Context, e nodemgmt.AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d, err := clone.JSONDetails(e.Details)
	if err != nil {
		return fmt.Errorf("memory store: audit details: %w", err)
	}
	e.Details = d
	e.At = clone.Norm(e.At)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	s.auditSeq++
	s.audit = append(s.audit, auditRow{seq: s.auditSeq, e: e})
	return nil
}

// ListAudit returns matching entries, newest first (ties in write order, latest first).
func (s *Store) ListAudit(ctx context.Context, f nodemgmt.AuditFilter) ([]nodemgmt.AuditEntry, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	since := clone.Norm(f.Since)
	var rows []auditRow
	for _, r := range s.audit {
		if (f.Category != "" && r.e.Category != f.Category) || (f.Target != "" && r.e.Target != f.Target) ||
			(!f.Since.IsZero() && r.e.At.Before(since)) {
			continue
		}
		rows = append(rows, r)
	}
	sortAudit(rows)
	if f.Limit > 0 && len(rows) > f.Limit {
		rows = rows[:f.Limit]
	}
	out := make([]nodemgmt.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = r.e
		d, err := clone.JSONDetails(r.e.Details)
		if err != nil {
			return nil, err
		}
		out[i].Details = d
	}
	return out, nil
}

func sortAudit(rows []auditRow) {
	// Newest first; insertion sort is fine for the sizes tests and embedding use, and stable.
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && auditLess(rows[j], rows[j-1]); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

func auditLess(a, b auditRow) bool {
	if !a.e.At.Equal(b.e.At) {
		return a.e.At.After(b.e.At)
	}
	return a.seq > b.seq
}

// PruneAudit deletes entries of the category ("" = every category) older than before.
func (s *Store) PruneAudit(ctx context.Context, category string, before time.Time) (int, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	before = clone.Norm(before)
	kept := s.audit[:0]
	n := 0
	for _, r := range s.audit {
		if (category == "" || r.e.Category == category) && r.e.At.Before(before) {
			n++
			continue
		}
		kept = append(kept, r)
	}
	clear(s.audit[len(kept):])
	s.audit = kept
	return n, nil
}

// AcquireLease takes or renews the lease for holder until now+ttl.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	now = clone.Norm(now)
	if l, ok := s.leases[name]; ok && l.holder != holder && now.Before(l.expires) {
		return false, nil
	}
	s.leases[name] = lease{holder: holder, expires: clone.Norm(now.Add(ttl))}
	return true, nil
}

// ReleaseLease frees the lease if holder has it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if l, ok := s.leases[name]; ok && l.holder == holder {
		delete(s.leases, name)
	}
	return nil
}
