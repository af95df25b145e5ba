package trontest_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/fbsobreira/gotron-sdk/pkg/proto/core"
	"google.golang.org/protobuf/proto"

	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
)

// BenchmarkNode measures the simulator's own cost per broadcast (validation incl. signature
// recovery, called in-process) and per 1000-transaction block, next to the bare
// secp256k1 public-key recovery every broadcast must do.
func BenchmarkNode(b *testing.B) {
	const batch = 1000
	genesis := trontest.WithGenesisTime(time.Unix(1_767_225_600, 0))
	newSrv := func(b *testing.B) *trontest.Server {
		srv, err := trontest.NewServer(genesis, trontest.WithExpiration(time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Mint(alice.Address, 1<<50); err != nil {
			b.Fatal(err)
		}
		return srv
	}
	// Signed once: every server with the same genesis accepts the same bytes (same reference
	// block), and each build gets a distinct timestamp, so the 1000 are distinct transactions.
	first := newSrv(b)
	txs := make([]*core.Transaction, batch)
	for i := range txs {
		txs[i] = new(core.Transaction)
		if err := proto.Unmarshal(seedTxB(b, first, bob, int64(i%200+1)), txs[i]); err != nil {
			b.Fatal(err)
		}
	}
	first.Close()
	ctx := context.Background()

	b.Run("baseline_secp256k1_recover", func(b *testing.B) {
		raw, _ := proto.Marshal(txs[0].GetRawData())
		h := sha256.Sum256(raw)
		for b.Loop() {
			if _, err := crypto.SigToPub(h[:], txs[0].GetSignature()[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("broadcast_in_process", func(b *testing.B) {
		srv := newSrv(b)
		i := 0
		for b.Loop() {
			if i == len(txs) {
				b.StopTimer()
				srv.Close()
				srv, i = newSrv(b), 0
				b.StartTimer()
			}
			if r, err := srv.BroadcastTransaction(ctx, txs[i]); err != nil || !r.GetResult() {
				b.Fatal(r, err)
			}
			i++
		}
		srv.Close()
	})
	b.Run("broadcast_1000_then_produce_block", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			srv := newSrv(b)
			b.StartTimer()
			for _, tx := range txs {
				if r, err := srv.BroadcastTransaction(ctx, tx); err != nil || !r.GetResult() {
					b.Fatal(r, err)
				}
			}
			srv.ProduceBlock()
			b.StopTimer()
			if len(srv.Paid()) != batch {
				b.Fatal("not all included")
			}
			srv.Close()
			b.StartTimer()
		}
	})
}
