package trontest_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/fbsobreira/gotron-sdk/pkg/address"
	"github.com/fbsobreira/gotron-sdk/pkg/proto/api"
	"github.com/fbsobreira/gotron-sdk/pkg/proto/core"
	"google.golang.org/protobuf/proto"

	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
)

// FuzzBroadcastTransaction feeds arbitrary transaction bytes to the node. It must never panic,
// and it must never accept a transaction from an account whose key did not sign it: the only
// key the corpus signs with is alice's, so every accepted transfer is from alice.
func FuzzBroadcastTransaction(f *testing.F) {
	srv, err := trontest.NewServer(trontest.WithGenesisTime(time.Unix(1_767_225_600, 0)), trontest.WithExpiration(time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Mint(alice.Address, 1<<40); err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	for i, to := range []trontest.Account{bob, carol} {
		f.Add(seedTx(f, srv, to, int64(i+1)))
	}
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		tx := new(core.Transaction)
		if proto.Unmarshal(b, tx) != nil {
			return
		}
		res, err := srv.BroadcastTransaction(ctx, tx)
		if err != nil || !res.GetResult() {
			return
		}
		raw, err := proto.Marshal(tx.GetRawData())
		if err != nil {
			t.Fatal(err)
		}
		id := sha256.Sum256(raw)
		rec, ok := srv.Transaction(hexID(id))
		if !ok {
			t.Fatal("accepted transaction not recorded")
		}
		if rec.From != alice.Address {
			t.Fatalf("accepted a transaction from %s that alice's key did not authorize", rec.From)
		}
	})
}

func hexID(id [32]byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 64)
	for i, c := range id {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

// seedTx builds and signs a transfer from alice without going through gRPC.
func seedTx(f *testing.F, srv *trontest.Server, to trontest.Account, amount int64) []byte {
	return seedTxB(f, srv, to, amount)
}

func seedTxB(f testing.TB, srv *trontest.Server, to trontest.Account, amount int64) []byte {
	owner, _ := address.Base58ToAddress(alice.Address)
	contract, _ := address.Base58ToAddress(srv.Contract())
	dest, _ := address.Base58ToAddress(to.Address)
	data := make([]byte, 68)
	copy(data, []byte{0xa9, 0x05, 0x9c, 0xbb})
	copy(data[16:36], dest[1:])
	data[67] = byte(amount)
	ct := &core.TriggerSmartContract{OwnerAddress: owner, ContractAddress: contract, Data: data}
	ext, err := srv.TriggerContract(context.Background(), ct)
	if err != nil || !ext.GetResult().GetResult() {
		f.Fatal(err, ext.GetResult())
	}
	tx := ext.GetTransaction()
	tx.RawData.FeeLimit = 10_000_000
	raw, _ := proto.Marshal(tx.GetRawData())
	id := sha256.Sum256(raw)
	k, _ := crypto.HexToECDSA(alice.PrivateKeyHex)
	sig, err := crypto.Sign(id[:], k)
	if err != nil {
		f.Fatal(err)
	}
	tx.Signature = [][]byte{sig}
	b, err := proto.Marshal(tx)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

var _ api.WalletServer = (*trontest.Server)(nil)
