package payout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// BatchEvent is the JSON body POSTed to a batch's notification_url when the batch finishes.
type BatchEvent struct {
	Event      string       `json:"event"` // "batch.finished"
	BatchID    string       `json:"batch_id"`
	Status     BatchStatus  `json:"status"`
	FinishedAt time.Time    `json:"finished_at"`
	Completed  int          `json:"completed"`
	Failed     int          `json:"failed"`
	Cancelled  int          `json:"cancelled"`
	Payouts    []PayoutView `json:"payouts"`
}

// batchPayouts returns every payout of a batch (a batch has at most MaxBatchSize).
func batchPayouts(ctx context.Context, s Store, batchID string) ([]Payout, error) {
	pg, err := s.ListPayouts(ctx, PayoutFilter{BatchID: batchID, Limit: MaxBatchSize})
	if err != nil {
		return nil, err
	}
	return pg.Payouts, nil
}

// closeBatches marks batches whose payouts are all terminal as finished and starts webhook
// deliveries that are due. Delivery is at least once: a crash between the POST and recording
// it repeats the POST.
func (p *Processor) closeBatches(ctx context.Context) error {
	bs, err := p.cfg.Store.ListOpenBatches(ctx, p.cfg.WebhookAttempts)
	if err != nil {
		return err
	}
	now := p.cfg.Clock()
	for _, b := range bs {
		if !b.Status.Finished() {
			ps, err := batchPayouts(ctx, p.cfg.Store, b.BatchID)
			if err != nil {
				return err
			}
			st, done := batchOutcome(ps)
			if !done {
				if b.Status == BatchQueued && (b.ScheduledAt == nil || !b.ScheduledAt.After(now)) {
					nb := b
					nb.Status = BatchProcessing
					_, _ = p.cfg.Store.UpdateBatch(ctx, nb, b.Version)
				}
				continue
			}
			nb := b
			nb.Status = st
			t := now.UTC()
			nb.FinishedAt = &t
			if b, err = p.cfg.Store.UpdateBatch(ctx, nb, b.Version); err != nil {
				continue // another worker closed it
			}
		}
		if b.NotificationURL == "" || b.NotifiedAt != nil || b.NotifyAttempts >= p.cfg.WebhookAttempts {
			continue
		}
		p.mu.Lock()
		busy := p.inflight[b.BatchID]
		next := p.notifyAt[b.BatchID]
		if !busy && !next.After(now) {
			p.inflight[b.BatchID] = true
		}
		p.mu.Unlock()
		if busy || next.After(now) {
			continue
		}
		p.wg.Add(1)
		go func(b Batch) {
			defer p.wg.Done()
			p.deliver(ctx, b)
		}(b)
	}
	return nil
}

func batchOutcome(ps []Payout) (BatchStatus, bool) {
	var done, failed int
	for _, py := range ps {
		switch py.Stage {
		case StageCompleted:
			done++
		case StageFailed, StageCancelled:
			failed++
		default:
			return BatchProcessing, false
		}
	}
	switch {
	case failed == 0:
		return BatchCompleted, true
	case done == 0:
		return BatchFailed, true
	}
	return BatchPartial, true
}

// deliver makes one webhook attempt and records it; a failed attempt is retried by a later
// pass after a backoff, up to WebhookAttempts.
func (p *Processor) deliver(ctx context.Context, b Batch) {
	defer func() {
		p.mu.Lock()
		delete(p.inflight, b.BatchID)
		p.mu.Unlock()
	}()
	ps, err := batchPayouts(ctx, p.cfg.Store, b.BatchID)
	if err != nil {
		return
	}
	ev := BatchEvent{Event: "batch.finished", BatchID: b.BatchID, Status: b.Status, Payouts: make([]PayoutView, 0, len(ps))}
	if b.FinishedAt != nil {
		ev.FinishedAt = *b.FinishedAt
	}
	for _, py := range ps {
		switch py.Stage {
		case StageCompleted:
			ev.Completed++
		case StageFailed:
			ev.Failed++
		case StageCancelled:
			ev.Cancelled++
		}
		ev.Payouts = append(ev.Payouts, py.View())
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return
	}
	postErr := p.post(ctx, b.NotificationURL, body)
	nb := b
	nb.NotifyAttempts++
	if postErr == nil {
		t := p.cfg.Clock().UTC()
		nb.NotifiedAt = &t
		nb.NotifyError = ""
	} else {
		nb.NotifyError = truncate(postErr.Error(), 500)
		d := p.cfg.BackoffMin << min(nb.NotifyAttempts-1, 20)
		p.mu.Lock()
		p.notifyAt[b.BatchID] = p.cfg.Clock().Add(min(d, p.cfg.BackoffMax))
		p.mu.Unlock()
	}
	if _, err := p.cfg.Store.UpdateBatch(context.WithoutCancel(ctx), nb, b.Version); err != nil {
		p.cfg.Logger.Warn("recording webhook delivery failed", "batch_id", b.BatchID, "err", err)
	}
}

func (p *Processor) post(ctx context.Context, url string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "lucid-node-management-payout/1")
	resp, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}
