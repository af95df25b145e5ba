package payout_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/payouttest"
)

func ExampleParseAmount() {
	a, err := payout.ParseAmount("12.50", payout.USDT)
	fmt.Println(a.Minor(), a, err)
	_, err = payout.ParseAmount("0.0000001", payout.USDT)
	fmt.Println(err)
	// Output:
	// 12500000 12.5 <nil>
	// amount: more decimals than the currency has
}

func ExampleSplitPool() {
	shares, rem, _ := payout.SplitPool(100, []payout.NodeScore{
		{NodeID: "a", Score: 1, Eligible: true},
		{NodeID: "b", Score: 1, Eligible: true},
		{NodeID: "c", Score: 1, Eligible: true},
	})
	for _, s := range shares {
		fmt.Println(s.NodeID, s.Minor)
	}
	fmt.Println("remainder units:", rem)
	// Output:
	// a 34
	// b 33
	// c 33
	// remainder units: 1
}

// ExampleProcessor submits a batch and drives it to completion on the fake chain.
func ExampleProcessor() {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := payouttest.NewMemStore()
	chain := payouttest.NewFakeChain(now, map[payout.Currency]int64{payout.USDT: 1e12})
	svc, _ := payout.NewService(payout.ServiceConfig{Store: store, Clock: clock})
	req, _ := payout.DecodeBatchRequest(strings.NewReader(`{"batch_id":"batch_demo","payouts":[
		{"node_id":"node-1","amount":"12.5","currency":"USDT","wallet_address":"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"}]}`))
	resp, err := svc.SubmitBatch(ctx, req)
	fmt.Println(resp.Status, err)

	proc, _ := payout.NewProcessor(payout.ProcessorConfig{Store: store, Chain: chain, Clock: clock})
	_ = proc.Recover(ctx)
	for range 5 {
		_ = proc.ProcessOnce(ctx)
		chain.Mine()
	}
	st, _ := svc.BatchStatus(ctx, "batch_demo")
	fmt.Println(st.Status, st.Payouts[0].Status, len(st.Payouts[0].TransactionHash))
	rep, _ := payout.Audit(ctx, store, chain, chain)
	fmt.Println("audit ok:", rep.OK())
	// Output:
	// processing <nil>
	// completed completed 64
	// audit ok: true
}
