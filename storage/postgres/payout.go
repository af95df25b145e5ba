package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/storage/internal/rowcodec"
)

var (
	_ payout.Store       = (*Store)(nil)
	_ payout.WalletStore = (*Store)(nil)
)

// placeholders returns "$from, …, $to".
func placeholders(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		if i > from {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i))
	}
	return b.String()
}

const payoutCols = `payout_id, node_id, amount_minor, currency, wallet_address, stage, priority, transaction_hash,
	batch_id, epoch_id, scheduled_at, processed_at, completed_at, error_message, chain_state, block_number,
	tx_attempts, errors, next_attempt_at, created_at, updated_at, version`

const (
	batchCols    = `batch_id, status, priority, scheduled_at, notification_url, content_hash, payout_count, totals, created_at, finished_at, notified_at, notify_attempts, notify_error, version`
	txCols       = `tx_id, payout_id, raw, expiration, to_address, amount_minor, currency, state, block_number, superseded, broadcast_error, created_at, updated_at`
	epochCols    = `epoch_id, currency, start_at, end_at, pool, carry_in, distributed, remainder_units, carry_out, shares, payout_ids, created_at`
	scheduleCols = `enabled, interval_us, reward_pool_minor, minimum_payout_minor, currency, next_run_at, updated_at, version`

	qGetPayout    = `SELECT ` + payoutCols + ` FROM payouts WHERE payout_id = $1`
	qUpdatePayout = `UPDATE payouts SET node_id = $1, amount_minor = $2, currency = $3, wallet_address = $4, stage = $5,
	priority = $6, transaction_hash = $7, batch_id = $8, epoch_id = $9, scheduled_at = $10, processed_at = $11,
	completed_at = $12, error_message = $13, chain_state = $14, block_number = $15, tx_attempts = $16, errors = $17,
	next_attempt_at = $18, created_at = $19, updated_at = $20, version = $21, status = $22
	WHERE payout_id = $23 AND version = $24`
	qGetBatch    = `SELECT ` + batchCols + ` FROM payout_batches WHERE batch_id = $1`
	qOpenBatches = `SELECT ` + batchCols + ` FROM payout_batches
	WHERE status IN ('queued', 'processing') OR (notification_url <> '' AND notified_at IS NULL) ORDER BY batch_id`
	qUpdateBatch = `UPDATE payout_batches SET status = $1, priority = $2, scheduled_at = $3, notification_url = $4,
	content_hash = $5, payout_count = $6, totals = $7, created_at = $8, finished_at = $9, notified_at = $10,
	notify_attempts = $11, notify_error = $12, version = $13 WHERE batch_id = $14 AND version = $15`
	qUpdateTx = `UPDATE payout_txs SET raw = $1, expiration = $2, to_address = $3, amount_minor = $4, currency = $5,
	state = $6, block_number = $7, superseded = $8, broadcast_error = $9, created_at = $10, updated_at = $11
	WHERE tx_id = $12 AND payout_id = $13`
	qInsertLedger = `INSERT INTO payout_ledger (node_id, currency, kind, minor, epoch_id, payout_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`
)

var (
	qInsertPayout = `INSERT INTO payouts (` + payoutCols + `, status) VALUES (` + placeholders(1, 23) + `)`
	qInsertBatch  = `INSERT INTO payout_batches (` + batchCols + `) VALUES (` + placeholders(1, 14) + `)`
	qInsertTx     = `INSERT INTO payout_txs (` + txCols + `) VALUES (` + placeholders(1, 13) + `)`
	qInsertEpoch  = `INSERT INTO payout_epochs (` + epochCols + `) VALUES (` + placeholders(1, 12) + `)`
)

func (s *Store) payoutArgs(p payout.Payout) []any {
	return []any{p.NodeID, p.Amount.Minor(), string(p.Currency()), rowcodec.SealPayoutAddress(s.sealer, &p),
		string(p.Stage), string(p.Priority), p.TransactionHash, p.BatchID, p.EpochID, normPtr(p.ScheduledAt),
		normPtr(p.ProcessedAt), normPtr(p.CompletedAt), p.ErrorMessage, string(p.ChainState), p.BlockNumber,
		int32(p.TxAttempts), int32(p.Errors), norm(p.NextAttemptAt), norm(p.CreatedAt), norm(p.UpdatedAt), p.Version,
		string(p.Status())}
}

func (s *Store) scanPayout(row pgx.Row) (payout.Payout, error) {
	var (
		p                      payout.Payout
		minor                  int64
		cur                    string
		addr                   []byte
		sched, processed, done *time.Time
		next, created, updated time.Time
		stage, prio, chain     string
		attempts, errs         int32
	)
	if err := row.Scan(&p.PayoutID, &p.NodeID, &minor, &cur, &addr, &stage, &prio, &p.TransactionHash, &p.BatchID,
		&p.EpochID, &sched, &processed, &done, &p.ErrorMessage, &chain, &p.BlockNumber, &attempts, &errs,
		&next, &created, &updated, &p.Version); err != nil {
		return payout.Payout{}, err
	}
	if err := rowcodec.OpenPayout(s.sealer, &p, minor, cur, addr); err != nil {
		return payout.Payout{}, err
	}
	p.Stage, p.Priority, p.ChainState = payout.Stage(stage), payout.Priority(prio), payout.TxState(chain)
	p.TxAttempts, p.Errors = int(attempts), int(errs)
	p.ScheduledAt, p.ProcessedAt, p.CompletedAt = utcPtr(sched), utcPtr(processed), utcPtr(done)
	p.NextAttemptAt, p.CreatedAt, p.UpdatedAt = next.UTC(), created.UTC(), updated.UTC()
	return p, nil
}

// normPayout returns p with its times as the store keeps them.
func normPayout(p payout.Payout) payout.Payout {
	p.ScheduledAt, p.ProcessedAt, p.CompletedAt = normPtr(p.ScheduledAt), normPtr(p.ProcessedAt), normPtr(p.CompletedAt)
	p.NextAttemptAt, p.CreatedAt, p.UpdatedAt = norm(p.NextAttemptAt), norm(p.CreatedAt), norm(p.UpdatedAt)
	return p
}

func batchArgs(b payout.Batch) ([]any, error) {
	tot, err := rowcodec.EncodeTotals(&b)
	if err != nil {
		return nil, err
	}
	return []any{string(b.Status), string(b.Priority), normPtr(b.ScheduledAt), b.NotificationURL, b.ContentHash,
		int32(b.PayoutCount), json.RawMessage(tot), norm(b.CreatedAt), normPtr(b.FinishedAt), normPtr(b.NotifiedAt),
		int32(b.NotifyAttempts), b.NotifyError, b.Version}, nil
}

func scanBatch(row pgx.Row) (payout.Batch, error) {
	var (
		b                    payout.Batch
		status, prio         string
		totals               []byte
		sched, fin, notified *time.Time
		created              time.Time
		count, attempts      int32
	)
	if err := row.Scan(&b.BatchID, &status, &prio, &sched, &b.NotificationURL, &b.ContentHash, &count, &totals,
		&created, &fin, &notified, &attempts, &b.NotifyError, &b.Version); err != nil {
		return payout.Batch{}, err
	}
	if err := rowcodec.DecodeTotals(&b, totals); err != nil {
		return payout.Batch{}, err
	}
	b.Status, b.Priority = payout.BatchStatus(status), payout.Priority(prio)
	b.PayoutCount, b.NotifyAttempts = int(count), int(attempts)
	b.ScheduledAt, b.FinishedAt, b.NotifiedAt = utcPtr(sched), utcPtr(fin), utcPtr(notified)
	b.CreatedAt = created.UTC()
	return b, nil
}

// normBatch returns b with its times as the store keeps them.
func normBatch(b payout.Batch) payout.Batch {
	b.ScheduledAt, b.FinishedAt, b.NotifiedAt = normPtr(b.ScheduledAt), normPtr(b.FinishedAt), normPtr(b.NotifiedAt)
	b.CreatedAt = norm(b.CreatedAt)
	return b
}

// insertPayouts queues the inserts of ps (each at version 1) in one pipelined round trip inside
// tx; a duplicate payout id is ErrConflict.
func (s *Store) insertPayouts(ctx context.Context, tx pgx.Tx, ps []payout.Payout) error {
	if len(ps) == 0 {
		return nil
	}
	var batch pgx.Batch
	for _, p := range ps {
		p.Version = 1
		batch.Queue(qInsertPayout, append([]any{p.PayoutID}, s.payoutArgs(p)...)...)
	}
	br := tx.SendBatch(ctx, &batch)
	for _, p := range ps {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			if uniqueViolation(err) != "" {
				return fmt.Errorf("payout %s: %w", p.PayoutID, payout.ErrConflict)
			}
			return internal("insert payout", err)
		}
	}
	if err := br.Close(); err != nil {
		return internal("insert payouts", err)
	}
	return nil
}

// CreateBatch implements payout.Store: the batch and all its payouts in one transaction.
func (s *Store) CreateBatch(ctx context.Context, b payout.Batch, ps []payout.Payout) error {
	b.Version = 1
	bargs, err := batchArgs(b)
	if err != nil {
		return err
	}
	return s.tx(ctx, "create batch", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qInsertBatch, append([]any{b.BatchID}, bargs...)...); err != nil {
			if uniqueViolation(err) != "" {
				return fmt.Errorf("batch %s: %w", b.BatchID, payout.ErrConflict)
			}
			return internal("insert batch", err)
		}
		return s.insertPayouts(ctx, tx, ps)
	})
}

// GetBatch implements payout.Store.
func (s *Store) GetBatch(ctx context.Context, id string) (payout.Batch, error) {
	b, err := scanBatch(s.pool.QueryRow(ctx, qGetBatch, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return payout.Batch{}, fmt.Errorf("batch %s: %w", id, payout.ErrNotFound)
	}
	if err != nil {
		return payout.Batch{}, internal("get batch", err)
	}
	return b, nil
}

// UpdateBatch implements payout.Store: compare-and-set on version in one UPDATE (a concurrent
// writer's commit makes the WHERE fail here, under READ COMMITTED's re-check).
func (s *Store) UpdateBatch(ctx context.Context, b payout.Batch, expect int64) (payout.Batch, error) {
	b.Version = expect + 1
	args, err := batchArgs(b)
	if err != nil {
		return payout.Batch{}, err
	}
	tag, err := s.pool.Exec(ctx, qUpdateBatch, append(args, b.BatchID, expect)...)
	if err != nil {
		return payout.Batch{}, internal("update batch", err)
	}
	if tag.RowsAffected() != 1 {
		var one int
		err := s.pool.QueryRow(ctx, `SELECT 1 FROM payout_batches WHERE batch_id = $1`, b.BatchID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return payout.Batch{}, fmt.Errorf("batch %s: %w", b.BatchID, payout.ErrNotFound)
		}
		return payout.Batch{}, fmt.Errorf("batch %s version moved from %d: %w", b.BatchID, expect, payout.ErrConflict)
	}
	return normBatch(b), nil
}

// ListOpenBatches implements payout.Store.
func (s *Store) ListOpenBatches(ctx context.Context, maxNotify int) ([]payout.Batch, error) {
	rows, err := s.pool.Query(ctx, qOpenBatches)
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
	p, err := s.scanPayout(s.pool.QueryRow(ctx, qGetPayout, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return payout.Payout{}, fmt.Errorf("payout %s: %w", id, payout.ErrNotFound)
	}
	if err != nil {
		return payout.Payout{}, internal("get payout", err)
	}
	return p, nil
}

func (s *Store) txArgs(t payout.TxRecord) []any {
	return []any{t.Raw, norm(t.Expiration), rowcodec.SealTxAddress(s.sealer, &t), t.Amount.Minor(),
		string(t.Amount.Currency()), string(t.State), t.BlockNumber, t.Superseded, t.BroadcastError, norm(t.CreatedAt),
		norm(t.UpdatedAt)}
}

// UpdatePayout implements payout.Store: compare-and-set of the payout, its new transaction,
// its transaction updates and ledger entries in one transaction.
func (s *Store) UpdatePayout(ctx context.Context, u payout.PayoutUpdate) (payout.Payout, error) {
	p := u.Payout
	p.Version = u.ExpectVersion + 1
	err := s.tx(ctx, "update payout", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qUpdatePayout, append(s.payoutArgs(p), p.PayoutID, u.ExpectVersion)...)
		if err != nil {
			return internal("update payout", err)
		}
		if tag.RowsAffected() != 1 {
			var v int64
			err := tx.QueryRow(ctx, `SELECT version FROM payouts WHERE payout_id = $1`, p.PayoutID).Scan(&v)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("payout %s: %w", p.PayoutID, payout.ErrNotFound)
			}
			return fmt.Errorf("payout %s version %d, expected %d: %w", p.PayoutID, v, u.ExpectVersion, payout.ErrConflict)
		}
		if t := u.NewTx; t != nil {
			if _, err := tx.Exec(ctx, qInsertTx, append([]any{t.TxID, p.PayoutID}, s.txArgs(*t)...)...); err != nil {
				if uniqueViolation(err) != "" {
					return fmt.Errorf("tx %s: %w", t.TxID, payout.ErrConflict)
				}
				return internal("insert tx", err)
			}
		}
		for _, t := range u.TxUpdates {
			tag, err := tx.Exec(ctx, qUpdateTx, append(s.txArgs(t), t.TxID, p.PayoutID)...)
			if err != nil {
				return internal("update tx", err)
			}
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("tx %s of payout %s: %w", t.TxID, p.PayoutID, payout.ErrNotFound)
			}
		}
		return insertLedger(ctx, tx, u.Ledger)
	})
	if err != nil {
		return payout.Payout{}, err
	}
	return normPayout(p), nil
}

func insertLedger(ctx context.Context, tx pgx.Tx, ls []payout.LedgerEntry) error {
	for _, l := range ls {
		if _, err := tx.Exec(ctx, qInsertLedger, l.NodeID, string(l.Currency), string(l.Kind), l.Minor, l.EpochID,
			l.PayoutID, norm(l.At)); err != nil {
			return internal("insert ledger", err)
		}
	}
	return nil
}

func (s *Store) queryPayouts(ctx context.Context, op, q string, args ...any) ([]payout.Payout, error) {
	rows, err := s.pool.Query(ctx, q, args...)
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
	return s.queryPayouts(ctx, "list active payouts", `SELECT `+payoutCols+` FROM payouts
	WHERE status IN ('pending', 'processing') AND payout_id > $1 ORDER BY payout_id LIMIT $2`, after, limitArg(limit))
}

// ListPayouts implements payout.Store: newest first, page by offset or cursor.
func (s *Store) ListPayouts(ctx context.Context, f payout.PayoutFilter) (payout.PayoutPage, error) {
	var where []string
	var args []any
	add := func(col string, v any) {
		args = append(args, v)
		where = append(where, col+"$"+strconv.Itoa(len(args)))
	}
	for _, c := range rowcodec.PayoutConds(f, func(t time.Time) any { return norm(t) }) {
		add(c.Expr, c.Value)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var pg payout.PayoutPage
	var total int64
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM payouts`+cond, args...).Scan(&total); err != nil {
		return pg, internal("count payouts", err)
	}
	pg.Total = int(total)
	limit := rowcodec.PayoutPageLimit(f.Limit)
	if f.Cursor != "" {
		at, id, err := payout.DecodeCursor(f.Cursor)
		if err != nil {
			return pg, err
		}
		args = append(args, norm(at), id)
		where = append(where, fmt.Sprintf("(created_at, payout_id) < ($%d, $%d)", len(args)-1, len(args)))
	}
	offset := 0
	if f.Cursor == "" && f.Offset > 0 {
		offset = f.Offset
	}
	pageCond := ""
	if len(where) > 0 {
		pageCond = " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, int64(limit+1), int64(offset))
	ps, err := s.queryPayouts(ctx, "list payouts", `SELECT `+payoutCols+` FROM payouts`+pageCond+
		fmt.Sprintf(` ORDER BY created_at DESC, payout_id DESC LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return pg, err
	}
	pg.Payouts, pg.NextCursor = rowcodec.TrimPayoutPage(ps, limit)
	return pg, nil
}

func (s *Store) queryTxs(ctx context.Context, op, q string, args ...any) ([]payout.TxRecord, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, internal(op, err)
	}
	defer rows.Close()
	var out []payout.TxRecord
	for rows.Next() {
		var (
			t                     payout.TxRecord
			exp, created, updated time.Time
			to                    []byte
			minor                 int64
			cur, state            string
		)
		if err := rows.Scan(&t.TxID, &t.PayoutID, &t.Raw, &exp, &to, &minor, &cur, &state, &t.BlockNumber, &t.Superseded,
			&t.BroadcastError, &created, &updated); err != nil {
			return nil, internal(op, err)
		}
		if err := rowcodec.OpenTx(s.sealer, &t, to, minor, cur); err != nil {
			return nil, err
		}
		t.State = payout.TxState(state)
		t.Expiration, t.CreatedAt, t.UpdatedAt = exp.UTC(), created.UTC(), updated.UTC()
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// ListTxs implements payout.Store.
func (s *Store) ListTxs(ctx context.Context, payoutID string) ([]payout.TxRecord, error) {
	return s.queryTxs(ctx, "list txs", `SELECT `+txCols+` FROM payout_txs WHERE payout_id = $1 ORDER BY seq`, payoutID)
}

// ListAllTxs implements payout.Store.
func (s *Store) ListAllTxs(ctx context.Context, after string, limit int) ([]payout.TxRecord, error) {
	return s.queryTxs(ctx, "list all txs", `SELECT `+txCols+` FROM payout_txs WHERE tx_id > $1 ORDER BY tx_id LIMIT $2`,
		after, limitArg(limit))
}

// GetSchedule implements payout.Store.
func (s *Store) GetSchedule(ctx context.Context) (payout.Schedule, error) {
	var (
		sc                 payout.Schedule
		interval, pool, mn int64
		cur                string
		next, updated      time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT `+scheduleCols+` FROM payout_schedule WHERE id = 1`).
		Scan(&sc.Enabled, &interval, &pool, &mn, &cur, &next, &updated, &sc.Version)
	if errors.Is(err, pgx.ErrNoRows) {
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
	sc.Interval = time.Duration(interval) * time.Microsecond
	sc.NextRunAt, sc.UpdatedAt = next.UTC(), updated.UTC()
	return sc, nil
}

// SetSchedule implements payout.Store: compare-and-set on version in one statement (an insert
// that only succeeds when no schedule exists for expectVersion 0, else a conditional update),
// so two replicas setting it at once cannot both win.
func (s *Store) SetSchedule(ctx context.Context, sc payout.Schedule, expect int64) (payout.Schedule, error) {
	sc.Version = expect + 1
	args := []any{sc.Enabled, sc.Interval.Microseconds(), sc.RewardPool.Minor(), sc.MinimumPayout.Minor(),
		string(sc.Currency()), norm(sc.NextRunAt), norm(sc.UpdatedAt), sc.Version}
	var q string
	if expect == 0 {
		q = `INSERT INTO payout_schedule (id, ` + scheduleCols + `) VALUES (1, ` + placeholders(1, 8) + `)
		ON CONFLICT (id) DO NOTHING`
	} else {
		q = `UPDATE payout_schedule SET enabled = $1, interval_us = $2, reward_pool_minor = $3, minimum_payout_minor = $4,
		currency = $5, next_run_at = $6, updated_at = $7, version = $8 WHERE id = 1 AND version = $9`
		args = append(args, expect)
	}
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return payout.Schedule{}, internal("set schedule", err)
	}
	if tag.RowsAffected() != 1 {
		return payout.Schedule{}, fmt.Errorf("schedule version is not %d: %w", expect, payout.ErrConflict)
	}
	sc.NextRunAt, sc.UpdatedAt = norm(sc.NextRunAt), norm(sc.UpdatedAt)
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
	return s.tx(ctx, "commit epoch", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, qInsertEpoch, e.EpochID, string(e.Currency), norm(e.Start), norm(e.End), e.Pool, e.CarryIn,
			e.Distributed, e.RemainderUnits, e.CarryOut, json.RawMessage(shares), json.RawMessage(ids), norm(e.CreatedAt))
		if err != nil {
			if uniqueViolation(err) != "" {
				return fmt.Errorf("epoch %s: %w", e.EpochID, payout.ErrConflict)
			}
			return internal("insert epoch", err)
		}
		if err := insertLedger(ctx, tx, ledger); err != nil {
			return err
		}
		return s.insertPayouts(ctx, tx, ps)
	})
}

func scanEpoch(row pgx.Row) (payout.EpochRecord, error) {
	var (
		e                   payout.EpochRecord
		cur                 string
		shares, ids         []byte
		start, end, created time.Time
	)
	if err := row.Scan(&e.EpochID, &cur, &start, &end, &e.Pool, &e.CarryIn, &e.Distributed, &e.RemainderUnits,
		&e.CarryOut, &shares, &ids, &created); err != nil {
		return e, err
	}
	if err := json.Unmarshal(shares, &e.Shares); err != nil {
		return e, fmt.Errorf("epoch %s: shares: %w", e.EpochID, err)
	}
	if err := json.Unmarshal(ids, &e.PayoutIDs); err != nil {
		return e, fmt.Errorf("epoch %s: payout ids: %w", e.EpochID, err)
	}
	e.Currency = payout.Currency(cur)
	e.Start, e.End, e.CreatedAt = start.UTC(), end.UTC(), created.UTC()
	return e, nil
}

// GetEpoch implements payout.Store.
func (s *Store) GetEpoch(ctx context.Context, id string) (payout.EpochRecord, error) {
	e, err := scanEpoch(s.pool.QueryRow(ctx, `SELECT `+epochCols+` FROM payout_epochs WHERE epoch_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("epoch %s: %w", id, payout.ErrNotFound)
	}
	if err != nil {
		return e, internal("get epoch", err)
	}
	return e, nil
}

// LatestEpoch implements payout.Store.
func (s *Store) LatestEpoch(ctx context.Context, c payout.Currency) (payout.EpochRecord, error) {
	e, err := scanEpoch(s.pool.QueryRow(ctx, `SELECT `+epochCols+` FROM payout_epochs WHERE currency = $1
	ORDER BY end_at DESC, epoch_id DESC LIMIT 1`, string(c)))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("epoch in %s: %w", c, payout.ErrNotFound)
	}
	if err != nil {
		return e, internal("latest epoch", err)
	}
	return e, nil
}

// LedgerBalances implements payout.Store.
func (s *Store) LedgerBalances(ctx context.Context, c payout.Currency) ([]payout.LedgerBalance, error) {
	rows, err := s.pool.Query(ctx, `SELECT node_id,
	SUM(CASE kind WHEN 'owed' THEN minor ELSE 0 END)::bigint,
	SUM(CASE kind WHEN 'paid' THEN minor WHEN 'reversal' THEN -minor ELSE 0 END)::bigint
	FROM payout_ledger WHERE currency = $1 GROUP BY node_id ORDER BY node_id`, string(c))
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
	_, err := s.pool.Exec(ctx, `INSERT INTO node_wallets (node_id, currency, address, updated_at) VALUES ($1, $2, $3, $4)
	ON CONFLICT (node_id, currency) DO UPDATE SET address = excluded.address, updated_at = excluded.updated_at`,
		w.NodeID, string(w.Currency), rowcodec.SealWalletAddress(s.sealer, &w), norm(w.UpdatedAt))
	if err != nil {
		return internal("set wallet", err)
	}
	return nil
}

func (s *Store) scanWallet(row pgx.Row) (payout.Wallet, error) {
	var (
		w       payout.Wallet
		cur     string
		addr    []byte
		updated time.Time
	)
	if err := row.Scan(&w.NodeID, &cur, &addr, &updated); err != nil {
		return w, err
	}
	w.Currency, w.UpdatedAt = payout.Currency(cur), updated.UTC()
	if err := rowcodec.OpenWallet(s.sealer, &w, addr); err != nil {
		return w, err
	}
	return w, nil
}

// GetWallet implements payout.WalletStore.
func (s *Store) GetWallet(ctx context.Context, nodeID string, c payout.Currency) (payout.Wallet, error) {
	w, err := s.scanWallet(s.pool.QueryRow(ctx, `SELECT node_id, currency, address, updated_at FROM node_wallets
	WHERE node_id = $1 AND currency = $2`, nodeID, string(c)))
	if errors.Is(err, pgx.ErrNoRows) {
		return w, fmt.Errorf("wallet of %s in %s: %w", nodeID, c, payout.ErrNotFound)
	}
	if err != nil {
		return w, internal("get wallet", err)
	}
	return w, nil
}

// ListWallets implements payout.WalletStore.
func (s *Store) ListWallets(ctx context.Context, c payout.Currency) ([]payout.Wallet, error) {
	rows, err := s.pool.Query(ctx, `SELECT node_id, currency, address, updated_at FROM node_wallets
	WHERE currency = $1 ORDER BY node_id`, string(c))
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
