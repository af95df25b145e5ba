package trontest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/fbsobreira/gotron-sdk/pkg/client"
	"github.com/fbsobreira/gotron-sdk/pkg/proto/api"
	"github.com/fbsobreira/gotron-sdk/pkg/proto/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
)

var (
	alice = trontest.NewAccount("alice")
	bob   = trontest.NewAccount("bob")
	carol = trontest.NewAccount("carol")
)

func start(t *testing.T, opts ...trontest.Option) (*trontest.Server, *client.GrpcClient) {
	t.Helper()
	srv, err := trontest.NewServer(append([]trontest.Option{trontest.WithGenesisTime(time.Unix(1_767_225_600, 0))}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	gc := client.NewGrpcClientWithTimeout(srv.Addr(), 2*time.Second)
	require.NoError(t, gc.Start(grpc.WithTransportCredentials(insecure.NewCredentials())))
	t.Cleanup(gc.Stop)
	require.NoError(t, srv.Mint(alice.Address, 1_000_000))
	return srv, gc
}

// build asks the node for an unsigned transfer with a generous fee limit.
func build(t *testing.T, gc *client.GrpcClient, srv *trontest.Server, from, to trontest.Account, amount int64) *core.Transaction {
	t.Helper()
	ext, err := gc.TRC20Send(from.Address, to.Address, srv.Contract(), big.NewInt(amount), 10_000_000)
	require.NoError(t, err)
	return ext.GetTransaction()
}

func sign(t *testing.T, tx *core.Transaction, by trontest.Account) *core.Transaction {
	t.Helper()
	raw, err := proto.Marshal(tx.GetRawData())
	require.NoError(t, err)
	id := sha256.Sum256(raw)
	k, err := crypto.HexToECDSA(by.PrivateKeyHex)
	require.NoError(t, err)
	sig, err := crypto.Sign(id[:], k)
	require.NoError(t, err)
	out := proto.Clone(tx).(*core.Transaction)
	out.Signature = [][]byte{sig}
	return out
}

func txID(t *testing.T, tx *core.Transaction) string {
	t.Helper()
	raw, err := proto.Marshal(tx.GetRawData())
	require.NoError(t, err)
	id := sha256.Sum256(raw)
	return hex.EncodeToString(id[:])
}

func broadcast(t *testing.T, srv *trontest.Server, tx *core.Transaction) (*api.Return, error) {
	t.Helper()
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	return api.NewWalletClient(conn).BroadcastTransaction(t.Context(), tx)
}

func TestBroadcastValidation(t *testing.T) {
	t.Parallel()
	srv, gc := start(t)
	good := build(t, gc, srv, alice, bob, 10)

	tamperedAmount := proto.Clone(good).(*core.Transaction)
	tamperedAmount = sign(t, tamperedAmount, alice)
	ct := new(core.TriggerSmartContract)
	require.NoError(t, tamperedAmount.GetRawData().GetContract()[0].GetParameter().UnmarshalTo(ct))
	ct.Data[len(ct.Data)-1] = 99 // amount changed after signing
	require.NoError(t, tamperedAmount.GetRawData().GetContract()[0].GetParameter().MarshalFrom(ct))

	badRef := proto.Clone(good).(*core.Transaction)
	badRef.RawData.RefBlockHash = []byte{1, 2, 3, 4, 5, 6, 7, 8}

	farExpiry := proto.Clone(good).(*core.Transaction)
	farExpiry.RawData.Expiration += (25 * time.Hour).Milliseconds()

	bigFee := proto.Clone(good).(*core.Transaction)
	bigFee.RawData.FeeLimit = trontest.MaxFeeLimit + 1

	shortSig := sign(t, good, alice)
	shortSig.Signature[0] = shortSig.Signature[0][:64]

	twoSigs := sign(t, good, alice)
	twoSigs.Signature = append(twoSigs.Signature, twoSigs.Signature[0])

	tests := []struct {
		name string
		tx   *core.Transaction
		code api.ReturnResponseCode
	}{
		{"unsigned", good, api.Return_SIGERROR},
		{"signed by another key", sign(t, good, carol), api.Return_SIGERROR},
		{"tampered after signing", tamperedAmount, api.Return_SIGERROR},
		{"65-byte signature required", shortSig, api.Return_SIGERROR},
		{"one signature only", twoSigs, api.Return_SIGERROR},
		{"unknown reference block", sign(t, badRef, alice), api.Return_TAPOS_ERROR},
		{"expiration beyond 24h", sign(t, farExpiry, alice), api.Return_TRANSACTION_EXPIRATION_ERROR},
		{"fee limit above maximum", sign(t, bigFee, alice), api.Return_CONTRACT_VALIDATE_ERROR},
		{"no raw data", &core.Transaction{}, api.Return_OTHER_ERROR},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := broadcast(t, srv, tc.tx)
			require.NoError(t, err)
			assert.False(t, res.GetResult())
			assert.Equal(t, tc.code, res.GetCode(), string(res.GetMessage()))
		})
	}
	assert.Empty(t, srv.Transactions(), "nothing invalid was accepted")

	res, err := broadcast(t, srv, sign(t, good, alice))
	require.NoError(t, err)
	assert.True(t, res.GetResult())
	srv.ProduceBlock()
	assert.Equal(t, int64(10), srv.BalanceOf(bob.Address))
	assert.Equal(t, int64(999_990), srv.BalanceOf(alice.Address))
}

func TestTaposAcceptsRecentBlocks(t *testing.T) {
	t.Parallel()
	srv, gc := start(t, trontest.WithExpiration(time.Hour))
	tx := sign(t, build(t, gc, srv, alice, bob, 1), alice)
	srv.ProduceBlocks(50) // the reference block is now 50 deep
	res, err := broadcast(t, srv, tx)
	require.NoError(t, err)
	assert.True(t, res.GetResult(), string(res.GetMessage()))
}

func TestExpirationIsChainTime(t *testing.T) {
	t.Parallel()
	srv, gc := start(t, trontest.WithBlockTime(time.Second), trontest.WithExpiration(10*time.Second))
	tx := sign(t, build(t, gc, srv, alice, bob, 1), alice)
	assert.Equal(t, int64(1_767_225_600_000+10_000), tx.GetRawData().GetExpiration())
	// Valid now; the node keeps it pooled only until block time reaches expiration.
	res, err := broadcast(t, srv, tx)
	require.NoError(t, err)
	require.True(t, res.GetResult())
	tx2 := sign(t, build(t, gc, srv, alice, bob, 2), alice)
	srv.ProduceBlocks(10) // head time = expiration
	res, err = broadcast(t, srv, tx2)
	require.NoError(t, err)
	assert.Equal(t, api.Return_TRANSACTION_EXPIRATION_ERROR, res.GetCode())
}

func TestConstantCallsAndEstimate(t *testing.T) {
	t.Parallel()
	srv, gc := start(t)
	bal, err := gc.TRC20ContractBalance(alice.Address, srv.Contract())
	require.NoError(t, err)
	assert.Equal(t, int64(1_000_000), bal.Int64())
	dec, err := gc.TRC20GetDecimals(srv.Contract())
	require.NoError(t, err)
	assert.Equal(t, int64(6), dec.Int64())

	params := `[{"address":"` + bob.Address + `"},{"uint256":"5"}]`
	est, err := gc.EstimateEnergy(alice.Address, srv.Contract(), "transfer(address,uint256)", params, 0, "", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(trontest.DefaultEnergyNewHolder), est.GetEnergyRequired())
	require.NoError(t, srv.Mint(bob.Address, 1))
	est, err = gc.EstimateEnergy(alice.Address, srv.Contract(), "transfer(address,uint256)", params, 0, "", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(trontest.DefaultEnergyExisting), est.GetEnergyRequired())

	_, err = gc.EstimateEnergy(carol.Address, srv.Contract(), "transfer(address,uint256)", params, 0, "", 0)
	require.Error(t, err, "carol has nothing to send")
	_, err = gc.TRC20Send(alice.Address, bob.Address, bob.Address, big.NewInt(1), 1)
	require.Error(t, err, "bob is not the contract")
}

func TestOutOfEnergyFromLowFeeLimit(t *testing.T) {
	t.Parallel()
	srv, gc := start(t)
	ext, err := gc.TRC20Send(alice.Address, bob.Address, srv.Contract(), big.NewInt(5), 1_000) // 10 energy
	require.NoError(t, err)
	tx := sign(t, ext.GetTransaction(), alice)
	_, err = broadcast(t, srv, tx)
	require.NoError(t, err)
	n := srv.ProduceBlock()
	info, err := gc.GetTransactionInfoByID(txID(t, tx))
	require.NoError(t, err)
	assert.Equal(t, n, info.GetBlockNumber())
	assert.Equal(t, core.TransactionInfo_FAILED, info.GetResult())
	assert.Equal(t, core.Transaction_Result_OUT_OF_ENERGY, info.GetReceipt().GetResult())
	assert.Equal(t, int64(1_000), info.GetFee(), "the whole fee limit is burned")
	assert.Zero(t, srv.BalanceOf(bob.Address))

	got, err := gc.GetTransactionByID(txID(t, tx))
	require.NoError(t, err)
	assert.Equal(t, core.Transaction_Result_OUT_OF_ENERGY, got.GetRet()[0].GetContractRet())
	blk, err := gc.GetBlockByNum(n)
	require.NoError(t, err)
	require.Len(t, blk.GetTransactions(), 1)
	assert.Equal(t, txID(t, tx), hex.EncodeToString(blk.GetTransactions()[0].GetTxid()))
}

func TestMaxBlockTxs(t *testing.T) {
	t.Parallel()
	srv, gc := start(t, trontest.WithMaxBlockTxs(2))
	for i := range 5 {
		_, err := broadcast(t, srv, sign(t, build(t, gc, srv, alice, bob, int64(i+1)), alice))
		require.NoError(t, err)
	}
	srv.ProduceBlock()
	assert.Len(t, srv.Paid(), 2)
	srv.ProduceBlocks(2)
	assert.Len(t, srv.Paid(), 5)
	assert.Equal(t, int64(15), srv.BalanceOf(bob.Address))
}

func TestTimerProducesBlocks(t *testing.T) {
	t.Parallel()
	srv, gc := start(t, trontest.WithBlockInterval(5*time.Millisecond), trontest.WithExpiration(time.Hour))
	_, err := broadcast(t, srv, sign(t, build(t, gc, srv, alice, bob, 3), alice))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		n, _ := srv.Head()
		return n >= 3 && srv.BalanceOf(bob.Address) == 3
	}, 2*time.Second, 5*time.Millisecond)
	n, ts := srv.Head()
	assert.Equal(t, time.Unix(1_767_225_600, 0).Add(time.Duration(n)*5*time.Millisecond).UTC(), ts, "chain time follows the interval")
	assert.Equal(t, 5*time.Millisecond, srv.BlockTime())
	srv.Close()
	srv.Close() // idempotent
}

func TestRandomFaultsAreSeeded(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) []trontest.Fault {
		srv, gc := start(t, trontest.WithSeed(seed))
		srv.SetFaultRates(trontest.FaultRates{Drop: 0.2, Error: 0.2, LoseResponse: 0.2, Delay: 0.1, OutOfEnergy: 0.1})
		var faults []trontest.Fault
		for i := range 30 {
			_, err := broadcast(t, srv, sign(t, build(t, gc, srv, alice, bob, int64(i+1)), alice))
			if err != nil {
				faults = append(faults, trontest.FaultError)
				continue
			}
		}
		for _, tx := range srv.Transactions() {
			faults = append(faults, tx.Fault)
		}
		return faults
	}
	a, b, c := run(42), run(42), run(43)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, c)
	assert.Contains(t, a, trontest.FaultDrop)
	assert.Contains(t, a, trontest.FaultNone)
}

func TestQueuedFaultsAndClear(t *testing.T) {
	t.Parallel()
	srv, gc := start(t)
	srv.InjectFault(trontest.FaultError, 2)
	for range 2 {
		_, err := broadcast(t, srv, sign(t, build(t, gc, srv, alice, bob, 1), alice))
		require.Error(t, err)
	}
	srv.InjectFault(trontest.FaultDrop, 5)
	srv.ClearFaults()
	res, err := broadcast(t, srv, sign(t, build(t, gc, srv, alice, bob, 1), alice))
	require.NoError(t, err)
	assert.True(t, res.GetResult())
	srv.ProduceBlock()
	assert.Len(t, srv.Paid(), 1)
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	srv, gc := start(t, trontest.WithBlockInterval(2*time.Millisecond), trontest.WithExpiration(time.Hour))
	srv.SetFaultRates(trontest.FaultRates{LoseResponse: 0.3})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			tx := sign(t, build(t, gc, srv, alice, bob, int64(i+1)), alice)
			for range 3 {
				_, _ = broadcast(t, srv, tx)
			}
			_ = srv.Transactions()
			_ = srv.BalanceOf(bob.Address)
		})
	}
	wg.Wait()
	require.Eventually(t, func() bool { return srv.BalanceOf(bob.Address) == 36 }, 2*time.Second, 5*time.Millisecond)
	assert.Len(t, srv.Paid(), 8)
}

func TestMint(t *testing.T) {
	t.Parallel()
	srv, _ := start(t)
	require.Error(t, srv.Mint("not-an-address", 1))
	require.Error(t, srv.Mint(bob.Address, -1))
	require.NoError(t, srv.Mint(bob.Address, 1<<62))
	require.Error(t, srv.Mint(bob.Address, 1<<62), "overflow")
	assert.Equal(t, int64(1<<62), srv.BalanceOf(bob.Address))
	assert.Zero(t, srv.BalanceOf("junk"))
}

func TestSetDown(t *testing.T) {
	t.Parallel()
	srv, gc := start(t)
	srv.SetDown(true)
	_, err := gc.GetNowBlock()
	require.Error(t, err)
	_, err = gc.TRC20Send(alice.Address, bob.Address, srv.Contract(), big.NewInt(1), 10_000_000)
	require.Error(t, err)
	srv.SetDown(false)
	_, err = gc.GetNowBlock()
	require.NoError(t, err)
}

func TestFaultHook(t *testing.T) {
	t.Parallel()
	srv, gc := start(t)
	var mu sync.Mutex
	seen := map[string]int{}
	srv.SetFaultHook(func(method string) trontest.Fault {
		mu.Lock()
		defer mu.Unlock()
		seen[method]++
		switch method {
		case "GetNowBlock2":
			return trontest.FaultError
		case "BroadcastTransaction":
			return trontest.FaultDrop
		}
		return trontest.FaultNone
	})
	_, err := gc.GetNowBlock()
	require.Error(t, err)
	tx := sign(t, build(t, gc, srv, alice, bob, 4), alice)
	res, err := broadcast(t, srv, tx)
	require.NoError(t, err)
	assert.True(t, res.GetResult())
	srv.ProduceBlock()
	assert.Empty(t, srv.Paid(), "dropped by the hook")

	srv.SetFaultHook(nil)
	_, err = gc.GetNowBlock()
	require.NoError(t, err)
	_, err = broadcast(t, srv, tx)
	require.NoError(t, err)
	srv.ProduceBlock()
	assert.Len(t, srv.Paid(), 1)
	list, err := srv.Lister(alice.Address).ListTransfers(t.Context())
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, int64(4), list[0].Amount.Minor())
	assert.True(t, list[0].Success)
	mu.Lock()
	assert.Equal(t, 1, seen["BroadcastTransaction"])
	assert.Equal(t, 1, seen["TriggerContract"])
	mu.Unlock()
}
