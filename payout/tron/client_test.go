package tron_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbsobreira/gotron-sdk/pkg/proto/api"
	"github.com/fbsobreira/gotron-sdk/pkg/proto/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/tron"
	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
)

var genesis = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type env struct {
	srv    *trontest.Server
	cl     *tron.Client
	payer  trontest.Account
	payee  trontest.Account
	depth  int64
	ctx    context.Context
	cancel context.CancelFunc
}

func newEnv(t *testing.T, cfgMod func(*tron.Config), opts ...trontest.Option) *env {
	t.Helper()
	opts = append([]trontest.Option{trontest.WithGenesisTime(genesis)}, opts...)
	srv, err := trontest.NewServer(opts...)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	e := &env{srv: srv, payer: trontest.NewAccount("payer"), payee: trontest.NewAccount("payee"), depth: 3}
	cfg := tron.Config{Endpoint: srv.Addr(), Contract: srv.Contract(), PrivateKeyHex: e.payer.PrivateKeyHex, Confirmations: e.depth, Timeout: 2 * time.Second}
	if cfgMod != nil {
		cfgMod(&cfg)
	}
	e.cl, err = tron.NewClient(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.cl.Close() })
	require.NoError(t, srv.Mint(e.payer.Address, 1_000_000_000)) // 1000 USDT
	e.ctx, e.cancel = context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(e.cancel)
	return e
}

func usdt(t *testing.T, minor int64) payout.Amount {
	t.Helper()
	a, err := payout.NewAmount(minor, payout.USDT)
	require.NoError(t, err)
	return a
}

func (e *env) transfer(t *testing.T, minor int64) payout.SignedTransfer {
	t.Helper()
	st, err := e.cl.Transfer(e.ctx, payout.TransferRequest{PayoutID: "payout_x", To: e.payee.Address, Amount: usdt(t, minor)})
	require.NoError(t, err)
	return st
}

func (e *env) status(t *testing.T, id string) payout.TxStatus {
	t.Helper()
	s, err := e.cl.Status(e.ctx, id)
	require.NoError(t, err)
	return s
}

func TestTransferBroadcastConfirm(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	assert.Equal(t, e.payer.Address, e.cl.Address())

	st := e.transfer(t, 1_500_000)
	require.Len(t, st.TxID, 64)
	assert.Equal(t, strings.ToLower(st.TxID), st.TxID)
	assert.Equal(t, genesis.Add(trontest.DefaultExpiration), st.Expiration)

	// The id is sha256 of raw_data, and the signature is 65 bytes.
	var tx core.Transaction
	require.NoError(t, proto.Unmarshal(st.Raw, &tx))
	raw, err := proto.Marshal(tx.GetRawData())
	require.NoError(t, err)
	sum := sha256.Sum256(raw)
	assert.Equal(t, hex.EncodeToString(sum[:]), st.TxID)
	require.Len(t, tx.GetSignature(), 1)
	assert.Len(t, tx.GetSignature()[0], 65)
	assert.Positive(t, tx.GetRawData().GetFeeLimit())

	// Transfer does not broadcast.
	assert.Empty(t, e.srv.Transactions())
	assert.Equal(t, payout.TxNotFound, e.status(t, st.TxID).State)

	require.NoError(t, e.cl.Broadcast(e.ctx, st))
	assert.Equal(t, payout.TxNotFound, e.status(t, st.TxID).State, "pool contents are not visible, as on TRON")

	n := e.srv.ProduceBlock()
	s := e.status(t, st.TxID)
	assert.Equal(t, payout.TxStatus{State: payout.TxIncluded, BlockNumber: n, Confirmations: 1}, s)
	e.srv.ProduceBlocks(int(e.depth) - 1)
	s = e.status(t, st.TxID)
	assert.Equal(t, payout.TxStatus{State: payout.TxConfirmed, BlockNumber: n, Confirmations: e.depth}, s)

	assert.Equal(t, int64(1_500_000), e.srv.BalanceOf(e.payee.Address))
	assert.Equal(t, int64(998_500_000), e.srv.BalanceOf(e.payer.Address))
	bal, err := e.cl.Balance(e.ctx, payout.USDT)
	require.NoError(t, err)
	assert.Equal(t, usdt(t, 998_500_000), bal)

	paid := e.srv.Paid()
	require.Len(t, paid, 1)
	assert.Equal(t, trontest.Tx{
		ID: st.TxID, From: e.payer.Address, To: e.payee.Address, Amount: 1_500_000,
		FeeLimit: tx.GetRawData().GetFeeLimit(), Expiration: st.Expiration, State: trontest.TxIncluded,
		BroadcastCount: 1, Block: n, Result: "SUCCESS",
		EnergyUsed: trontest.DefaultEnergyNewHolder, Fee: trontest.DefaultEnergyNewHolder * trontest.DefaultEnergyPrice,
	}, paid[0])

	now, err := e.cl.Now(e.ctx)
	require.NoError(t, err)
	_, head := e.srv.Head()
	assert.Equal(t, head.UTC(), now)
	require.NoError(t, e.cl.Verify(e.ctx))
}

func TestDuplicateBroadcastIsAlreadyKnown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	st := e.transfer(t, 2_000_000)
	require.NoError(t, e.cl.Broadcast(e.ctx, st))
	require.NoError(t, e.cl.Broadcast(e.ctx, st), "duplicate while pooled")
	e.srv.ProduceBlock()
	require.NoError(t, e.cl.Broadcast(e.ctx, st), "duplicate after inclusion")
	e.srv.ProduceBlocks(5)

	rec, ok := e.srv.Transaction(st.TxID)
	require.True(t, ok)
	assert.Equal(t, 3, rec.BroadcastCount)
	assert.Len(t, e.srv.Paid(), 1)
	assert.Equal(t, int64(2_000_000), e.srv.BalanceOf(e.payee.Address))
}

func TestDuplicateAnswerMatchesTron(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	st := e.transfer(t, 1)
	require.NoError(t, e.cl.Broadcast(e.ctx, st))
	var tx core.Transaction
	require.NoError(t, proto.Unmarshal(st.Raw, &tx))
	res := rawBroadcast(t, e.srv.Addr(), &tx)
	assert.False(t, res.GetResult())
	assert.Equal(t, api.Return_DUP_TRANSACTION_ERROR, res.GetCode())
	assert.Equal(t, "Dup transaction.", string(res.GetMessage()))
}

func rawBroadcast(t *testing.T, addr string, tx *core.Transaction) *api.Return {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecureCreds()))
	require.NoError(t, err)
	defer conn.Close()
	res, err := api.NewWalletClient(conn).BroadcastTransaction(context.Background(), tx)
	require.NoError(t, err)
	return res
}

func TestExpiredNeverIncluded(t *testing.T) {
	t.Parallel()
	t.Run("broadcast after expiration is refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		st := e.transfer(t, 1_000_000)
		e.srv.AdvanceTo(st.Expiration)
		err := e.cl.Broadcast(e.ctx, st)
		require.ErrorIs(t, err, payout.ErrTransferRejected)
		assert.Contains(t, err.Error(), "TRANSACTION_EXPIRATION_ERROR")
		e.srv.ProduceBlocks(3)
		assert.Equal(t, payout.TxNotFound, e.status(t, st.TxID).State)
		assert.Zero(t, e.srv.BalanceOf(e.payee.Address))
	})
	t.Run("pooled but delayed past expiration", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		st := e.transfer(t, 1_000_000)
		blocksToExpiry := int(trontest.DefaultExpiration / trontest.DefaultBlockTime)
		e.srv.InjectDelay(blocksToExpiry + 5)
		require.NoError(t, e.cl.Broadcast(e.ctx, st))
		e.srv.ProduceBlocks(blocksToExpiry + 10)
		now, err := e.cl.Now(e.ctx)
		require.NoError(t, err)
		assert.True(t, now.After(st.Expiration))
		assert.Equal(t, payout.TxNotFound, e.status(t, st.TxID).State)
		rec, _ := e.srv.Transaction(st.TxID)
		assert.Equal(t, trontest.TxExpired, rec.State)
		assert.Zero(t, e.srv.BalanceOf(e.payee.Address))
		// Re-broadcasting the expired bytes cannot revive them.
		require.NoError(t, e.cl.Broadcast(e.ctx, st), "the node still remembers the id: DUP")
		e.srv.ProduceBlocks(3)
		assert.Equal(t, payout.TxNotFound, e.status(t, st.TxID).State)
	})
	t.Run("expiration error for an included tx is success", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		st := e.transfer(t, 1_000_000)
		require.NoError(t, e.cl.Broadcast(e.ctx, st))
		e.srv.ProduceBlock()
		e.srv.AdvanceTo(st.Expiration.Add(time.Minute))
		require.NoError(t, e.cl.Broadcast(e.ctx, st))
	})
}

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault trontest.Fault
		check func(t *testing.T, e *env, st payout.SignedTransfer)
	}{
		{"drop", trontest.FaultDrop, func(t *testing.T, e *env, st payout.SignedTransfer) {
			require.NoError(t, e.cl.Broadcast(e.ctx, st), "a dropped broadcast looks successful")
			e.srv.ProduceBlocks(5)
			assert.Equal(t, payout.TxNotFound, e.status(t, st.TxID).State)
			assert.Zero(t, e.srv.BalanceOf(e.payee.Address))
			// Re-broadcasting the same bytes before expiration gets it paid, once.
			require.NoError(t, e.cl.Broadcast(e.ctx, st))
			e.srv.ProduceBlocks(int(e.depth))
			assert.Equal(t, payout.TxConfirmed, e.status(t, st.TxID).State)
		}},
		{"error", trontest.FaultError, func(t *testing.T, e *env, st payout.SignedTransfer) {
			err := e.cl.Broadcast(e.ctx, st)
			require.ErrorIs(t, err, payout.ErrChainUnavailable)
			assert.NotErrorIs(t, err, payout.ErrTransferRejected)
			e.srv.ProduceBlocks(5)
			assert.Equal(t, payout.TxNotFound, e.status(t, st.TxID).State)
			require.NoError(t, e.cl.Broadcast(e.ctx, st))
			e.srv.ProduceBlocks(int(e.depth))
			assert.Equal(t, payout.TxConfirmed, e.status(t, st.TxID).State)
		}},
		{"lose response", trontest.FaultLoseResponse, func(t *testing.T, e *env, st payout.SignedTransfer) {
			require.ErrorIs(t, e.cl.Broadcast(e.ctx, st), payout.ErrChainUnavailable)
			e.srv.ProduceBlock()
			assert.Equal(t, payout.TxIncluded, e.status(t, st.TxID).State, "it was included despite the error")
			require.NoError(t, e.cl.Broadcast(e.ctx, st), "the retry is a duplicate, not a second payment")
			e.srv.ProduceBlocks(int(e.depth))
			assert.Equal(t, payout.TxConfirmed, e.status(t, st.TxID).State)
		}},
		{"delay", trontest.FaultDelay, func(t *testing.T, e *env, st payout.SignedTransfer) {
			require.NoError(t, e.cl.Broadcast(e.ctx, st))
			e.srv.ProduceBlocks(3) // default delay: included in the 4th block
			assert.Equal(t, payout.TxNotFound, e.status(t, st.TxID).State)
			n := e.srv.ProduceBlock()
			s := e.status(t, st.TxID)
			assert.Equal(t, payout.TxIncluded, s.State)
			assert.Equal(t, n, s.BlockNumber)
			e.srv.ProduceBlocks(int(e.depth))
			assert.Equal(t, payout.TxConfirmed, e.status(t, st.TxID).State)
		}},
		{"out of energy", trontest.FaultOutOfEnergy, func(t *testing.T, e *env, st payout.SignedTransfer) {
			require.NoError(t, e.cl.Broadcast(e.ctx, st))
			e.srv.ProduceBlock()
			s := e.status(t, st.TxID)
			assert.Equal(t, payout.TxFailed, s.State, "failed is never reported as included")
			assert.Equal(t, int64(1), s.Confirmations)
			assert.Equal(t, "OUT_OF_ENERGY", s.Reason)
			e.srv.ProduceBlocks(int(e.depth))
			s = e.status(t, st.TxID)
			assert.Equal(t, payout.TxFailed, s.State)
			assert.Equal(t, e.depth+1, s.Confirmations)
			assert.Zero(t, e.srv.BalanceOf(e.payee.Address), "nothing moved")
			assert.Empty(t, e.srv.Paid())
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			st := e.transfer(t, 3_000_000)
			e.srv.InjectFault(tc.fault, 1)
			tc.check(t, e, st)
			if tc.fault != trontest.FaultOutOfEnergy {
				assert.Equal(t, int64(3_000_000), e.srv.BalanceOf(e.payee.Address))
				assert.Len(t, e.srv.Paid(), 1)
			}
		})
	}
}

func TestRandomFaultsNeverPayTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, trontest.WithSeed(7))
	e.srv.SetFaultRates(trontest.FaultRates{Drop: 0.2, Error: 0.2, LoseResponse: 0.2, Delay: 0.2, DelayBlocks: 2})
	var ids []payout.SignedTransfer
	for i := range 10 {
		st, err := e.cl.Transfer(e.ctx, payout.TransferRequest{To: e.payee.Address, Amount: usdt(t, int64(i+1))})
		require.NoError(t, err)
		ids = append(ids, st)
	}
	// Keep re-broadcasting the same bytes until every transfer is confirmed.
	for round := 0; round < 20; round++ {
		done := 0
		for _, st := range ids {
			s := e.status(t, st.TxID)
			if s.State == payout.TxConfirmed {
				done++
				continue
			}
			if s.State == payout.TxNotFound {
				_ = e.cl.Broadcast(e.ctx, st)
			}
		}
		if done == len(ids) {
			break
		}
		e.srv.ProduceBlock()
	}
	for _, st := range ids {
		assert.Equal(t, payout.TxConfirmed, e.status(t, st.TxID).State)
	}
	assert.Len(t, e.srv.Paid(), len(ids))
	assert.Equal(t, int64(55), e.srv.BalanceOf(e.payee.Address))
}

func TestTransferRejections(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	poor := newEnv(t, func(c *tron.Config) { c.PrivateKeyHex = trontest.NewAccount("poor").PrivateKeyHex })
	poorNoEstimate := newEnv(t, func(c *tron.Config) { c.PrivateKeyHex = trontest.NewAccount("poor").PrivateKeyHex }, trontest.WithoutEstimateEnergy())
	capped := newEnv(t, func(c *tron.Config) { c.MaxFeeLimit = 1_000_000 })
	lucid, err := payout.NewAmount(100, payout.LUCID)
	require.NoError(t, err)
	tests := []struct {
		name string
		e    *env
		req  payout.TransferRequest
	}{
		{"bad address", e, payout.TransferRequest{To: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", Amount: usdt(t, 1)}},
		{"lucid currency", e, payout.TransferRequest{To: e.payee.Address, Amount: lucid}},
		{"zero amount", e, payout.TransferRequest{To: e.payee.Address, Amount: payout.Zero(payout.USDT)}},
		{"to self", e, payout.TransferRequest{To: e.payer.Address, Amount: usdt(t, 1)}},
		{"insufficient balance", poor, payout.TransferRequest{To: e.payee.Address, Amount: usdt(t, 1)}},
		{"insufficient balance, dry-run fallback", poorNoEstimate, payout.TransferRequest{To: e.payee.Address, Amount: usdt(t, 1)}},
		{"fee above cap", capped, payout.TransferRequest{To: e.payee.Address, Amount: usdt(t, 1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.e.cl.Transfer(tc.e.ctx, tc.req)
			require.ErrorIs(t, err, payout.ErrTransferRejected)
		})
	}
}

func TestRevertWhenBalanceGoneAtExecution(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.transfer(t, 600_000_000)
	b := e.transfer(t, 600_000_000) // each fits alone, not both
	require.NoError(t, e.cl.Broadcast(e.ctx, a))
	require.NoError(t, e.cl.Broadcast(e.ctx, b))
	e.srv.ProduceBlocks(int(e.depth))
	assert.Equal(t, payout.TxConfirmed, e.status(t, a.TxID).State)
	s := e.status(t, b.TxID)
	assert.Equal(t, payout.TxFailed, s.State)
	assert.Contains(t, s.Reason, "REVERT")
	assert.Equal(t, int64(600_000_000), e.srv.BalanceOf(e.payee.Address))
}

func TestFeeLimitFromEstimate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mod  func(*tron.Config)
		opts []trontest.Option
		want int64
	}{
		{"default headroom", nil, nil, trontest.DefaultEnergyNewHolder * 100 * 150 / 100},
		{"custom price and headroom", func(c *tron.Config) { c.EnergyPrice = 210; c.HeadroomPercent = 10 }, nil, trontest.DefaultEnergyNewHolder * 210 * 110 / 100},
		{"capped", func(c *tron.Config) { c.MaxFeeLimit = 3_000_000 }, nil, 3_000_000},
		{"fallback without EstimateEnergy", nil, []trontest.Option{trontest.WithoutEstimateEnergy()}, trontest.DefaultEnergyNewHolder * 100 * 150 / 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.mod, tc.opts...)
			st := e.transfer(t, 10)
			var tx core.Transaction
			require.NoError(t, proto.Unmarshal(st.Raw, &tx))
			assert.Equal(t, tc.want, tx.GetRawData().GetFeeLimit())
			require.NoError(t, e.cl.Broadcast(e.ctx, st))
			e.srv.ProduceBlocks(int(e.depth))
			assert.Equal(t, payout.TxConfirmed, e.status(t, st.TxID).State)
		})
	}
}

func TestUnavailableNodeIsTransient(t *testing.T) {
	t.Parallel()
	// A port with nothing listening.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	acct := trontest.NewAccount("payer")
	cl, err := tron.NewClient(tron.Config{Endpoint: addr, Contract: trontest.MainnetUSDT, PrivateKeyHex: acct.PrivateKeyHex, Timeout: 300 * time.Millisecond})
	require.NoError(t, err)
	defer cl.Close()
	ctx := context.Background()
	_, err = cl.Status(ctx, strings.Repeat("ab", 32))
	require.ErrorIs(t, err, payout.ErrChainUnavailable)
	_, err = cl.Now(ctx)
	require.ErrorIs(t, err, payout.ErrChainUnavailable)
	_, err = cl.Balance(ctx, payout.USDT)
	require.ErrorIs(t, err, payout.ErrChainUnavailable)
	_, err = cl.Transfer(ctx, payout.TransferRequest{To: trontest.NewAccount("x").Address, Amount: usdt(t, 1)})
	require.ErrorIs(t, err, payout.ErrChainUnavailable)
}

func TestBroadcastRefusesCorruptStoredBytes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	st := e.transfer(t, 5)
	bad := st
	bad.TxID = strings.Repeat("0", 64)
	require.ErrorIs(t, e.cl.Broadcast(e.ctx, bad), payout.ErrTransferRejected)
	bad = st
	bad.Raw = append([]byte{0xff}, st.Raw...)
	require.ErrorIs(t, e.cl.Broadcast(e.ctx, bad), payout.ErrTransferRejected)
	assert.Empty(t, e.srv.Transactions())
}

// hostile wraps the simulator and builds transfers to another address than requested.
type hostile struct {
	*trontest.Server
	thief []byte
}

func (h *hostile) TriggerContract(ctx context.Context, ct *core.TriggerSmartContract) (*api.TransactionExtention, error) {
	d := bytes.Clone(ct.GetData())
	copy(d[16:36], h.thief[1:])
	ct = proto.Clone(ct).(*core.TriggerSmartContract)
	ct.Data = d
	return h.Server.TriggerContract(ctx, ct)
}

func TestRefusesToSignWhatItDidNotAskFor(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	thief := trontest.NewAccount("thief")
	thiefBytes, err := payout.DecodeTronAddress(thief.Address)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gs := grpc.NewServer()
	api.RegisterWalletServer(gs, &hostile{Server: e.srv, thief: thiefBytes})
	go func() { _ = gs.Serve(l) }()
	t.Cleanup(gs.Stop)

	cl, err := tron.NewClient(tron.Config{Endpoint: l.Addr().String(), Contract: e.srv.Contract(), PrivateKeyHex: e.payer.PrivateKeyHex})
	require.NoError(t, err)
	defer cl.Close()
	_, err = cl.Transfer(e.ctx, payout.TransferRequest{To: e.payee.Address, Amount: usdt(t, 1)})
	require.ErrorIs(t, err, payout.ErrTransferRejected)
	assert.Contains(t, err.Error(), "call data")
}

func TestConfig(t *testing.T) {
	t.Parallel()
	key := trontest.NewAccount("secret").PrivateKeyHex
	t.Run("presets", func(t *testing.T) {
		for _, n := range []tron.Network{tron.Mainnet, tron.Shasta, tron.Nile} {
			cl, err := tron.NewClient(tron.Config{Network: n, PrivateKeyHex: key})
			require.NoError(t, err, n)
			assert.Equal(t, tron.Presets[n].USDTContract, cl.Contract())
			assert.Equal(t, int64(tron.DefaultConfirmations), cl.Confirmations())
			_ = cl.Close()
		}
		assert.Equal(t, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", tron.Presets[tron.Mainnet].USDTContract)
		assert.Equal(t, "TG3XXyExBkPp9nzdajDZsozEu4BkaSJozs", tron.Presets[tron.Shasta].USDTContract)
	})
	t.Run("invalid", func(t *testing.T) {
		for name, cfg := range map[string]tron.Config{
			"no endpoint":     {Contract: trontest.MainnetUSDT, PrivateKeyHex: key},
			"no contract":     {Endpoint: "127.0.0.1:1", PrivateKeyHex: key},
			"unknown network": {Network: "moon", PrivateKeyHex: key},
			"short key":       {Network: tron.Mainnet, PrivateKeyHex: key[:60]},
			"non-hex key":     {Network: tron.Mainnet, PrivateKeyHex: strings.Repeat("zz", 32)},
			"zero key":        {Network: tron.Mainnet, PrivateKeyHex: strings.Repeat("00", 32)},
			"bad contract":    {Endpoint: "127.0.0.1:1", Contract: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", PrivateKeyHex: key},
			"fee cap":         {Network: tron.Mainnet, PrivateKeyHex: key, MaxFeeLimit: 20_000_000_000},
		} {
			_, err := tron.NewClient(cfg)
			require.Error(t, err, name)
			assert.NotContains(t, err.Error(), key, name)
		}
	})
	t.Run("key never printed", func(t *testing.T) {
		cfg := tron.Config{Network: tron.Mainnet, PrivateKeyHex: key, APIKey: "api-secret"}
		cl, err := tron.NewClient(cfg)
		require.NoError(t, err)
		defer cl.Close()
		var logs bytes.Buffer
		lg := slog.New(slog.NewJSONHandler(&logs, nil))
		lg.Info("cfg", "config", cfg, "client", cl)
		for _, s := range []string{
			fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%s", cfg), cfg.String(),
			fmt.Sprint(cl), fmt.Sprintf("%+v", cl), fmt.Sprintf("%#v", cl), fmt.Sprintf("%v", *cl), logs.String(),
			fmt.Sprintf("%v", []any{cfg, cl}),
		} {
			assert.NotContains(t, s, key)
			assert.NotContains(t, s, key[:16])
			assert.NotContains(t, s, "api-secret")
		}
		assert.Contains(t, cfg.String(), "<redacted>")
	})
}

func insecureCreds() credentials.TransportCredentials { return insecure.NewCredentials() }

func TestIdenticalRequestsGetDistinctTransactions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	memo := newEnv(t, func(c *tron.Config) { c.Memo = true })
	seen := map[string]bool{}
	for i := range 20 {
		for _, x := range []*env{e, memo} {
			st, err := x.cl.Transfer(x.ctx, payout.TransferRequest{PayoutID: fmt.Sprintf("payout_%d", i), To: x.payee.Address, Amount: usdt(t, 7)})
			require.NoError(t, err)
			require.False(t, seen[st.TxID], "tx id repeated")
			seen[st.TxID] = true
			require.NoError(t, x.cl.Broadcast(x.ctx, st))
		}
	}
	e.srv.ProduceBlocks(int(e.depth))
	memo.srv.ProduceBlocks(int(memo.depth))
	assert.Len(t, e.srv.Paid(), 20)
	assert.Equal(t, int64(140), e.srv.BalanceOf(e.payee.Address))
	assert.Len(t, memo.srv.Paid(), 20)

	st, err := memo.cl.Transfer(memo.ctx, payout.TransferRequest{PayoutID: "payout_memo", To: memo.payee.Address, Amount: usdt(t, 7)})
	require.NoError(t, err)
	var tx core.Transaction
	require.NoError(t, proto.Unmarshal(st.Raw, &tx))
	assert.Equal(t, "lucid:payout_memo", string(tx.GetRawData().GetData()))
}

func TestAPIKeySentOnEveryCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var mu sync.Mutex
	seen := map[string][]string{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gs := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		mu.Lock()
		seen[info.FullMethod] = md.Get("tron-pro-api-key")
		mu.Unlock()
		return h(ctx, req)
	}))
	api.RegisterWalletServer(gs, e.srv)
	go func() { _ = gs.Serve(l) }()
	t.Cleanup(gs.Stop)

	cl, err := tron.NewClient(tron.Config{Endpoint: l.Addr().String(), Contract: e.srv.Contract(), PrivateKeyHex: e.payer.PrivateKeyHex, APIKey: "k-123", Confirmations: 1})
	require.NoError(t, err)
	defer cl.Close()
	st, err := cl.Transfer(e.ctx, payout.TransferRequest{To: e.payee.Address, Amount: usdt(t, 1)})
	require.NoError(t, err)
	require.NoError(t, cl.Broadcast(e.ctx, st))
	e.srv.ProduceBlock()
	s, err := cl.Status(e.ctx, st.TxID)
	require.NoError(t, err)
	assert.Equal(t, payout.TxConfirmed, s.State)
	_, err = cl.Balance(e.ctx, payout.USDT)
	require.NoError(t, err)

	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(seen), 6)
	for m, v := range seen {
		assert.Equal(t, []string{"k-123"}, v, m)
	}
}
