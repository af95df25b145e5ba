package sqlite

import (
	"context"
	"database/sql"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// AppendAuditBatch records several audit entries in one writer transaction: all or none. A
// PoOT batch writes one entry per proof, and a thousand single-entry transactions would cost
// the single writer more than judging the proofs.
func (s *Store) AppendAuditBatch(ctx context.Context, entries []nodemgmt.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	details := make([]sql.NullString, len(entries))
	for i, e := range entries {
		d, err := jsonColumn(e.Details, e.Details == nil)
		if err != nil {
			return internal("append audit", err)
		}
		details[i] = d
	}
	return s.write(ctx, "append audit", func(tx *sql.Tx) error {
		st, err := s.wst.txStmt(ctx, tx, qInsertAudit)
		if err != nil {
			return internal("append audit", err)
		}
		for i, e := range entries {
			if _, err := st.ExecContext(ctx, e.ID, micros(e.At), e.Category, e.Actor, e.Action, e.Target, e.Result, details[i]); err != nil {
				return internal("append audit", err)
			}
		}
		return nil
	})
}
