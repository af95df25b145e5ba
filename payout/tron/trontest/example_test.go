package trontest_test

import (
	"fmt"
	"log"
	"time"

	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
)

// ExampleNewServer starts a simulator in manual block mode and arms faults for the next
// broadcasts; a payout client pointed at srv.Addr() then meets them in order.
func ExampleNewServer() {
	srv, err := trontest.NewServer(
		trontest.WithGenesisTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		trontest.WithSeed(42),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	treasury := trontest.NewAccount("treasury")
	if err := srv.Mint(treasury.Address, 5_000_000); err != nil {
		log.Fatal(err)
	}
	srv.InjectFault(trontest.FaultLoseResponse, 1)    // next valid broadcast: included, but the reply is lost
	srv.InjectDelay(5)                                // the one after: included 5 blocks late
	srv.SetFaultRates(trontest.FaultRates{Drop: 0.1}) // then: 10% silently dropped

	n := srv.ProduceBlocks(20)
	_, head := srv.Head()
	fmt.Println(n, head.Format(time.RFC3339), srv.BalanceOf(treasury.Address))
	// Output: 20 2026-01-01T00:01:00Z 5000000
}
