package memory

import (
	"context"
	"fmt"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/clone"
)

// AppendAuditBatch records several audit entries at once: all or none (the SQL backends write
// them in one transaction).
func (s *Store) AppendAuditBatch(ctx context.Context, entries []nodemgmt.AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rows := make([]nodemgmt.AuditEntry, len(entries))
	for i, e := range entries {
		d, err := clone.JSONDetails(e.Details)
		if err != nil {
			return fmt.Errorf("memory store: audit details: %w", err)
		}
		e.Details = d
		e.At = clone.Norm(e.At)
		rows[i] = e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	for _, e := range rows {
		s.auditSeq++
		s.audit = append(s.audit, auditRow{seq: s.auditSeq, e: e})
	}
	return nil
}
