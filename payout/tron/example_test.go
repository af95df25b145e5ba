package tron_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/tron"
	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
)

// ExampleNewClient wires the TRON client to the in-process simulator and pays 12.5 USDT.
func ExampleNewClient() {
	srv, err := trontest.NewServer() // manual blocks; trontest.WithBlockInterval(d) for a timer
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	payer := trontest.NewAccount("treasury")
	payee := trontest.NewAccount("node-1")
	_ = srv.Mint(payer.Address, 100_000_000) // 100 USDT

	cl, err := tron.NewClient(tron.Config{
		Endpoint:      srv.Addr(),
		Contract:      srv.Contract(),
		PrivateKeyHex: payer.PrivateKeyHex,
		Confirmations: 2,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()

	ctx := context.Background()
	amount, _ := payout.ParseAmount("12.5", payout.USDT)
	st, err := cl.Transfer(ctx, payout.TransferRequest{PayoutID: "payout_1", To: payee.Address, Amount: amount})
	if err != nil {
		log.Fatal(err)
	}
	if err := cl.Broadcast(ctx, st); err != nil {
		log.Fatal(err)
	}
	srv.ProduceBlocks(2)
	s, err := cl.Status(ctx, st.TxID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.State, s.Confirmations, srv.BalanceOf(payee.Address))
	// Output: confirmed 2 12500000
}
