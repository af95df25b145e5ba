package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/storage/internal/rowcodec"
)

var _ poot.Store = (*Store)(nil)

const (
	qPootSaveChallenge    = `INSERT INTO poot_challenges (nonce, node_id, issued_at, expires_at) VALUES (?, ?, ?, ?)`
	qPootConsumeChallenge = `DELETE FROM poot_challenges WHERE nonce = ? AND node_id = ? RETURNING issued_at, expires_at`
	qPootChallengeExists  = `SELECT 1 FROM poot_challenges WHERE nonce = ?`
	qPootConsumeNonce     = `INSERT INTO poot_nonces (node_id, nonce, expires_at) VALUES (?, ?, ?)`
	qPootSaveValidation   = `INSERT INTO poot_validations (validation_id, node_id, ts, seq, is_valid, evidence, score, output_hash, record)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// pootWrite queues one PoOT write for the group commit (poot_batch.go). fn gets the statements
// of queries bound to the group's transaction; a *domain* failure (replay, unknown challenge,
// duplicate) is returned as opErr and leaves the transaction intact, anything else fails it.
func (s *Store) pootWrite(ctx context.Context, queries []string, fn func(ctx context.Context, st []*sql.Stmt) (opErr, txErr error)) error {
	return s.pootDo(ctx, &pootOp{queries: queries, run: fn})
}

// SaveChallenge stores a newly issued challenge; its nonce must be new.
func (s *Store) SaveChallenge(ctx context.Context, c poot.Challenge) error {
	return s.pootWrite(ctx, []string{qPootSaveChallenge}, func(ctx context.Context, st []*sql.Stmt) (error, error) {
		if _, err := st[0].ExecContext(ctx, c.Nonce, c.NodeID, micros(c.IssuedAt), micros(c.ExpiresAt)); err != nil {
			if isUnique(err) {
				return errors.New("sqlite store: challenge nonce already issued"), nil
			}
			return nil, internal("save challenge", err)
		}
		return nil, nil
	})
}

// ConsumeChallenge deletes and returns the challenge when it was issued to nodeID, in one
// writer transaction; another node's challenge stays in place.
func (s *Store) ConsumeChallenge(ctx context.Context, nodeID, nonce string) (poot.Challenge, error) {
	var c poot.Challenge
	err := s.pootWrite(ctx, []string{qPootConsumeChallenge, qPootChallengeExists}, func(ctx context.Context, st []*sql.Stmt) (error, error) {
		var issued, expires int64
		err := st[0].QueryRowContext(ctx, nonce, nodeID).Scan(&issued, &expires)
		switch {
		case err == nil:
			c = poot.Challenge{NodeID: nodeID, Nonce: nonce, IssuedAt: fromMicros(issued), ExpiresAt: fromMicros(expires)}
			return nil, nil
		case !errors.Is(err, sql.ErrNoRows):
			return nil, internal("consume challenge", err)
		}
		var one int
		err = st[1].QueryRowContext(ctx, nonce).Scan(&one)
		switch {
		case err == nil:
			return poot.ErrChallengeOtherNode, nil
		case errors.Is(err, sql.ErrNoRows):
			return poot.ErrChallengeNotFound, nil
		default:
			return nil, internal("consume challenge", err)
		}
	})
	return c, err
}

// ConsumeNonce records (nodeID, nonce) until expiresAt under the table's unique key, or returns
// poot.ErrNonceReplayed when the pair is already recorded (also by an earlier process).
func (s *Store) ConsumeNonce(ctx context.Context, nodeID, nonce string, expiresAt time.Time) error {
	return s.pootWrite(ctx, []string{qPootConsumeNonce}, func(ctx context.Context, st []*sql.Stmt) (error, error) {
		if _, err := st[0].ExecContext(ctx, nodeID, nonce, micros(expiresAt)); err != nil {
			if isUnique(err) {
				return poot.ErrNonceReplayed, nil
			}
			return nil, internal("consume nonce", err)
		}
		return nil, nil
	})
}

// SaveValidation appends one validation; its id must be new.
func (s *Store) SaveValidation(ctx context.Context, v poot.Validation) error {
	v = rowcodec.NormValidation(v)
	rec, err := json.Marshal(v)
	if err != nil {
		return internal("save validation", err)
	}
	err = s.pootWrite(ctx, []string{qPootSaveValidation}, func(ctx context.Context, st []*sql.Stmt) (error, error) {
		if _, err := st[0].ExecContext(ctx, v.ValidationID, v.NodeID, micros(v.Timestamp), v.State.Seq, v.IsValid, v.Evidence,
			v.Score, v.OutputHash, string(rec)); err != nil {
			if isUnique(err) {
				return fmt.Errorf("sqlite store: validation %s already stored", v.ValidationID), nil
			}
			return nil, internal("save validation", err)
		}
		return nil, nil
	})
	if err == nil && v.Evidence {
		s.poot.cache.added(v)
	}
	return err
}

// pootMaxLimit caps a page of validations.
const pootMaxLimit = 1000

// validationListQuery builds the listing query of a filter shape; the arguments follow in the
// order of the conditions. The query text depends only on which fields are set, so the
// statement cache holds a handful of them.
func validationListQuery(f poot.ValidationFilter, after *valKey) (string, []any) {
	var conds []string
	var args []any
	if f.NodeID != "" {
		conds = append(conds, "node_id = ?")
		args = append(args, f.NodeID)
	}
	if f.EvidenceOnly {
		conds = append(conds, "evidence = 1")
	}
	if f.OutputHash != "" {
		conds = append(conds, "output_hash = ?", "output_hash <> ''")
		args = append(args, f.OutputHash)
	}
	if !f.Since.IsZero() {
		conds = append(conds, "ts >= ?")
		args = append(args, micros(f.Since))
	}
	if !f.Until.IsZero() {
		conds = append(conds, "ts < ?")
		args = append(args, micros(f.Until))
	}
	if after != nil {
		conds = append(conds, "(ts, seq, validation_id) < (?, ?, ?)")
		args = append(args, after.at, after.seq, after.id)
	}
	q := `SELECT record FROM poot_validations`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	return q + " ORDER BY ts DESC, seq DESC, validation_id DESC LIMIT ?", args
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
	if cacheable(f) {
		return s.listEvidenceCached(ctx, f)
	}
	return s.listValidations(ctx, f, after, limit)
}

// listEvidenceCached serves the validator's history read from the evidence cache, loading a
// node's newest evidenceCacheDepth evidence validations on a miss.
func (s *Store) listEvidenceCached(ctx context.Context, f poot.ValidationFilter) (poot.ValidationPage, error) {
	page := func(vs []poot.Validation, more bool) poot.ValidationPage {
		p := poot.ValidationPage{Validations: vs}
		if more && len(vs) > 0 {
			last := vs[len(vs)-1]
			p.NextCursor = encodeValCursor(valKey{micros(last.Timestamp), last.State.Seq, last.ValidationID})
		}
		return p
	}
	if vs, more, ok := s.poot.cache.get(f.NodeID, f.Limit); ok {
		return page(vs, more), nil
	}
	st := s.poot.cache.stamp(f.NodeID)
	full := f
	full.Limit = evidenceCacheDepth
	loaded, err := s.listValidations(ctx, full, nil, evidenceCacheDepth)
	if err != nil {
		return poot.ValidationPage{}, err
	}
	s.poot.cache.install(f.NodeID, st, loaded.Validations, loaded.NextCursor == "")
	n := min(f.Limit, len(loaded.Validations))
	return page(loaded.Validations[:n], len(loaded.Validations) > n || loaded.NextCursor != ""), nil
}

// listValidations runs the listing query.
func (s *Store) listValidations(ctx context.Context, f poot.ValidationFilter, after *valKey, limit int) (poot.ValidationPage, error) {
	q, args := validationListQuery(f, after)
	st, err := s.rst.get(ctx, q)
	if err != nil {
		return poot.ValidationPage{}, internal("list validations", err)
	}
	rows, err := st.QueryContext(ctx, append(args, limit+1)...)
	if err != nil {
		return poot.ValidationPage{}, internal("list validations", err)
	}
	defer rows.Close()
	page := poot.ValidationPage{Validations: make([]poot.Validation, 0, min(limit, 64))}
	var rec []byte
	more := false
	for rows.Next() {
		if len(page.Validations) == limit {
			more = true
			break
		}
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
		page.NextCursor = encodeValCursor(valKey{micros(last.Timestamp), last.State.Seq, last.ValidationID})
	}
	return page, nil
}

// PurgePoot deletes consumed nonces whose record expired before now, challenges that expired
// more than poot.ReplayWindow before now (so a late answer is still told it is expired), and
// validations older than validationsBefore (history retention), in one writer transaction. It
// returns the rows removed. The caller passes its own clock's now: the store has none, so a
// record is never dropped early by a clock that disagrees with the validator's.
func (s *Store) PurgePoot(ctx context.Context, now, validationsBefore time.Time) (int, error) {
	var n int64
	defer s.poot.cache.reset()
	err := s.write(ctx, "purge poot", func(tx *sql.Tx) error {
		for _, q := range []struct {
			sql string
			arg int64
		}{
			{`DELETE FROM poot_nonces WHERE expires_at < ?`, micros(now)},
			{`DELETE FROM poot_challenges WHERE expires_at < ?`, micros(now.Add(-poot.ReplayWindow))},
			{`DELETE FROM poot_validations WHERE ts < ?`, micros(validationsBefore)},
		} {
			res, err := tx.ExecContext(ctx, q.sql, q.arg)
			if err != nil {
				return internal("purge poot", err)
			}
			c, err := res.RowsAffected()
			if err != nil {
				return internal("purge poot", err)
			}
			n += c
		}
		return nil
	})
	return int(n), err
}

// valKey is a position in the listing order: (ts micros, seq, validation_id).
type valKey struct {
	at  int64
	seq int64
	id  string
}

// errBadCursor is returned for a cursor this store did not issue.
var errBadCursor = errors.New("sqlite store: invalid validation cursor")

// encodeValCursor is base64url("micros|seq|id") of the last validation of a page.
func encodeValCursor(k valKey) string {
	return rowcodec.EncodeValCursor(k.at, k.seq, k.id)
}

func decodeValCursor(c string) (valKey, error) {
	us, seq, id, ok := rowcodec.DecodeValCursor(c)
	if !ok {
		return valKey{}, errBadCursor
	}
	return valKey{us, seq, id}, nil
}

const (
	qPootRecordNonce = `INSERT INTO poot_nonces (node_id, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	qPootForgetNonce = `DELETE FROM poot_nonces WHERE node_id = ? AND nonce = ?`
)

// pootProofQueries are the statements of ConsumeProof, in the order of its st slice.
var pootProofQueries = []string{qPootRecordNonce, qPootConsumeChallenge, qPootChallengeExists, qPootSaveValidation,
	qPootForgetNonce, qPootSaveChallenge}

// ConsumeProof records the nonce, consumes the challenge and saves the validation judge makes
// of the outcome as one op of the group commit, so a proof costs one commit (shared with the
// proofs queued beside it) instead of three. A replay is an ignored insert (no rows affected),
// not an error, so it touches no other proof of the group. The op is all or nothing inside the
// shared transaction: when the validation cannot be saved, the nonce record is deleted and the
// challenge put back before the op reports its error (compensating writes rather than a
// savepoint, whose sub-journal would cost every proof).
func (s *Store) ConsumeProof(ctx context.Context, nodeID, nonce string, nonceExpiresAt time.Time,
	judge func(poot.Consumed) poot.Validation) (poot.Validation, error) {
	var saved poot.Validation
	err := s.pootWrite(ctx, pootProofQueries, func(ctx context.Context, st []*sql.Stmt) (error, error) {
		var c poot.Consumed
		opErr, txErr := s.consumeProof(ctx, st, nodeID, nonce, nonceExpiresAt, judge, &c, &saved)
		if opErr == nil || txErr != nil {
			return opErr, txErr // a failed transaction is rolled back whole
		}
		if !c.Replayed {
			if _, err := st[4].ExecContext(ctx, nodeID, nonce); err != nil {
				return nil, internal("consume proof", err)
			}
			if c.ChallengeErr == nil {
				ch := c.Challenge
				if _, err := st[5].ExecContext(ctx, ch.Nonce, ch.NodeID, micros(ch.IssuedAt), micros(ch.ExpiresAt)); err != nil {
					return nil, internal("consume proof", err)
				}
			}
		}
		return opErr, nil
	})
	if err != nil {
		return poot.Validation{}, err
	}
	if saved.Evidence {
		s.poot.cache.added(saved)
	}
	return saved, nil
}

// consumeProof is the body of ConsumeProof; consumed reports what it consumed.
func (s *Store) consumeProof(ctx context.Context, st []*sql.Stmt, nodeID, nonce string, nonceExpiresAt time.Time,
	judge func(poot.Consumed) poot.Validation, consumed *poot.Consumed, saved *poot.Validation) (opErr, txErr error) {
	c := consumed
	res, err := st[0].ExecContext(ctx, nodeID, nonce, micros(nonceExpiresAt))
	if err != nil {
		return nil, internal("consume proof", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, internal("consume proof", err)
	}
	if n == 0 {
		c.Replayed = true
	} else {
		var issued, expires int64
		err := st[1].QueryRowContext(ctx, nonce, nodeID).Scan(&issued, &expires)
		switch {
		case err == nil:
			c.Challenge = poot.Challenge{NodeID: nodeID, Nonce: nonce, IssuedAt: fromMicros(issued), ExpiresAt: fromMicros(expires)}
		case !errors.Is(err, sql.ErrNoRows):
			return nil, internal("consume proof", err)
		default:
			var one int
			err = st[2].QueryRowContext(ctx, nonce).Scan(&one)
			switch {
			case err == nil:
				c.ChallengeErr = poot.ErrChallengeOtherNode
			case errors.Is(err, sql.ErrNoRows):
				c.ChallengeErr = poot.ErrChallengeNotFound
			default:
				return nil, internal("consume proof", err)
			}
		}
	}
	v := rowcodec.NormValidation(judge(*c))
	rec, err := json.Marshal(v)
	if err != nil {
		return internal("consume proof", err), nil
	}
	if _, err := st[3].ExecContext(ctx, v.ValidationID, v.NodeID, micros(v.Timestamp), v.State.Seq, v.IsValid, v.Evidence,
		v.Score, v.OutputHash, string(rec)); err != nil {
		if isUnique(err) {
			return fmt.Errorf("sqlite store: validation %s already stored", v.ValidationID), nil
		}
		return nil, internal("consume proof", err)
	}
	*saved = v
	return nil, nil
}
