package payout_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/payouttest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func lucidCode(t *testing.T, err error) (string, map[string]any) {
	t.Helper()
	var e interface {
		LucidCode() string
		LucidDetails() map[string]any
	}
	require.True(t, errors.As(err, &e), "error %v has no LUCID code", err)
	return e.LucidCode(), e.LucidDetails()
}

func batchJSON(id string, n int, amount string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `{"batch_id":%q,"priority":"high","notification_url":"https://hooks.example.com/lucid","payouts":[`, id)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"node_id":"node-%d","amount":%s,"currency":"USDT","wallet_address":%q}`, i, amount, payouttest.TronAddress(fmt.Sprint(i)))
	}
	sb.WriteString(`]}`)
	return sb.String()
}

func TestDecodeAndValidateBatch(t *testing.T) {
	t.Parallel()
	req, err := payout.DecodeBatchRequest(strings.NewReader(batchJSON("batch_ok-1", 3, `"12.5"`)))
	require.NoError(t, err)
	b, ps, err := payout.ValidateBatch(req, payout.ValidateOptions{Now: t0})
	require.NoError(t, err)
	require.Len(t, ps, 3)
	assert.Equal(t, payout.BatchProcessing, b.Status)
	assert.Equal(t, payout.PriorityHigh, b.Priority)
	assert.Equal(t, "37.5", b.Totals[payout.USDT])
	assert.Equal(t, "payout_ok-1_2", ps[2].PayoutID)
	assert.Equal(t, int64(12_500_000), ps[0].Amount.Minor())
	assert.Equal(t, payout.StagePending, ps[0].Stage)
	assert.Len(t, b.ContentHash, 64)

	// The same content as a JSON number hashes the same.
	req2, err := payout.DecodeBatchRequest(strings.NewReader(batchJSON("batch_ok-1", 3, `12.50`)))
	require.NoError(t, err)
	b2, _, err := payout.ValidateBatch(req2, payout.ValidateOptions{Now: t0.Add(time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, b.ContentHash, b2.ContentHash)
	req3, _ := payout.DecodeBatchRequest(strings.NewReader(batchJSON("batch_ok-1", 3, `12.500001`)))
	b3, _, err := payout.ValidateBatch(req3, payout.ValidateOptions{Now: t0})
	require.NoError(t, err)
	assert.NotEqual(t, b.ContentHash, b3.ContentHash)
}

func TestValidateBatchErrors(t *testing.T) {
	t.Parallel()
	good := payouttest.TronAddress("x")
	tests := []struct {
		name  string
		body  string
		code  string
		field string
	}{
		{"bad json", `{"batch_id":`, payout.CodeMalformed, ""},
		{"trailing", `{"batch_id":"batch_a","payouts":[]} {}`, payout.CodeMalformed, ""},
		{"wrong type", `{"batch_id":5,"payouts":[]}`, payout.CodeMalformed, "batch_id"},
		{"bool amount", `{"batch_id":"batch_a","payouts":[{"node_id":"n","amount":true,"wallet_address":"` + good + `"}]}`, payout.CodeMalformed, ""},
		{"empty", `{"batch_id":"batch_a","payouts":[]}`, payout.CodeValidation, "payouts"},
		{"bad id", `{"batch_id":"b a","payouts":[{"node_id":"n","amount":"1","wallet_address":"` + good + `"}]}`, payout.CodeValidation, "batch_id"},
		{"negative", `{"batch_id":"batch_a","payouts":[{"node_id":"n","amount":-1,"wallet_address":"` + good + `"}]}`, payout.CodeValidation, "payouts[0].amount"},
		{"zero", `{"batch_id":"batch_a","payouts":[{"node_id":"n","amount":0,"wallet_address":"` + good + `"}]}`, payout.CodeValidation, "payouts[0].amount"},
		{"too precise", `{"batch_id":"batch_a","payouts":[{"node_id":"n","amount":"0.0000001","wallet_address":"` + good + `"}]}`, payout.CodeValidation, "payouts[0].amount"},
		{"too big", `{"batch_id":"batch_a","payouts":[{"node_id":"n","amount":1000001,"wallet_address":"` + good + `"}]}`, payout.CodeValidation, "payouts[0].amount"},
		{"exponent", `{"batch_id":"batch_a","payouts":[{"node_id":"n","amount":1e2,"wallet_address":"` + good + `"}]}`, payout.CodeValidation, "payouts[0].amount"},
		{"nan text", `{"batch_id":"batch_a","payouts":[{"node_id":"n","amount":"NaN","wallet_address":"` + good + `"}]}`, payout.CodeValidation, "payouts[0].amount"},
		{"bad address", `{"batch_id":"batch_a","payouts":[{"node_id":"n","amount":1,"wallet_address":"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"}]}`, payout.CodeValidation, "payouts[0].wallet_address"},
		{"blocked", `{"batch_id":"batch_a","payouts":[{"node_id":"n","amount":1,"wallet_address":"` + usdtShasta + `"}]}`, payout.CodeValidation, "payouts[0].wallet_address"},
		{"currency", `{"batch_id":"batch_a","payouts":[{"node_id":"n","amount":1,"currency":"BTC","wallet_address":"` + good + `"}]}`, payout.CodeValidation, "payouts[0].currency"},
		{"priority", `{"batch_id":"batch_a","priority":"asap","payouts":[{"node_id":"n","amount":1,"wallet_address":"` + good + `"}]}`, payout.CodeValidation, "priority"},
		{"webhook", `{"batch_id":"batch_a","notification_url":"ftp://x","payouts":[{"node_id":"n","amount":1,"wallet_address":"` + good + `"}]}`, payout.CodeValidation, "notification_url"},
		{"dup id", `{"batch_id":"batch_a","payouts":[{"payout_id":"payout_1","node_id":"n","amount":1,"wallet_address":"` + good + `"},{"payout_id":"payout_1","node_id":"n","amount":1,"wallet_address":"` + good + `"}]}`, payout.CodeValidation, "payouts[1].payout_id"},
		{"oversized", batchJSON("batch_big", 1001, "1"), payout.CodeValidation, "payouts"},
	}
	opt := payout.ValidateOptions{Now: t0, Addresses: payout.AddressValidator{Blocklist: payout.NewBlocklist(usdtShasta)}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := payout.DecodeBatchRequest(strings.NewReader(tt.body))
			if err == nil {
				_, _, err = payout.ValidateBatch(req, opt)
			}
			require.Error(t, err)
			code, det := lucidCode(t, err)
			assert.Equal(t, tt.code, code)
			if tt.field != "" {
				assert.Equal(t, tt.field, det["field"], "%v", det)
			}
		})
	}
}

func TestSubmitBatchIdempotency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := payouttest.NewMemStore()
	svc, err := payout.NewService(payout.ServiceConfig{Store: st, Clock: func() time.Time { return t0 }})
	require.NoError(t, err)
	req, err := payout.DecodeBatchRequest(strings.NewReader(batchJSON("batch_idem", 2, "5")))
	require.NoError(t, err)
	r1, err := svc.SubmitBatch(ctx, req)
	require.NoError(t, err)
	assert.False(t, r1.Idempotent)
	assert.Equal(t, payout.BatchProcessing, r1.Status)
	require.NotNil(t, r1.EstimatedCompletion)

	r2, err := svc.SubmitBatch(ctx, req)
	require.NoError(t, err)
	assert.True(t, r2.Idempotent)
	assert.Equal(t, r1.BatchID, r2.BatchID)

	other, _ := payout.DecodeBatchRequest(strings.NewReader(batchJSON("batch_idem", 2, "6")))
	_, err = svc.SubmitBatch(ctx, other)
	code, det := lucidCode(t, err)
	assert.Equal(t, payout.CodeConflict, code)
	assert.Equal(t, "batch_id_reused", det["reason"])

	pg, err := st.ListPayouts(ctx, payout.PayoutFilter{BatchID: "batch_idem"})
	require.NoError(t, err)
	assert.Equal(t, 2, pg.Total, "nothing written twice")

	// An invalid batch writes nothing.
	bad, _ := payout.DecodeBatchRequest(strings.NewReader(batchJSON("batch_bad", 2, "-5")))
	_, err = svc.SubmitBatch(ctx, bad)
	code, _ = lucidCode(t, err)
	assert.Equal(t, payout.CodeValidation, code)
	_, err = st.GetBatch(ctx, "batch_bad")
	require.ErrorIs(t, err, payout.ErrNotFound)

	status, err := svc.BatchStatus(ctx, "batch_idem")
	require.NoError(t, err)
	require.Len(t, status.Payouts, 2)
	_, err = svc.BatchStatus(ctx, "batch_nope")
	code, _ = lucidCode(t, err)
	assert.Equal(t, payout.CodeNotFound, code)
}

// FuzzDecodeBatchRequest feeds arbitrary bodies through decode and validation: no panic, and
// an accepted batch satisfies the invariants.
func FuzzDecodeBatchRequest(f *testing.F) {
	f.Add(batchJSON("batch_f", 2, `"1.5"`))
	f.Add(`{"batch_id":"batch_x","payouts":[{"node_id":"n","amount":1e400,"wallet_address":"x"}]}`)
	f.Add(`{"batch_id":"batch_x","payouts":[{"node_id":"n","amount":"0.0000001","currency":"LUCID","wallet_address":"0x52908400098527886E0F7030069857D2E4169EE7"}]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := payout.DecodeBatchRequest(strings.NewReader(body))
		if err != nil {
			return
		}
		b, ps, err := payout.ValidateBatch(req, payout.ValidateOptions{Now: t0})
		if err != nil {
			return
		}
		if len(ps) < 1 || len(ps) > 1000 || b.PayoutCount != len(ps) || !payout.ValidBatchID(b.BatchID) {
			t.Fatalf("accepted invalid batch %+v", b)
		}
		for _, p := range ps {
			if payout.ValidatePayoutAmount(p.Amount) != nil || payout.ValidateAddress(p.Currency(), p.WalletAddress) != nil || !payout.ValidPayoutID(p.PayoutID) {
				t.Fatalf("accepted invalid payout %+v", p)
			}
		}
	})
}
