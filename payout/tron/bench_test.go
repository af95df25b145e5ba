package tron_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/fbsobreira/gotron-sdk/pkg/proto/core"
	"google.golang.org/protobuf/proto"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/tron"
	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
)

// BenchmarkTransfer measures the client's build+sign and build+sign+broadcast against the
// simulator over loopback gRPC, next to the bare secp256k1 work of signing one transaction
// (sha256 of raw_data + ECDSA sign), which is the floor of local cost per payout.
func BenchmarkTransfer(b *testing.B) {
	srv, err := trontest.NewServer(trontest.WithExpiration(24*time.Hour - time.Minute))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	payer, payee := trontest.NewAccount("payer"), trontest.NewAccount("payee")
	if err := srv.Mint(payer.Address, 1<<60); err != nil {
		b.Fatal(err)
	}
	cl, err := tron.NewClient(tron.Config{Endpoint: srv.Addr(), Contract: srv.Contract(), PrivateKeyHex: payer.PrivateKeyHex, Confirmations: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	amt, _ := payout.NewAmount(1, payout.USDT)
	req := payout.TransferRequest{PayoutID: "payout_bench", To: payee.Address, Amount: amt}

	st, err := cl.Transfer(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	var sample core.Transaction
	if err := proto.Unmarshal(st.Raw, &sample); err != nil {
		b.Fatal(err)
	}

	b.Run("baseline_secp256k1_sign", func(b *testing.B) {
		key, _ := crypto.HexToECDSA(payer.PrivateKeyHex)
		for b.Loop() {
			raw, err := proto.Marshal(sample.GetRawData())
			if err != nil {
				b.Fatal(err)
			}
			h := sha256.Sum256(raw)
			if _, err := crypto.Sign(h[:], key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("build_sign", func(b *testing.B) {
		for b.Loop() {
			if _, err := cl.Transfer(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("build_sign_broadcast", func(b *testing.B) {
		i := 0
		for b.Loop() {
			st, err := cl.Transfer(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			if err := cl.Broadcast(ctx, st); err != nil {
				b.Fatal(err)
			}
			if i++; i%1000 == 0 {
				srv.ProduceBlock() // keep the pool at a realistic size
			}
		}
	})
	b.Run("build_sign_broadcast_parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				st, err := cl.Transfer(ctx, req)
				if err != nil {
					b.Error(err)
					return
				}
				if err := cl.Broadcast(ctx, st); err != nil {
					b.Error(err)
					return
				}
			}
		})
		srv.ProduceBlock()
	})
	b.Run("status", func(b *testing.B) {
		st, err := cl.Transfer(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if err := cl.Broadcast(ctx, st); err != nil {
			b.Fatal(err)
		}
		srv.ProduceBlock()
		for b.Loop() {
			if s, err := cl.Status(ctx, st.TxID); err != nil || s.State != payout.TxConfirmed {
				b.Fatal(s, err)
			}
		}
	})
}
