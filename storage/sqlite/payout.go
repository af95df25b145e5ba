package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/storage/internal/rowcodec"
)

var (
	_ payout.Store       = (*Store)(nil)
	_ payout.WalletStore = (*Store)(nil)
)

const payoutCols = `payout_id, node_id, amount_minor, currency, wallet_address, stage, priority, transaction_hash,
	batch_id, epoch_id, scheduled_at, processed_at, completed_at, error_message, chain_state, block_number,
	tx_attempts, errors, next_attempt_at, created_at, updated_at, version`

const (
	qUpdatePayout = `UPDATE payouts SET node_id = ?, amount_minor = ?, currency = ?, wallet_address = ?, stage = ?, priority = ?,
	transaction_hash = ?, batch_id = ?, epoch_id = ?, scheduled_at = ?, processed_at = ?, completed_at = ?, error_message = ?,
	chain_state = ?, block_number = ?, tx_attempts = ?, errors = ?, next_attempt_at = ?, created_at = ?, updated_at = ?,
	version = ?, status = ? WHERE payout_id = ? AND version = ?`
	qGetPayout     = `SELECT ` + payoutCols + ` FROM payouts WHERE payout_id = ?`
	qPayoutVersion = `SELECT version FROM payouts WHERE payout_id = ?`
	qBatchExists   = `SELECT 1 FROM payout_batches WHERE batch_id = ?`

	batchCols     = `batch_id, status, priority, scheduled_at, notification_url, content_hash, payout_count, totals, created_at, finished_at, notified_at, notify_attempts, notify_error, version`
	qInsertBatch  = `INSERT INTO payout_batches (` + batchCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qGetBatch     = `SELECT ` + batchCols + ` FROM payout_batches WHERE batch_id = ?`
	qOpenBatches  = `SELECT ` + batchCols + ` FROM payout_batches WHERE status IN ('queued', 'processing') OR (notification_url <> '' AND notified_at IS NULL) ORDER BY batch_id`
	qUpdateBatch  = `UPDATE payout_batches SET status = ?, priority = ?, scheduled_at = ?, notification_url = ?, content_hash = ?, payout_count = ?, totals = ?, created_at = ?, finished_at = ?, notified_at = ?, notify_attempts = ?, notify_error = ?, version = ? WHERE batch_id = ? AND version = ?`
	txCols        = `tx_id, payout_id, raw, expiration, to_address, amount_minor, currency, state, block_number, superseded, broadcast_error, created_at, updated_at`
	qInsertTx     = `INSERT INTO payout_txs (` + txCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpdateTx     = `UPDATE payout_txs SET raw = ?, expiration = ?, to_address = ?, amount_minor = ?, currency = ?, state = ?, block_number = ?, superseded = ?, broadcast_error = ?, created_at = ?, updated_at = ? WHERE tx_id = ? AND payout_id = ?`
	qInsertLedger = `INSERT INTO payout_ledger (node_id, currency, kind, minor, epoch_id, payout_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)`
	epochCols     = `epoch_id, currency, start_at, end_at, pool, carry_in, distributed, remainder_units, carry_out, shares, payout_ids, created_at`
	scheduleCols  = `enabled, interval_us, reward_pool_minor, minimum_payout_minor, currency, next_run_at, updated_at, version`
)

func (s *Store) payoutArgs(p payout.Payout) []any {
	return []any{p.NodeID, p.Amount.Minor(), string(p.Currency()), rowcodec.SealPayoutAddress(s.sealer, &p),
		string(p.Stage), string(p.Priority), p.TransactionHash, p.BatchID, p.EpochID, nullMicros(p.ScheduledAt),
		nullMicros(p.ProcessedAt), nullMicros(p.CompletedAt), p.ErrorMessage, string(p.ChainState), p.BlockNumber,
		p.TxAttempts, p.Errors, micros(p.NextAttemptAt), micros(p.CreatedAt), micros(p.UpdatedAt), p.Version,
		string(p.Status())}
}

func (s *Store) scanPayout(row scanner) (payout.Payout, error) {
	var (
		p                      payout.Payout
		minor                  int64
		cur                    string
		addr                   []byte
		sched, processed, done sql.NullInt64
		next, created, updated int64
		stage, prio, chain     string
	)
	if err := row.Scan(&p.PayoutID, &p.NodeID, &minor, &cur, &addr, &stage, &prio, &p.TransactionHash, &p.BatchID,
		&p.EpochID, &sched, &processed, &done, &p.ErrorMessage, &chain, &p.BlockNumber, &p.TxAttempts, &p.Errors,
		&next, &created, &updated, &p.Version); err != nil {
		return payout.Payout{}, err
	}
	if err := rowcodec.OpenPayout(s.sealer, &p, minor, cur, addr); err != nil {
		return payout.Payout{}, err
	}
	p.Stage, p.Priority, p.ChainState = payout.Stage(stage), payout.Priority(prio), payout.TxState(chain)
	p.ScheduledAt, p.ProcessedAt, p.CompletedAt = fromNullMicros(sched), fromNullMicros(processed), fromNullMicros(done)
	p.NextAttemptAt, p.CreatedAt, p.UpdatedAt = fromMicrosOrZero(next), fromMicros(created), fromMicros(updated)
	return p, nil
}

// Statements are parsed once and kept (SQLite's parser was a third of the processor's CPU):
// reads through the read pool's cache, writes through the writer's. A write statement is
// prepared before its transaction begins (warm), because preparing takes the writer's only
// connection; inside the transaction it is bound to the transaction (texec, tqrow).

func (s *Store) qrow(ctx context.Context, q string, args ...any) *sql.Row {
	if st, err := s.rst.get(ctx, q); err == nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.r.QueryRowContext(ctx, q, args...)
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.rst.get(ctx, q)
	if err != nil {
		return s.r.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// warm prepares write statements outside any transaction; failures only cost a parse later.
func (s *Store) warm(ctx context.Context, qs ...string) {
	for _, q := range qs {
		_, _ = s.wst.get(ctx, q)
	}
}

func (s *Store) texec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if st := s.wst.lookup(q); st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

func (s *Store) tqrow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if st := s.wst.lookup(q); st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

// fromMicrosOrZero keeps the zero time zero (micros of time.Time{} is a large negative number
// that round-trips, but only if it is not mistaken for a real instant elsewhere).
func fromMicrosOrZero(v int64) time.Time {
	if v == micros(time.Time{}) {
		return time.Time{}
	}
	return fromMicros(v)
}

func batchArgs(b payout.Batch) ([]any, error) {
	tot, err := rowcodec.EncodeTotals(&b)
	if err != nil {
		return nil, err
	}
	return []any{string(b.Status), string(b.Priority), nullMicros(b.ScheduledAt), b.NotificationURL, b.ContentHash,
		b.PayoutCount, string(tot), micros(b.CreatedAt), nullMicros(b.FinishedAt), nullMicros(b.NotifiedAt),
		b.NotifyAttempts, b.NotifyError, b.Version}, nil
}

func scanBatch(row scanner) (payout.Batch, error) {
	var (
		b                    payout.Batch
		status, prio, totals string
		sched, fin, notified sql.NullInt64
		created              int64
	)
	if err := row.Scan(&b.BatchID, &status, &prio, &sched, &b.NotificationURL, &b.ContentHash, &b.PayoutCount, &totals,
		&created, &fin, &notified, &b.NotifyAttempts, &b.NotifyError, &b.Version); err != nil {
		return payout.Batch{}, err
	}
	if err := rowcodec.DecodeTotals(&b, []byte(totals)); err != nil {
		return payout.Batch{}, err
	}
	b.Status, b.Priority = payout.BatchStatus(status), payout.Priority(prio)
	b.ScheduledAt, b.FinishedAt, b.NotifiedAt = fromNullMicros(sched), fromNullMicros(fin), fromNullMicros(notified)
	b.CreatedAt = fromMicros(created)
	return b, nil
}

// CreateBatch implements payout.Store: the batch and all its payouts in one transaction.
func (s *Store) CreateBatch(ctx context.Context, b payout.Batch, ps []payout.Payout) error {
	b.Version = 1
	bargs, err := batchArgs(b)
	if err != nil {
		return err
	}
	s.warm(ctx, qInsertBatch, qInsertPayoutsChunk)
	return s.write(ctx, "create batch", func(tx *sql.Tx) error {
		if _, err := s.texec(ctx, tx, qInsertBatch, append([]any{b.BatchID}, bargs...)...); err != nil {
			if isUnique(err) {
				return fmt.Errorf("batch %s: %w", b.BatchID, payout.ErrConflict)
			}
			return internal("insert batch", err)
		}
		return s.insertPayouts(ctx, tx, ps)
	})
}

// payoutRowsPerInsert is how many payouts one multi-row INSERT carries (23 parameters each,
// far below SQLite's parameter limit); fewer, larger statements cut the per-statement cost of a
// 1000-payout batch by half.
const payoutRowsPerInsert = 50

var qInsertPayoutsChunk = qInsertPayoutN(payoutRowsPerInsert)

func qInsertPayoutN(n int) string {
	row := "(?" + strings.Repeat(", ?", 22) + ")"
	return `INSERT INTO payouts (` + payoutCols + `, status) VALUES ` + row + strings.Repeat(", "+row, n-1)
}

// insertPayouts inserts ps (Version 1) in chunks; a duplicate id anywhere is ErrConflict.
func (s *Store) insertPayouts(ctx context.Context, tx *sql.Tx, ps []payout.Payout) error {
	args := make([]any, 0, payoutRowsPerInsert*23)
	for len(ps) > 0 {
		n := min(len(ps), payoutRowsPerInsert)
		args = args[:0]
		for _, p := range ps[:n] {
			p.Version = 1
			args = append(append(args, p.PayoutID), s.payoutArgs(p)...)
		}
		q := qInsertPayoutsChunk
		if n < payoutRowsPerInsert {
			q = qInsertPayoutN(n)
		}
		if _, err := s.texec(ctx, tx, q, args...); err != nil {
			if isUnique(err) {
				return fmt.Errorf("payouts: %w", payout.ErrConflict)
			}
			return internal("insert payouts", err)
		}
		ps = ps[n:]
	}
	return nil
}

// GetBatch implements payout.Store.
func (s *Store) GetBatch(ctx context.Context, id string) (payout.Batch, error) {
	b, err := scanBatch(s.qrow(ctx, qGetBatch, id))
	if errors.Is(err, sql.ErrNoRows) {
		return payout.Batch{}, fmt.Errorf("batch %s: %w", id, payout.ErrNotFound)
	}
	if err != nil {
		return payout.Batch{}, internal("get batch", err)
	}
	return b, nil
}

// UpdateBatch implements payout.Store (compare-and-set on version).
func (s *Store) UpdateBatch(ctx context.Context, b payout.Batch, expect int64) (payout.Batch, error) {
	b.Version = expect + 1
	args, err := batchArgs(b)
	if err != nil {
		return payout.Batch{}, err
	}
	s.warm(ctx, qUpdateBatch, qBatchExists)
	err = s.write(ctx, "update batch", func(tx *sql.Tx) error {
		res, err := s.texec(ctx, tx, qUpdateBatch, append(args, b.BatchID, expect)...)
		if err != nil {
			return internal("update batch", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var one int
		if err := s.tqrow(ctx, tx, qBatchExists, b.BatchID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("batch %s: %w", b.BatchID, payout.ErrNotFound)
		}
		return fmt.Errorf("batch %s version moved from %d: %w", b.BatchID, expect, payout.ErrConflict)
	})
	if err != nil {
		return payout.Batch{}, err
	}
	return normBatch(b), nil
}

// normBatch returns b with its times as the store keeps them.
func normBatch(b payout.Batch) payout.Batch {
	norm := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		v := fromMicros(micros(*t))
		return &v
	}
	b.ScheduledAt, b.FinishedAt, b.NotifiedAt = norm(b.ScheduledAt), norm(b.FinishedAt), norm(b.NotifiedAt)
	b.CreatedAt = fromMicros(micros(b.CreatedAt))
	return b
}

// ListOpenBatches implements payout.Store.
func (s *Store) ListOpenBatches(ctx context.Context, maxNotify int) ([]payout.Batch, error) {
	rows, err := s.query(ctx, qOpenBatches)
	if err != nil {
		return nil, internal("list open batches", err)
	}
	defer rows.Close()
	var out []payout.Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, internal("list open batches", err)
		}
		if !b.Status.Finished() || b.NotifyAttempts < maxNotify {
			out = append(out, b)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, internal("list open batches", err)
	}
	return out, nil
}

// GetPayout implements payout.Store.
func (s *Store) GetPayout(ctx context.Context, id string) (payout.Payout, error) {
	p, err := s.scanPayout(s.qrow(ctx, qGetPayout, id))
	if errors.Is(err, sql.ErrNoRows) {
		return payout.Payout{}, fmt.Errorf("payout %s: %w", id, payout.ErrNotFound)
	}
	if err != nil {
		return payout.Payout{}, internal("get payout", err)
	}
	return p, nil
}

func (s *Store) txArgs(t payout.TxRecord) []any {
	sup := 0
	if t.Superseded {
		sup = 1
	}
	return []any{t.Raw, micros(t.Expiration), rowcodec.SealTxAddress(s.sealer, &t), t.Amount.Minor(),
		string(t.Amount.Currency()), string(t.State), t.BlockNumber, sup, t.BroadcastError, micros(t.CreatedAt), micros(t.UpdatedAt)}
}

// UpdatePayout implements payout.Store: compare-and-set of the payout, its new transaction,
// its transaction updates and ledger entries in one transaction.
func (s *Store) UpdatePayout(ctx context.Context, u payout.PayoutUpdate) (payout.Payout, error) {
	p, run := s.payoutUpdate(ctx, u)
	// Shared with other payouts' updates in one transaction; see payout_group.go.
	if err := s.payoutDo(ctx, run); err != nil {
		return payout.Payout{}, err
	}
	return normPayout(p), nil
}

// payoutUpdate returns the payout as u stores it and the statements that store it.
func (s *Store) payoutUpdate(ctx context.Context, u payout.PayoutUpdate) (payout.Payout, func(context.Context, *sql.Tx) error) {
	p := u.Payout
	p.Version = u.ExpectVersion + 1
	s.warm(ctx, qUpdatePayout, qPayoutVersion, qInsertTx, qUpdateTx, qInsertLedger)
	// The sealing of addresses happens here, outside the writer's transaction.
	pargs := append(s.payoutArgs(p), p.PayoutID, u.ExpectVersion)
	var newTx []any
	if t := u.NewTx; t != nil {
		newTx = append([]any{t.TxID, p.PayoutID}, s.txArgs(*t)...)
	}
	txUp := make([][]any, len(u.TxUpdates))
	for i, t := range u.TxUpdates {
		txUp[i] = append(s.txArgs(t), t.TxID, p.PayoutID)
	}
	return p, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.texec(ctx, tx, qUpdatePayout, pargs...)
		if err != nil {
			return internal("update payout", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var v int64
			if err := s.tqrow(ctx, tx, qPayoutVersion, p.PayoutID).Scan(&v); errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("payout %s: %w", p.PayoutID, payout.ErrNotFound)
			}
			return fmt.Errorf("payout %s version %d, expected %d: %w", p.PayoutID, v, u.ExpectVersion, payout.ErrConflict)
		}
		if t := u.NewTx; t != nil {
			if _, err := s.texec(ctx, tx, qInsertTx, newTx...); err != nil {
				if isUnique(err) {
					return fmt.Errorf("tx %s: %w", t.TxID, payout.ErrConflict)
				}
				return internal("insert tx", err)
			}
		}
		for i, t := range u.TxUpdates {
			res, err := s.texec(ctx, tx, qUpdateTx, txUp[i]...)
			if err != nil {
				return internal("update tx", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return fmt.Errorf("tx %s of payout %s: %w", t.TxID, p.PayoutID, payout.ErrNotFound)
			}
		}
		return s.insertLedger(ctx, tx, u.Ledger)
	}
}

// normPayout returns p with its times as the store keeps them.
func normPayout(p payout.Payout) payout.Payout {
	n := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		v := fromMicros(micros(*t))
		return &v
	}
	p.ScheduledAt, p.ProcessedAt, p.CompletedAt = n(p.ScheduledAt), n(p.ProcessedAt), n(p.CompletedAt)
	p.NextAttemptAt, p.CreatedAt, p.UpdatedAt = fromMicrosOrZero(micros(p.NextAttemptAt)), fromMicros(micros(p.CreatedAt)), fromMicros(micros(p.UpdatedAt))
	return p
}

func (s *Store) insertLedger(ctx context.Context, tx *sql.Tx, ls []payout.LedgerEntry) error {
	for _, l := range ls {
		if _, err := s.texec(ctx, tx, qInsertLedger, l.NodeID, string(l.Currency), string(l.Kind), l.Minor, l.EpochID, l.PayoutID, micros(l.At)); err != nil {
			return internal("insert ledger", err)
		}
	}
	return nil
}

func (s *Store) queryPayouts(ctx context.Context, op, q string, args ...any) ([]payout.Payout, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, internal(op, err)
	}
	defer rows.Close()
	var out []payout.Payout
	for rows.Next() {
		p, err := s.scanPayout(rows)
		if err != nil {
			return nil, internal(op, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// ListActive implements payout.Store.
func (s *Store) ListActive(ctx context.Context, after string, limit int) ([]payout.Payout, error) {
	if limit <= 0 {
		limit = -1
	}
	return s.queryPayouts(ctx, "list active payouts", `SELECT `+payoutCols+` FROM payouts
	WHERE status IN ('pending', 'processing') AND payout_id > ? ORDER BY payout_id LIMIT ?`, after, limit)
}

// ListPayouts implements payout.Store: newest first, page by offset or cursor.
func (s *Store) ListPayouts(ctx context.Context, f payout.PayoutFilter) (payout.PayoutPage, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	for _, c := range rowcodec.PayoutConds(f, func(t time.Time) any { return micros(t) }) {
		add(c.Expr+"?", c.Value)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var pg payout.PayoutPage
	if err := s.qrow(ctx, `SELECT COUNT(*) FROM payouts`+cond, args...).Scan(&pg.Total); err != nil {
		return pg, internal("count payouts", err)
	}
	limit := rowcodec.PayoutPageLimit(f.Limit)
	pageCond, pageArgs := cond, args
	offset := 0
	if f.Cursor != "" {
		at, id, err := payout.DecodeCursor(f.Cursor)
		if err != nil {
			return pg, err
		}
		c := "(created_at < ? OR (created_at = ? AND payout_id < ?))"
		if pageCond == "" {
			pageCond = " WHERE " + c
		} else {
			pageCond += " AND " + c
		}
		pageArgs = append(append([]any(nil), args...), micros(at), micros(at), id)
	} else if f.Offset > 0 {
		offset = f.Offset
	}
	ps, err := s.queryPayouts(ctx, "list payouts", `SELECT `+payoutCols+` FROM payouts`+pageCond+
		` ORDER BY created_at DESC, payout_id DESC LIMIT ? OFFSET ?`, append(pageArgs, limit+1, offset)...)
	if err != nil {
		return pg, err
	}
	pg.Payouts, pg.NextCursor = rowcodec.TrimPayoutPage(ps, limit)
	return pg, nil
}

func (s *Store) queryTxs(ctx context.Context, op, q string, args ...any) ([]payout.TxRecord, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, internal(op, err)
	}
	defer rows.Close()
	var out []payout.TxRecord
	for rows.Next() {
		var (
			t                     payout.TxRecord
			exp, created, updated int64
			to                    []byte
			minor                 int64
			cur, state            string
			sup                   int
		)
		if err := rows.Scan(&t.TxID, &t.PayoutID, &t.Raw, &exp, &to, &minor, &cur, &state, &t.BlockNumber, &sup,
			&t.BroadcastError, &created, &updated); err != nil {
			return nil, internal(op, err)
		}
		if err := rowcodec.OpenTx(s.sealer, &t, to, minor, cur); err != nil {
			return nil, err
		}
		t.State, t.Superseded = payout.TxState(state), sup != 0
		t.Expiration, t.CreatedAt, t.UpdatedAt = fromMicrosOrZero(exp), fromMicrosOrZero(created), fromMicrosOrZero(updated)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// ListTxs implements payout.Store.
func (s *Store) ListTxs(ctx context.Context, payoutID string) ([]payout.TxRecord, error) {
	return s.queryTxs(ctx, "list txs", `SELECT `+txCols+` FROM payout_txs WHERE payout_id = ? ORDER BY seq`, payoutID)
}

// ListAllTxs implements payout.Store.
func (s *Store) ListAllTxs(ctx context.Context, after string, limit int) ([]payout.TxRecord, error) {
	if limit <= 0 {
		limit = -1
	}
	return s.queryTxs(ctx, "list all txs", `SELECT `+txCols+` FROM payout_txs WHERE tx_id > ? ORDER BY tx_id LIMIT ?`, after, limit)
}

// GetSchedule implements payout.Store.
func (s *Store) GetSchedule(ctx context.Context) (payout.Schedule, error) {
	var (
		sc                 payout.Schedule
		enabled            int
		interval, pool, mn int64
		cur                string
		next, updated      int64
	)
	err := s.qrow(ctx, `SELECT `+scheduleCols+` FROM payout_schedule WHERE id = 1`).
		Scan(&enabled, &interval, &pool, &mn, &cur, &next, &updated, &sc.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return payout.Schedule{}, fmt.Errorf("schedule: %w", payout.ErrNotFound)
	}
	if err != nil {
		return payout.Schedule{}, internal("get schedule", err)
	}
	c := payout.Currency(cur)
	if sc.RewardPool, err = payout.NewAmount(pool, c); err != nil {
		return payout.Schedule{}, fmt.Errorf("schedule: reward pool: %w", err)
	}
	if sc.MinimumPayout, err = payout.NewAmount(mn, c); err != nil {
		return payout.Schedule{}, fmt.Errorf("schedule: minimum payout: %w", err)
	}
	sc.Enabled, sc.Interval = enabled != 0, time.Duration(interval)*time.Microsecond
	sc.NextRunAt, sc.UpdatedAt = fromMicrosOrZero(next), fromMicrosOrZero(updated)
	return sc, nil
}

// SetSchedule implements payout.Store (compare-and-set on version; 0 means none stored).
func (s *Store) SetSchedule(ctx context.Context, sc payout.Schedule, expect int64) (payout.Schedule, error) {
	sc.Version = expect + 1
	en := 0
	if sc.Enabled {
		en = 1
	}
	err := s.write(ctx, "set schedule", func(tx *sql.Tx) error {
		var cur int64
		err := s.tqrow(ctx, tx, `SELECT version FROM payout_schedule WHERE id = 1`).Scan(&cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return internal("set schedule", err)
		}
		if cur != expect {
			return fmt.Errorf("schedule version %d, expected %d: %w", cur, expect, payout.ErrConflict)
		}
		_, err = s.texec(ctx, tx, `INSERT INTO payout_schedule (id, `+scheduleCols+`) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, interval_us = excluded.interval_us,
		reward_pool_minor = excluded.reward_pool_minor, minimum_payout_minor = excluded.minimum_payout_minor,
		currency = excluded.currency, next_run_at = excluded.next_run_at, updated_at = excluded.updated_at, version = excluded.version`,
			en, sc.Interval.Microseconds(), sc.RewardPool.Minor(), sc.MinimumPayout.Minor(), string(sc.Currency()),
			micros(sc.NextRunAt), micros(sc.UpdatedAt), sc.Version)
		if err != nil {
			return internal("set schedule", err)
		}
		return nil
	})
	if err != nil {
		return payout.Schedule{}, err
	}
	sc.NextRunAt, sc.UpdatedAt = fromMicrosOrZero(micros(sc.NextRunAt)), fromMicrosOrZero(micros(sc.UpdatedAt))
	return sc, nil
}

// CommitEpoch implements payout.Store: the epoch, its ledger entries and its payouts at once.
func (s *Store) CommitEpoch(ctx context.Context, e payout.EpochRecord, ledger []payout.LedgerEntry, ps []payout.Payout) error {
	shares, err := json.Marshal(e.Shares)
	if err != nil {
		return fmt.Errorf("encode shares: %w", err)
	}
	ids, err := json.Marshal(e.PayoutIDs)
	if err != nil {
		return fmt.Errorf("encode payout ids: %w", err)
	}
	return s.write(ctx, "commit epoch", func(tx *sql.Tx) error {
		_, err := s.texec(ctx, tx, `INSERT INTO payout_epochs (`+epochCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.EpochID, string(e.Currency), micros(e.Start), micros(e.End), e.Pool, e.CarryIn, e.Distributed,
			e.RemainderUnits, e.CarryOut, string(shares), string(ids), micros(e.CreatedAt))
		if err != nil {
			if isUnique(err) {
				return fmt.Errorf("epoch %s: %w", e.EpochID, payout.ErrConflict)
			}
			return internal("insert epoch", err)
		}
		if err := s.insertLedger(ctx, tx, ledger); err != nil {
			return err
		}
		return s.insertPayouts(ctx, tx, ps)
	})
}

func scanEpoch(row scanner) (payout.EpochRecord, error) {
	var (
		e                   payout.EpochRecord
		cur, shares, ids    string
		start, end, created int64
	)
	if err := row.Scan(&e.EpochID, &cur, &start, &end, &e.Pool, &e.CarryIn, &e.Distributed, &e.RemainderUnits,
		&e.CarryOut, &shares, &ids, &created); err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(shares), &e.Shares); err != nil {
		return e, fmt.Errorf("epoch %s: shares: %w", e.EpochID, err)
	}
	if err := json.Unmarshal([]byte(ids), &e.PayoutIDs); err != nil {
		return e, fmt.Errorf("epoch %s: payout ids: %w", e.EpochID, err)
	}
	e.Currency = payout.Currency(cur)
	e.Start, e.End, e.CreatedAt = fromMicrosOrZero(start), fromMicrosOrZero(end), fromMicrosOrZero(created)
	return e, nil
}

// GetEpoch implements payout.Store.
func (s *Store) GetEpoch(ctx context.Context, id string) (payout.EpochRecord, error) {
	e, err := scanEpoch(s.qrow(ctx, `SELECT `+epochCols+` FROM payout_epochs WHERE epoch_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("epoch %s: %w", id, payout.ErrNotFound)
	}
	if err != nil {
		return e, internal("get epoch", err)
	}
	return e, nil
}

// LatestEpoch implements payout.Store.
func (s *Store) LatestEpoch(ctx context.Context, c payout.Currency) (payout.EpochRecord, error) {
	e, err := scanEpoch(s.qrow(ctx, `SELECT `+epochCols+` FROM payout_epochs WHERE currency = ?
	ORDER BY end_at DESC, epoch_id DESC LIMIT 1`, string(c)))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("epoch in %s: %w", c, payout.ErrNotFound)
	}
	if err != nil {
		return e, internal("latest epoch", err)
	}
	return e, nil
}

// LedgerBalances implements payout.Store.
func (s *Store) LedgerBalances(ctx context.Context, c payout.Currency) ([]payout.LedgerBalance, error) {
	rows, err := s.query(ctx, `SELECT node_id,
	SUM(CASE kind WHEN 'owed' THEN minor ELSE 0 END),
	SUM(CASE kind WHEN 'paid' THEN minor WHEN 'reversal' THEN -minor ELSE 0 END)
	FROM payout_ledger WHERE currency = ? GROUP BY node_id ORDER BY node_id`, string(c))
	if err != nil {
		return nil, internal("ledger balances", err)
	}
	defer rows.Close()
	var out []payout.LedgerBalance
	for rows.Next() {
		b := payout.LedgerBalance{Currency: c}
		if err := rows.Scan(&b.NodeID, &b.Owed, &b.Paid); err != nil {
			return nil, internal("ledger balances", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("ledger balances", err)
	}
	return out, nil
}

// SetWallet implements payout.WalletStore; the address is sealed.
func (s *Store) SetWallet(ctx context.Context, w payout.Wallet) error {
	return s.write(ctx, "set wallet", func(tx *sql.Tx) error {
		_, err := s.texec(ctx, tx, `INSERT INTO node_wallets (node_id, currency, address, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (node_id, currency) DO UPDATE SET address = excluded.address, updated_at = excluded.updated_at`,
			w.NodeID, string(w.Currency), rowcodec.SealWalletAddress(s.sealer, &w), micros(w.UpdatedAt))
		if err != nil {
			return internal("set wallet", err)
		}
		return nil
	})
}

func (s *Store) scanWallet(row scanner) (payout.Wallet, error) {
	var (
		w       payout.Wallet
		cur     string
		addr    []byte
		updated int64
	)
	if err := row.Scan(&w.NodeID, &cur, &addr, &updated); err != nil {
		return w, err
	}
	w.Currency, w.UpdatedAt = payout.Currency(cur), fromMicros(updated)
	if err := rowcodec.OpenWallet(s.sealer, &w, addr); err != nil {
		return w, err
	}
	return w, nil
}

// GetWallet implements payout.WalletStore.
func (s *Store) GetWallet(ctx context.Context, nodeID string, c payout.Currency) (payout.Wallet, error) {
	w, err := s.scanWallet(s.qrow(ctx, `SELECT node_id, currency, address, updated_at FROM node_wallets
	WHERE node_id = ? AND currency = ?`, nodeID, string(c)))
	if errors.Is(err, sql.ErrNoRows) {
		return w, fmt.Errorf("wallet of %s in %s: %w", nodeID, c, payout.ErrNotFound)
	}
	if err != nil {
		return w, internal("get wallet", err)
	}
	return w, nil
}

// ListWallets implements payout.WalletStore.
func (s *Store) ListWallets(ctx context.Context, c payout.Currency) ([]payout.Wallet, error) {
	rows, err := s.query(ctx, `SELECT node_id, currency, address, updated_at FROM node_wallets
	WHERE currency = ? ORDER BY node_id`, string(c))
	if err != nil {
		return nil, internal("list wallets", err)
	}
	defer rows.Close()
	var out []payout.Wallet
	for rows.Next() {
		w, err := s.scanWallet(rows)
		if err != nil {
			return nil, internal("list wallets", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("list wallets", err)
	}
	return out, nil
}
