package payouttest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hamigames/lucid-node-management/payout"
)

// Op names a chain operation for fault injection.
type Op string

// Chain operations a fault can hit.
const (
	OpTransfer  Op = "transfer"
	OpBroadcast Op = "broadcast"
	OpStatus    Op = "status"
	OpNow       Op = "now"
)

// Fault is what happens to one chain call.
type Fault string

// Faults. Not every fault applies to every op; an inapplicable one behaves like FaultError.
const (
	// FaultNone lets the call through.
	FaultNone Fault = ""
	// FaultError fails the call with ErrChainUnavailable without doing anything.
	FaultError Fault = "error"
	// FaultDropBroadcast answers success to a broadcast but never pools the transaction.
	FaultDropBroadcast Fault = "drop_broadcast"
	// FaultDelayInclusion pools a broadcast transaction but includes it only after extra blocks.
	FaultDelayInclusion Fault = "delay_inclusion"
	// FaultLoseResponse performs the call (the transaction is pooled and will be included) and
	// then fails it with ErrChainUnavailable, as if the answer was lost.
	FaultLoseResponse Fault = "lose_response"
)

// FaultFunc decides the fault for the n-th call (from 1) of op.
type FaultFunc func(op Op, n int) Fault

// FakeChain is an in-memory payout.ChainClient with a TRC-20-like ledger: blocks at a fixed
// interval that Mine produces, a pool, transaction expiration, duplicate detection,
// confirmations and fault injection. Transactions are content-addressed JSON so Raw can be
// rebroadcast byte for byte.
type FakeChain struct {
	mu sync.Mutex
	// BlockInterval is the chain time between blocks (default 3s).
	BlockInterval time.Duration
	// Expiry is how long after signing a transaction stays includable (default 30s).
	Expiry time.Duration
	// Depth is the confirmation depth of TxConfirmed (default 3).
	Depth int64
	// DelayBlocks is the extra delay of FaultDelayInclusion (default 3).
	DelayBlocks int64

	head    int64
	headAt  time.Time
	nonce   int64
	pool    map[string]pooled
	blocks  map[string]included
	balance map[payout.Currency]int64
	paid    []payout.ChainTransfer
	faults  FaultFunc
	calls   map[Op]int
}

type fakeTx struct {
	Payout string `json:"payout"`
	To     string `json:"to"`
	Minor  int64  `json:"minor"`
	Cur    string `json:"cur"`
	Nonce  int64  `json:"nonce"`
	Exp    int64  `json:"exp"`
}

type pooled struct {
	tx        fakeTx
	includeAt int64
}

type included struct {
	block   int64
	success bool
	reason  string
}

// NewFakeChain returns a chain at block 1 at genesis time, funded with the given balances.
func NewFakeChain(genesis time.Time, balances map[payout.Currency]int64) *FakeChain {
	c := &FakeChain{
		BlockInterval: 3 * time.Second, Expiry: 30 * time.Second, Depth: 3, DelayBlocks: 3,
		head: 1, headAt: genesis.UTC(), pool: map[string]pooled{}, blocks: map[string]included{},
		balance: map[payout.Currency]int64{}, calls: map[Op]int{},
	}
	for k, v := range balances {
		c.balance[k] = v
	}
	return c
}

var _ payout.ChainClient = (*FakeChain)(nil)
var _ payout.TransferLister = (*FakeChain)(nil)

// SetFaults installs (or with nil removes) the fault hook.
func (c *FakeChain) SetFaults(f FaultFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = f
}

func (c *FakeChain) fault(op Op) Fault {
	c.calls[op]++
	if c.faults == nil {
		return FaultNone
	}
	return c.faults(op, c.calls[op])
}

func unavailable(op Op) error { return fmt.Errorf("fake chain %s: %w", op, payout.ErrChainUnavailable) }

func txID(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}

// Transfer implements payout.ChainClient.
func (c *FakeChain) Transfer(_ context.Context, req payout.TransferRequest) (payout.SignedTransfer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.fault(OpTransfer); f != FaultNone {
		return payout.SignedTransfer{}, unavailable(OpTransfer)
	}
	if err := payout.ValidateAddress(req.Amount.Currency(), req.To); err != nil {
		return payout.SignedTransfer{}, fmt.Errorf("%w: %v", payout.ErrTransferRejected, err)
	}
	c.nonce++
	exp := c.headAt.Add(c.Expiry)
	tx := fakeTx{Payout: req.PayoutID, To: req.To, Minor: req.Amount.Minor(), Cur: string(req.Amount.Currency()), Nonce: c.nonce, Exp: exp.UnixNano()}
	raw, _ := json.Marshal(tx)
	return payout.SignedTransfer{TxID: txID(raw), Raw: raw, Expiration: exp}, nil
}

// Broadcast implements payout.ChainClient.
func (c *FakeChain) Broadcast(_ context.Context, st payout.SignedTransfer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.fault(OpBroadcast)
	if f == FaultError {
		return unavailable(OpBroadcast)
	}
	var tx fakeTx
	if err := json.Unmarshal(st.Raw, &tx); err != nil || txID(st.Raw) != st.TxID {
		return fmt.Errorf("%w: malformed transaction", payout.ErrTransferRejected)
	}
	id := st.TxID
	if _, ok := c.blocks[id]; ok {
		return nil // already included: duplicate, not an error
	}
	if _, ok := c.pool[id]; ok {
		return nil
	}
	if c.headAt.After(time.Unix(0, tx.Exp)) {
		return fmt.Errorf("%w: transaction expired", payout.ErrTransferRejected)
	}
	switch f {
	case FaultDropBroadcast:
		return nil
	case FaultDelayInclusion:
		c.pool[id] = pooled{tx: tx, includeAt: c.head + 1 + c.DelayBlocks}
		return nil
	case FaultLoseResponse:
		c.pool[id] = pooled{tx: tx, includeAt: c.head + 1}
		return unavailable(OpBroadcast)
	}
	c.pool[id] = pooled{tx: tx, includeAt: c.head + 1}
	return nil
}

// Status implements payout.ChainClient.
func (c *FakeChain) Status(_ context.Context, id string) (payout.TxStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.fault(OpStatus); f != FaultNone {
		return payout.TxStatus{}, unavailable(OpStatus)
	}
	return c.statusLocked(id), nil
}

func (c *FakeChain) statusLocked(id string) payout.TxStatus {
	if in, ok := c.blocks[id]; ok {
		conf := c.head - in.block + 1
		switch {
		case !in.success:
			return payout.TxStatus{State: payout.TxFailed, BlockNumber: in.block, Confirmations: conf, Reason: in.reason}
		case conf >= c.Depth:
			return payout.TxStatus{State: payout.TxConfirmed, BlockNumber: in.block, Confirmations: conf}
		}
		return payout.TxStatus{State: payout.TxIncluded, BlockNumber: in.block, Confirmations: conf}
	}
	if _, ok := c.pool[id]; ok {
		return payout.TxStatus{State: payout.TxPending}
	}
	return payout.TxStatus{State: payout.TxNotFound}
}

// Now implements payout.ChainClient.
func (c *FakeChain) Now(context.Context) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.fault(OpNow); f != FaultNone {
		return time.Time{}, unavailable(OpNow)
	}
	return c.headAt, nil
}

// Balance implements payout.ChainClient.
func (c *FakeChain) Balance(_ context.Context, cur payout.Currency) (payout.Amount, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return payout.NewAmount(c.balance[cur], cur)
}

// Mine produces one block: it includes every pooled transaction that is due and not expired
// (in id order), executing the transfer against the balance, and drops expired ones.
func (c *FakeChain) Mine() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.head++
	c.headAt = c.headAt.Add(c.BlockInterval)
	ids := make([]string, 0, len(c.pool))
	for id := range c.pool {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := c.pool[id]
		if c.headAt.After(time.Unix(0, p.tx.Exp)) {
			delete(c.pool, id)
			continue
		}
		if p.includeAt > c.head {
			continue
		}
		delete(c.pool, id)
		cur := payout.Currency(p.tx.Cur)
		in := included{block: c.head, success: true}
		if c.balance[cur] < p.tx.Minor {
			in.success, in.reason = false, "insufficient balance"
		} else {
			c.balance[cur] -= p.tx.Minor
		}
		c.blocks[id] = in
		amt, _ := payout.NewAmount(p.tx.Minor, cur)
		c.paid = append(c.paid, payout.ChainTransfer{TxID: id, To: p.tx.To, Amount: amt, BlockNumber: c.head, Success: in.success})
	}
}

// ListTransfers implements payout.TransferLister.
func (c *FakeChain) ListTransfers(context.Context) ([]payout.ChainTransfer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]payout.ChainTransfer(nil), c.paid...), nil
}

// PoolSize returns how many transactions wait in the pool.
func (c *FakeChain) PoolSize() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pool)
}
