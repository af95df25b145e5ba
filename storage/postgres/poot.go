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

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/storage/internal/rowcodec"
)

var _ poot.Store = (*Store)(nil)

// SaveChallenge stores a newly issued challenge; its nonce must be new.
func (s *Store) SaveChallenge(ctx context.Context, c poot.Challenge) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO poot_challenges (nonce, node_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)`,
		c.Nonce, c.NodeID, norm(c.IssuedAt), norm(c.ExpiresAt))
	if uniqueViolation(err) != "" {
		return errors.New("postgres store: challenge nonce already issued")
	}
	if err != nil {
		return internal("save challenge", err)
	}
	return nil
}

// ConsumeChallenge deletes and returns the challenge when it was issued to nodeID, in one
// DELETE … RETURNING: of concurrent consumers on any replica exactly one gets the row. Another
// node's challenge stays in place.
func (s *Store) ConsumeChallenge(ctx context.Context, nodeID, nonce string) (poot.Challenge, error) {
	var issued, expires time.Time
	err := s.pool.QueryRow(ctx, `DELETE FROM poot_challenges WHERE nonce = $1 AND node_id = $2 RETURNING issued_at, expires_at`,
		nonce, nodeID).Scan(&issued, &expires)
	switch {
	case err == nil:
		return poot.Challenge{NodeID: nodeID, Nonce: nonce, IssuedAt: issued.UTC(), ExpiresAt: expires.UTC()}, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return poot.Challenge{}, internal("consume challenge", err)
	}
	// Not deleted: tell "no such challenge" from "someone else's challenge".
	var one int
	err = s.pool.QueryRow(ctx, `SELECT 1 FROM poot_challenges WHERE nonce = $1`, nonce).Scan(&one)
	switch {
	case err == nil:
		return poot.Challenge{}, poot.ErrChallengeOtherNode
	case errors.Is(err, pgx.ErrNoRows):
		return poot.Challenge{}, poot.ErrChallengeNotFound
	default:
		return poot.Challenge{}, internal("consume challenge", err)
	}
}

// ConsumeNonce records (nodeID, nonce) until expiresAt under the table's primary key, or
// returns poot.ErrNonceReplayed when the pair is already recorded (by any replica, at any time
// before the purge).
func (s *Store) ConsumeNonce(ctx context.Context, nodeID, nonce string, expiresAt time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO poot_nonces (node_id, nonce, expires_at) VALUES ($1, $2, $3)`,
		nodeID, nonce, norm(expiresAt))
	if uniqueViolation(err) != "" {
		return poot.ErrNonceReplayed
	}
	if err != nil {
		return internal("consume nonce", err)
	}
	return nil
}

// SaveValidation appends one validation; its id must be new.
func (s *Store) SaveValidation(ctx context.Context, v poot.Validation) error {
	v = rowcodec.NormValidation(v)
	rec, err := json.Marshal(v)
	if err != nil {
		return internal("save validation", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO poot_validations (validation_id, node_id, ts, seq, is_valid, evidence, score,
		output_hash, record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		v.ValidationID, v.NodeID, v.Timestamp, v.State.Seq, v.IsValid, v.Evidence, v.Score, v.OutputHash, json.RawMessage(rec))
	if uniqueViolation(err) != "" {
		return fmt.Errorf("postgres store: validation %s already stored", v.ValidationID)
	}
	if err != nil {
		return internal("save validation", err)
	}
	return nil
}

// pootMaxLimit caps a page of validations (and is the default).
const pootMaxLimit = 1000

// validationListQuery builds the listing query of a filter shape with its arguments; the page
// size (limit+1, to see whether a next page exists) is the last argument.
func validationListQuery(f poot.ValidationFilter, after *valKey, limit int) (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.NodeID != "" {
		conds = append(conds, "node_id = "+arg(f.NodeID))
	}
	if f.EvidenceOnly {
		conds = append(conds, "evidence")
	}
	if f.OutputHash != "" {
		conds = append(conds, "output_hash = "+arg(f.OutputHash), "output_hash <> ''")
	}
	if !f.Since.IsZero() {
		conds = append(conds, "ts >= "+arg(norm(f.Since)))
	}
	if !f.Until.IsZero() {
		conds = append(conds, "ts < "+arg(norm(f.Until)))
	}
	if after != nil {
		conds = append(conds, "(ts, seq, validation_id) < ("+arg(after.at)+", "+arg(after.seq)+", "+arg(after.id)+")")
	}
	q := `SELECT record FROM poot_validations`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	return q + " ORDER BY ts DESC, seq DESC, validation_id DESC LIMIT " + arg(int64(limit+1)), args
}

// ListValidations returns matching validations newest first, at most f.Limit (default and cap
// 1000), with the cursor of the next page.
func (s *Store) ListValidations(ctx context.Context, f poot.ValidationFilter) (poot.ValidationPage, error) {
	var after *valKey
	if f.Cursor != "" {
		k, err := decodeValCursor(f.Cursor)
		if err != nil {
			return poot.ValidationPage{}, err
		}
		after = &k
	}
	limit := f.Limit
	if limit <= 0 || limit > pootMaxLimit {
		limit = pootMaxLimit
	}
	q, args := validationListQuery(f, after, limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return poot.ValidationPage{}, internal("list validations", err)
	}
	defer rows.Close()
	page := poot.ValidationPage{Validations: make([]poot.Validation, 0, min(limit, 64))}
	more := false
	for rows.Next() {
		if len(page.Validations) == limit {
			more = true
			break
		}
		var rec []byte
		if err := rows.Scan(&rec); err != nil {
			return poot.ValidationPage{}, internal("list validations", err)
		}
		v, err := rowcodec.DecodeValidation(rec)
		if err != nil {
			return poot.ValidationPage{}, internal("list validations", err)
		}
		page.Validations = append(page.Validations, v)
	}
	if err := rows.Err(); err != nil {
		return poot.ValidationPage{}, internal("list validations", err)
	}
	if more {
		last := page.Validations[limit-1]
		page.NextCursor = encodeValCursor(valKey{last.Timestamp, last.State.Seq, last.ValidationID})
	}
	return page, nil
}

// PurgePoot deletes consumed nonces whose record expired before now, challenges that expired
// more than poot.ReplayWindow before now (so a late answer is still told it is expired), and
// validations older than validationsBefore (history retention), in one transaction. It returns
// the rows removed. The caller passes its own clock's now, so a record is never dropped early
// by a clock that disagrees with the validator's.
func (s *Store) PurgePoot(ctx context.Context, now, validationsBefore time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, "purge poot", func(tx pgx.Tx) error {
		n = 0
		for _, q := range []struct {
			sql string
			arg time.Time
		}{
			{`DELETE FROM poot_nonces WHERE expires_at < $1`, norm(now)},
			{`DELETE FROM poot_challenges WHERE expires_at < $1`, norm(now.Add(-poot.ReplayWindow))},
			{`DELETE FROM poot_validations WHERE ts < $1`, norm(validationsBefore)},
		} {
			tag, err := tx.Exec(ctx, q.sql, q.arg)
			if err != nil {
				return internal("purge poot", err)
			}
			n += tag.RowsAffected()
		}
		return nil
	})
	return int(n), err
}

// valKey is a position in the listing order: (ts, seq, validation_id).
type valKey struct {
	at  time.Time
	seq int64
	id  string
}

// errBadCursor is returned for a cursor this store did not issue.
var errBadCursor = errors.New("postgres store: invalid validation cursor")

// encodeValCursor is base64url("micros|seq|id") of the last validation of a page, the same
// form the SQLite backend issues.
func encodeValCursor(k valKey) string {
	return rowcodec.EncodeValCursor(k.at.UnixMicro(), k.seq, k.id)
}

func decodeValCursor(c string) (valKey, error) {
	us, seq, id, ok := rowcodec.DecodeValCursor(c)
	if !ok {
		return valKey{}, errBadCursor
	}
	return valKey{time.UnixMicro(us).UTC(), seq, id}, nil
}
