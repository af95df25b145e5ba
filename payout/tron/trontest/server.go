// Package trontest runs an in-process TRON full node for tests, like net/http/httptest.
//
// NewServer listens on 127.0.0.1 and serves, over real gRPC, the part of the protocol.Wallet
// API that gotron-sdk's GrpcClient uses to build, estimate, broadcast and look up TRC-20
// transfers: TriggerContract, TriggerConstantContract, EstimateEnergy, BroadcastTransaction,
// GetTransactionById, GetTransactionInfoById, GetNowBlock(2) and GetBlockByNum(2). Everything
// else answers codes.Unimplemented.
//
// Behind it is one TRC-20 token contract with a ledger of balances, blocks produced on a timer
// or on demand, TaPoS and expiration checks, secp256k1 signature recovery, duplicate detection
// and fault injection (drop, delay, error, lost response, out of energy), so a payout client can
// be exercised with real signatures and real wire encoding, deterministically.
//
// Chain time is simulated: block n has timestamp Genesis + n*BlockTime whatever the wall
// clock says, so expiration (60 s of chain time by default, as on TRON) is reached after a
// fixed number of blocks. BlockTime defaults to 3 s in manual mode and to the block interval
// in timer mode, where chain time then follows the wall clock.
//
// For payout scenarios: InjectFault/InjectDelay/SetFaultRates/SetFaultHook/SetDown switch
// faults at runtime, ProduceBlock(s)/AdvanceTo drive the chain in manual mode, and
// Transactions, Paid, BalanceOf and Lister (a payout.TransferLister) show what was paid.
package trontest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/fbsobreira/gotron-sdk/pkg/address"
	"github.com/fbsobreira/gotron-sdk/pkg/proto/api"
	"github.com/fbsobreira/gotron-sdk/pkg/proto/core"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// MainnetUSDT is the base58 address of the USDT TRC-20 contract on TRON mainnet; the simulator
// uses it as its token contract unless WithContract says otherwise.
const MainnetUSDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"

// Defaults mirror TRON mainnet where it matters to a payout client.
const (
	// DefaultBlockTime is TRON's block time, used as the chain-time step per block.
	DefaultBlockTime = 3 * time.Second
	// DefaultExpiration is how far past the head block time a built transaction expires
	// (java-tron's default for transactions built by the node).
	DefaultExpiration = 60 * time.Second
	// MaxExpiration is the furthest a transaction may expire past the head block (24 h on TRON).
	MaxExpiration = 24 * time.Hour
	// DefaultEnergyExisting is the energy a USDT transfer to an address that already holds
	// tokens costs.
	DefaultEnergyExisting = 14_650
	// DefaultEnergyNewHolder is the energy a USDT transfer to an empty address costs.
	DefaultEnergyNewHolder = 29_650
	// DefaultEnergyPrice is the burn price of energy in sun.
	DefaultEnergyPrice = 100
	// MaxFeeLimit is TRON's upper bound of fee_limit (15,000 TRX in sun).
	MaxFeeLimit = 15_000_000_000
)

// Function selectors of the TRC-20 calls the simulator executes.
var (
	selTransfer  = []byte{0xa9, 0x05, 0x9c, 0xbb} // transfer(address,uint256)
	selBalanceOf = []byte{0x70, 0xa0, 0x82, 0x31} // balanceOf(address)
	selDecimals  = []byte{0x31, 0x3c, 0xe5, 0x67} // decimals()
)

// Fault is a misbehaviour injected into the handling of one broadcast.
type Fault int

// Faults the simulator can inject. A fault applies to a broadcast that passed every validity
// check; a transaction rejected as invalid or duplicate is never subject to a fault.
const (
	// FaultNone handles the broadcast normally.
	FaultNone Fault = iota
	// FaultDrop answers SUCCESS but forgets the transaction: it is never included, and a later
	// broadcast of the same bytes is accepted as new.
	FaultDrop
	// FaultError answers with a gRPC Unavailable error and does not accept the transaction.
	FaultError
	// FaultLoseResponse accepts the transaction (it will be included) but answers with a gRPC
	// Unavailable error, as if the response were lost on the way back.
	FaultLoseResponse
	// FaultDelay accepts the transaction but includes it only after FaultRates.DelayBlocks (or
	// the count given to InjectDelay) further blocks; it still expires on time.
	FaultDelay
	// FaultOutOfEnergy includes the transaction with result OUT_OF_ENERGY: the fee is burned
	// and no tokens move.
	FaultOutOfEnergy
)

// String names the fault.
func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case FaultDrop:
		return "drop"
	case FaultError:
		return "error"
	case FaultLoseResponse:
		return "lose_response"
	case FaultDelay:
		return "delay"
	case FaultOutOfEnergy:
		return "out_of_energy"
	}
	return fmt.Sprintf("fault(%d)", int(f))
}

// FaultRates draws a random fault for each valid broadcast from the server's seeded source. The
// rates are probabilities in [0,1]; their sum must not exceed 1.
type FaultRates struct {
	Drop, Error, LoseResponse, Delay, OutOfEnergy float64
	// DelayBlocks is how many extra blocks FaultDelay waits (default 3).
	DelayBlocks int
}

// TxState is what the simulator did with a transaction it accepted.
type TxState string

// Transaction states in Server.Transactions.
const (
	// TxPending is accepted and waiting in the pool.
	TxPending TxState = "pending"
	// TxIncluded is in a block (its Result says whether the transfer succeeded).
	TxIncluded TxState = "included"
	// TxExpired left the pool unincluded because its expiration passed.
	TxExpired TxState = "expired"
	// TxDropped was answered SUCCESS and forgotten (FaultDrop).
	TxDropped TxState = "dropped"
)

// Tx is the simulator's record of one accepted broadcast.
type Tx struct {
	// ID is the lowercase hex transaction id.
	ID string
	// From, To are base58 addresses; Amount is in token minor units.
	From, To string
	Amount   int64
	// FeeLimit is the raw fee_limit in sun.
	FeeLimit int64
	// Expiration is the transaction's expiration (chain time).
	Expiration time.Time
	// State is pending, included, expired or dropped.
	State TxState
	// Fault is the fault injected into its broadcast.
	Fault Fault
	// BroadcastCount counts broadcasts of these bytes, duplicates included.
	BroadcastCount int
	// Block is the including block number (0 if not included).
	Block int64
	// Result is the contract result when included: SUCCESS, REVERT or OUT_OF_ENERGY.
	Result string
	// EnergyUsed and Fee (sun) are the receipt's values when included.
	EnergyUsed, Fee int64
}

// Paid reports whether the transaction moved tokens: included with SUCCESS.
func (t Tx) Paid() bool { return t.State == TxIncluded && t.Result == "SUCCESS" }

type options struct {
	contract        string
	interval        time.Duration
	blockTime       time.Duration
	genesis         time.Time
	expiration      time.Duration
	seed            uint64
	energyExisting  int64
	energyNewHolder int64
	energyPrice     int64
	maxBlockTxs     int
	noEstimate      bool
	decimals        int64
}

// Option configures NewServer.
type Option func(*options)

// WithBlockInterval produces a block every d of wall time (d <= 0: manual mode, blocks only
// from ProduceBlock). The default is manual mode, which keeps unit tests deterministic.
func WithBlockInterval(d time.Duration) Option { return func(o *options) { o.interval = d } }

// WithBlockTime sets the chain-time step between blocks (default: the block interval in timer
// mode, 3 s in manual mode).
func WithBlockTime(d time.Duration) Option { return func(o *options) { o.blockTime = d } }

// WithGenesisTime sets the timestamp of block 0 (default: the wall clock at NewServer,
// truncated to the millisecond).
func WithGenesisTime(t time.Time) Option { return func(o *options) { o.genesis = t } }

// WithExpiration sets how far past the head block time TriggerContract sets expiration
// (default 60 s of chain time).
func WithExpiration(d time.Duration) Option { return func(o *options) { o.expiration = d } }

// WithContract sets the base58 address of the token contract (default MainnetUSDT).
func WithContract(base58 string) Option { return func(o *options) { o.contract = base58 } }

// WithSeed seeds the random fault source (default 1).
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = seed } }

// WithEnergy sets the energy of a transfer to an existing holder and to an empty address.
func WithEnergy(existing, newHolder int64) Option {
	return func(o *options) { o.energyExisting, o.energyNewHolder = existing, newHolder }
}

// WithEnergyPrice sets the sun burned per unit of energy (default 100).
func WithEnergyPrice(sun int64) Option { return func(o *options) { o.energyPrice = sun } }

// WithMaxBlockTxs caps the transactions per block (default 0: unlimited); the rest wait.
func WithMaxBlockTxs(n int) Option { return func(o *options) { o.maxBlockTxs = n } }

// WithoutEstimateEnergy makes EstimateEnergy answer Unimplemented, like nodes that have not
// enabled it, so clients fall back to TriggerConstantContract.
func WithoutEstimateEnergy() Option { return func(o *options) { o.noEstimate = true } }

// WithDecimals sets what decimals() answers (default 6, as USDT).
func WithDecimals(d int64) Option { return func(o *options) { o.decimals = d } }

type txEntry struct {
	id         [32]byte
	tx         *core.Transaction
	from, to   [21]byte
	amount     int64
	amountOK   bool // the uint256 amount fits in int64
	feeLimit   int64
	expiration int64 // ms
	includeAt  int64 // earliest block number
	seq        int64

	state      TxState
	fault      Fault
	broadcasts int
	block      int64
	blockTs    int64
	result     core.Transaction_ResultContractResult
	energyUsed int64
	fee        int64
}

type block struct {
	num int64
	id  [32]byte
	ts  int64 // ms
	txs []*txEntry
	// ext is the block as GetNowBlock2/GetBlockByNum2 answer it, built once when the block is
	// sealed (a block never changes afterwards): clients ask for the head on every receipt
	// lookup, and rebuilding a block of hundreds of transactions each time dominated the node.
	// It is shared between answers and must not be modified.
	ext *api.BlockExtention
}

// Server is an in-process TRON node. It is safe for concurrent use.
type Server struct {
	api.UnimplementedWalletServer

	opts     options
	contract [21]byte
	lis      net.Listener
	grpc     *grpc.Server
	stop     chan struct{}
	wg       sync.WaitGroup

	// mu guards the chain state. Lookups (head, receipts, balances) take it shared, so a
	// payout processor polling hundreds of transactions does not queue behind broadcasts and
	// block production; only changes take it exclusively.
	mu       sync.RWMutex
	rng      *rand.Rand
	blocks   []*block // index = number
	balances map[[21]byte]int64
	txs      map[[32]byte]*txEntry
	order    []*txEntry // accepted broadcasts in order
	pool     []*txEntry // pending, in acceptance order
	seq      int64
	queued   []queuedFault
	rates    FaultRates
	closed   bool
	lastTS   int64 // last timestamp given to a built transaction

	down atomic.Bool // every RPC answers Unavailable (node outage)
	hook atomic.Pointer[FaultHook]
}

// FaultHook decides the fault of one RPC by its method name ("BroadcastTransaction",
// "TriggerContract", "EstimateEnergy", "GetTransactionInfoById", "GetNowBlock2", …). For
// BroadcastTransaction a fault other than FaultNone replaces the queued or random one (a
// FaultDelay waits FaultRates.DelayBlocks, default 3); it applies only if the broadcast is
// valid. For any other method FaultLoseResponse runs the call and then fails it, and every
// other fault but FaultNone fails it with Unavailable without running it.
type FaultHook func(method string) Fault

type hookFaultKey struct{}

func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if s.down.Load() {
		return nil, status.Error(codes.Unavailable, "trontest: node is down")
	}
	hp := s.hook.Load()
	if hp == nil {
		return h(ctx, req)
	}
	method := info.FullMethod[strings.LastIndexByte(info.FullMethod, '/')+1:]
	f := (*hp)(method)
	switch {
	case f == FaultNone:
		return h(ctx, req)
	case method == "BroadcastTransaction":
		return h(context.WithValue(ctx, hookFaultKey{}, f), req)
	case f == FaultLoseResponse:
		if _, err := h(ctx, req); err != nil {
			return nil, err
		}
		return nil, status.Errorf(codes.Unavailable, "trontest: injected loss of the %s response", method)
	default:
		return nil, status.Errorf(codes.Unavailable, "trontest: injected %s failure", method)
	}
}

// SetFaultHook installs (or, with nil, removes) a per-RPC fault hook; see FaultHook.
func (s *Server) SetFaultHook(h FaultHook) {
	if h == nil {
		s.hook.Store(nil)
		return
	}
	s.hook.Store(&h)
}

type queuedFault struct {
	f      Fault
	blocks int
}

// NewServer starts a simulator on 127.0.0.1 with a random port.
func NewServer(opts ...Option) (*Server, error) {
	o := options{
		contract:        MainnetUSDT,
		expiration:      DefaultExpiration,
		seed:            1,
		energyExisting:  DefaultEnergyExisting,
		energyNewHolder: DefaultEnergyNewHolder,
		energyPrice:     DefaultEnergyPrice,
		decimals:        6,
	}
	for _, f := range opts {
		f(&o)
	}
	if o.blockTime == 0 {
		o.blockTime = DefaultBlockTime
		if o.interval > 0 {
			o.blockTime = o.interval
		}
	}
	if o.genesis.IsZero() {
		o.genesis = time.Now().Truncate(time.Millisecond)
	}
	if o.blockTime < time.Millisecond {
		return nil, errors.New("trontest: block time must be at least 1 ms")
	}
	c, err := decodeAddr(o.contract)
	if err != nil {
		return nil, fmt.Errorf("trontest: contract: %w", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("trontest: listen: %w", err)
	}
	s := &Server{
		opts:     o,
		contract: c,
		lis:      lis,
		grpc:     nil,
		stop:     make(chan struct{}),
		rng:      rand.New(rand.NewPCG(o.seed, o.seed^0x9e3779b97f4a7c15)),
		balances: make(map[[21]byte]int64),
		txs:      make(map[[32]byte]*txEntry),
	}
	s.grpc = grpc.NewServer(grpc.UnaryInterceptor(s.intercept))
	genesis := &block{num: 0, ts: o.genesis.UnixMilli()}
	genesis.id = blockID(0, sha256.Sum256([]byte("trontest genesis")))
	s.blocks = []*block{genesis}
	genesis.ext = s.blockExt(genesis)
	api.RegisterWalletServer(s.grpc, s)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.grpc.Serve(lis)
	}()
	if o.interval > 0 {
		s.wg.Add(1)
		go s.produceLoop(o.interval)
	}
	return s, nil
}

func (s *Server) produceLoop(d time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.ProduceBlock()
		}
	}
}

// Addr is the host:port the gRPC server listens on.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Close stops block production and the gRPC server. It is safe to call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	s.grpc.Stop()
	s.wg.Wait()
}

// Contract is the base58 address of the simulated token contract.
func (s *Server) Contract() string { return encodeAddr(s.contract) }

// BlockTime is the chain-time step between blocks.
func (s *Server) BlockTime() time.Duration { return s.opts.blockTime }

// Mint credits minor units of the token to a base58 address.
func (s *Server) Mint(addr string, minor int64) error {
	a, err := decodeAddr(addr)
	if err != nil {
		return err
	}
	if minor < 0 {
		return errors.New("trontest: negative mint")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.balances[a]
	if b > maxInt64-minor {
		return errors.New("trontest: balance overflow")
	}
	s.balances[a] = b + minor
	return nil
}

// BalanceOf is the token balance of a base58 address (0 for an invalid address).
func (s *Server) BalanceOf(addr string) int64 {
	a, err := decodeAddr(addr)
	if err != nil {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.balances[a]
}

// Head is the head block number and its timestamp.
func (s *Server) Head() (int64, time.Time) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := s.blocks[len(s.blocks)-1]
	return h.num, time.UnixMilli(h.ts).UTC()
}

// InjectFault queues fault f for the next n valid broadcasts (after any already queued).
func (s *Server) InjectFault(f Fault, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.queued = append(s.queued, queuedFault{f: f, blocks: 3})
	}
}

// InjectDelay queues a FaultDelay of the given number of blocks for the next valid broadcast.
func (s *Server) InjectDelay(blocks int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued = append(s.queued, queuedFault{f: FaultDelay, blocks: blocks})
}

// SetFaultRates sets the random faults drawn for valid broadcasts without a queued fault. The
// zero value turns random faults off.
func (s *Server) SetFaultRates(r FaultRates) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rates = r
}

// SetDown simulates a node outage: while down, every RPC (builds, broadcasts, lookups, head)
// answers codes.Unavailable. Blocks keep being produced in timer mode.
func (s *Server) SetDown(down bool) { s.down.Store(down) }

// ClearFaults removes queued faults and random rates.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued = nil
	s.rates = FaultRates{}
}

// ProduceBlock seals the next block now and returns its number. Pending transactions are
// included in acceptance order when due and unexpired; expired ones leave the pool.
func (s *Server) ProduceBlock() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.produceLocked()
}

// ProduceBlocks seals n blocks and returns the new head number.
func (s *Server) ProduceBlocks(n int) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var h int64
	for range n {
		h = s.produceLocked()
	}
	return h
}

// AdvanceTo seals blocks until the head block time is at or past t and returns the head.
func (s *Server) AdvanceTo(t time.Time) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.blocks[len(s.blocks)-1].ts < t.UnixMilli() {
		s.produceLocked()
	}
	return s.blocks[len(s.blocks)-1].num
}

func (s *Server) produceLocked() int64 {
	parent := s.blocks[len(s.blocks)-1]
	b := &block{num: parent.num + 1, ts: parent.ts + s.opts.blockTime.Milliseconds()}
	h := sha256.New()
	h.Write(parent.id[:])
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(b.num))
	binary.BigEndian.PutUint64(buf[8:], uint64(b.ts))
	h.Write(buf[:])
	keep := s.pool[:0]
	for _, e := range s.pool {
		switch {
		case e.expiration <= b.ts:
			// TRON never includes a transaction in a block at or past its expiration.
			e.state = TxExpired
		case e.includeAt > b.num || (s.opts.maxBlockTxs > 0 && len(b.txs) >= s.opts.maxBlockTxs):
			keep = append(keep, e)
		default:
			s.execute(e, b)
			b.txs = append(b.txs, e)
			h.Write(e.id[:])
		}
	}
	for i := len(keep); i < len(s.pool); i++ {
		s.pool[i] = nil
	}
	s.pool = keep
	var sum [32]byte
	h.Sum(sum[:0])
	b.id = blockID(b.num, sum)
	s.blocks = append(s.blocks, b)
	b.ext = s.blockExt(b)
	return b.num
}

// execute runs the TRC-20 transfer of e in block b.
func (s *Server) execute(e *txEntry, b *block) {
	e.state = TxIncluded
	e.block, e.blockTs = b.num, b.ts
	energy := s.energyFor(e.to)
	maxEnergy := e.feeLimit / s.opts.energyPrice
	switch {
	case e.fault == FaultOutOfEnergy || energy > maxEnergy:
		e.result = core.Transaction_Result_OUT_OF_ENERGY
		e.energyUsed = maxEnergy
	case !e.amountOK || s.balances[e.from] < e.amount || s.balances[e.to] > maxInt64-e.amount:
		e.result = core.Transaction_Result_REVERT
		e.energyUsed = energy / 2
	default:
		e.result = core.Transaction_Result_SUCCESS
		e.energyUsed = energy
		s.balances[e.from] -= e.amount
		s.balances[e.to] += e.amount
	}
	e.fee = e.energyUsed * s.opts.energyPrice
}

func (s *Server) energyFor(to [21]byte) int64 {
	if s.balances[to] > 0 {
		return s.opts.energyExisting
	}
	return s.opts.energyNewHolder
}

// Transactions lists every broadcast the node accepted (including dropped and expired ones),
// in acceptance order.
func (s *Server) Transactions() []Tx {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Tx, 0, len(s.order))
	for _, e := range s.order {
		out = append(out, e.public())
	}
	return out
}

// Transaction returns the record of one transaction id (lowercase hex).
func (s *Server) Transaction(txID string) (Tx, bool) {
	id, err := hex.DecodeString(txID)
	if err != nil || len(id) != 32 {
		return Tx{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, e := range s.order {
		if bytes.Equal(e.id[:], id) {
			return e.public(), true
		}
	}
	return Tx{}, false
}

// Paid lists the transactions that moved tokens (included with SUCCESS), ordered by block.
func (s *Server) Paid() []Tx {
	all := s.Transactions()
	out := all[:0]
	for _, t := range all {
		if t.Paid() {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Block < out[j].Block })
	return out
}

func (e *txEntry) public() Tx {
	t := Tx{
		ID:             hex.EncodeToString(e.id[:]),
		From:           encodeAddr(e.from),
		To:             encodeAddr(e.to),
		Amount:         e.amount,
		FeeLimit:       e.feeLimit,
		Expiration:     time.UnixMilli(e.expiration).UTC(),
		State:          e.state,
		Fault:          e.fault,
		BroadcastCount: e.broadcasts,
		Block:          e.block,
	}
	if e.state == TxIncluded {
		t.Result = e.result.String()
		t.EnergyUsed, t.Fee = e.energyUsed, e.fee
	}
	return t
}

// --- gRPC wallet API ---

// GetNowBlock answers the head block.
func (s *Server) GetNowBlock(context.Context, *api.EmptyMessage) (*core.Block, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := s.blocks[len(s.blocks)-1]
	return &core.Block{BlockHeader: s.header(b), Transactions: txList(b)}, nil
}

// GetNowBlock2 answers the head block with its id.
func (s *Server) GetNowBlock2(context.Context, *api.EmptyMessage) (*api.BlockExtention, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.blocks[len(s.blocks)-1].ext, nil
}

// GetBlockByNum answers a block by number (an empty block when unknown, as TRON does).
func (s *Server) GetBlockByNum(_ context.Context, m *api.NumberMessage) (*core.Block, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if m.GetNum() < 0 || m.GetNum() >= int64(len(s.blocks)) {
		return &core.Block{}, nil
	}
	b := s.blocks[m.GetNum()]
	return &core.Block{BlockHeader: s.header(b), Transactions: txList(b)}, nil
}

// GetBlockByNum2 answers a block by number with its id.
func (s *Server) GetBlockByNum2(_ context.Context, m *api.NumberMessage) (*api.BlockExtention, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if m.GetNum() < 0 || m.GetNum() >= int64(len(s.blocks)) {
		return &api.BlockExtention{}, nil
	}
	return s.blocks[m.GetNum()].ext, nil
}

func (s *Server) header(b *block) *core.BlockHeader {
	var parent []byte
	if b.num > 0 {
		p := s.blocks[b.num-1].id
		parent = p[:]
	}
	return &core.BlockHeader{RawData: &core.BlockHeaderRaw{
		Number: b.num, Timestamp: b.ts, ParentHash: parent, Version: 30,
		WitnessAddress: s.contract[:1], // a placeholder producer, only its 0x41 prefix
	}}
}

func (s *Server) blockExt(b *block) *api.BlockExtention {
	ext := &api.BlockExtention{BlockHeader: s.header(b), Blockid: append([]byte(nil), b.id[:]...)}
	for _, e := range b.txs {
		ext.Transactions = append(ext.Transactions, &api.TransactionExtention{
			Transaction: withRet(e), Txid: append([]byte(nil), e.id[:]...), Result: &api.Return{Result: true},
		})
	}
	return ext
}

func txList(b *block) []*core.Transaction {
	out := make([]*core.Transaction, 0, len(b.txs))
	for _, e := range b.txs {
		out = append(out, withRet(e))
	}
	return out
}

func withRet(e *txEntry) *core.Transaction {
	tx := proto.Clone(e.tx).(*core.Transaction)
	r := &core.Transaction_Result{ContractRet: e.result, Fee: e.fee}
	if e.result != core.Transaction_Result_SUCCESS {
		r.Ret = core.Transaction_Result_FAILED
	}
	tx.Ret = []*core.Transaction_Result{r}
	return tx
}

// call is a decoded TRC-20 call on the simulated contract.
type call struct {
	owner, to [21]byte
	amount    int64
	amountOK  bool
	sel       []byte
}

func (s *Server) decodeCall(ct *core.TriggerSmartContract) (call, error) {
	var c call
	if len(ct.GetContractAddress()) != 21 || !bytes.Equal(ct.GetContractAddress(), s.contract[:]) {
		return c, errors.New("no contract or not a smart contract")
	}
	if len(ct.GetOwnerAddress()) != 21 || ct.GetOwnerAddress()[0] != address.TronBytePrefix {
		return c, errors.New("invalid ownerAddress")
	}
	copy(c.owner[:], ct.GetOwnerAddress())
	if ct.GetCallValue() != 0 || ct.GetCallTokenValue() != 0 {
		return c, errors.New("REVERT opcode executed: non-payable function")
	}
	d := ct.GetData()
	if len(d) < 4 {
		return c, errors.New("REVERT opcode executed: no function selector")
	}
	c.sel = d[:4]
	switch {
	case bytes.Equal(c.sel, selTransfer):
		if len(d) != 4+64 {
			return c, errors.New("REVERT opcode executed: bad transfer arguments")
		}
		to, err := abiAddress(d[4:36])
		if err != nil {
			return c, err
		}
		c.to = to
		v := new(big.Int).SetBytes(d[36:68])
		c.amountOK = v.IsInt64()
		if c.amountOK {
			c.amount = v.Int64()
		}
	case bytes.Equal(c.sel, selBalanceOf):
		if len(d) != 4+32 {
			return c, errors.New("REVERT opcode executed: bad balanceOf arguments")
		}
		a, err := abiAddress(d[4:36])
		if err != nil {
			return c, err
		}
		c.to = a
	case bytes.Equal(c.sel, selDecimals):
		if len(d) != 4 {
			return c, errors.New("REVERT opcode executed: bad decimals arguments")
		}
	default:
		return c, errors.New("REVERT opcode executed: unknown function")
	}
	return c, nil
}

// abiAddress decodes a 32-byte ABI address word. The high 12 bytes must be zero, except that
// gotron-sdk's balanceOf encoding leaves the TRON 0x41 prefix in byte 11, which TRON's VM
// ignores as well.
func abiAddress(w []byte) ([21]byte, error) {
	var a [21]byte
	for i := 0; i < 11; i++ {
		if w[i] != 0 {
			return a, errors.New("REVERT opcode executed: bad address argument")
		}
	}
	if w[11] != 0 && w[11] != address.TronBytePrefix {
		return a, errors.New("REVERT opcode executed: bad address argument")
	}
	a[0] = address.TronBytePrefix
	copy(a[1:], w[12:])
	return a, nil
}

func word(v int64) []byte {
	var w [32]byte
	binary.BigEndian.PutUint64(w[24:], uint64(v))
	return w[:]
}

func failedExt(code api.ReturnResponseCode, msg string) *api.TransactionExtention {
	return &api.TransactionExtention{Result: &api.Return{Result: false, Code: code, Message: []byte(msg)}}
}

// TriggerContract builds an unsigned transaction for a transfer call, referencing the head
// block and expiring DefaultExpiration (chain time) after it.
func (s *Server) TriggerContract(_ context.Context, ct *core.TriggerSmartContract) (*api.TransactionExtention, error) {
	c, err := s.decodeCall(ct)
	if err != nil {
		return failedExt(api.Return_CONTRACT_VALIDATE_ERROR, err.Error()), nil
	}
	if !bytes.Equal(c.sel, selTransfer) {
		return failedExt(api.Return_CONTRACT_VALIDATE_ERROR, "only transfer is executed by TriggerContract here"), nil
	}
	param, err := anyOf(ct)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	s.mu.Lock()
	head := s.blocks[len(s.blocks)-1]
	energy := s.energyFor(c.to)
	// Like java-tron's millisecond clock, but never repeating: chain time of the head block,
	// nudged forward so two builds never share a timestamp.
	ts := max(head.ts, s.lastTS+1)
	s.lastTS = ts
	s.mu.Unlock()
	raw := &core.TransactionRaw{
		RefBlockBytes: append([]byte(nil), refBytes(head.num)...),
		RefBlockHash:  append([]byte(nil), head.id[8:16]...),
		Expiration:    head.ts + s.opts.expiration.Milliseconds(),
		Timestamp:     ts,
		Contract: []*core.Transaction_Contract{{
			Type:      core.Transaction_Contract_TriggerSmartContract,
			Parameter: param,
		}},
	}
	rawBytes, err := proto.Marshal(raw)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	id := sha256.Sum256(rawBytes)
	return &api.TransactionExtention{
		Transaction: &core.Transaction{RawData: raw},
		Txid:        id[:],
		Result:      &api.Return{Result: true, Code: api.Return_SUCCESS},
		EnergyUsed:  energy,
	}, nil
}

// TriggerConstantContract executes balanceOf, decimals or a dry run of transfer.
func (s *Server) TriggerConstantContract(_ context.Context, ct *core.TriggerSmartContract) (*api.TransactionExtention, error) {
	c, err := s.decodeCall(ct)
	if err != nil {
		return failedExt(api.Return_CONTRACT_VALIDATE_ERROR, err.Error()), nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ext := &api.TransactionExtention{Result: &api.Return{Result: true, Code: api.Return_SUCCESS}}
	switch {
	case bytes.Equal(c.sel, selBalanceOf):
		ext.ConstantResult = [][]byte{word(s.balances[c.to])}
		ext.EnergyUsed = 500
	case bytes.Equal(c.sel, selDecimals):
		ext.ConstantResult = [][]byte{word(s.opts.decimals)}
		ext.EnergyUsed = 200
	default: // transfer dry run
		ext.EnergyUsed = s.energyFor(c.to)
		if !c.amountOK || s.balances[c.owner] < c.amount {
			ext.Result = &api.Return{Result: false, Code: api.Return_CONTRACT_EXE_ERROR, Message: []byte("REVERT opcode executed")}
		} else {
			ext.ConstantResult = [][]byte{word(1)}
		}
	}
	return ext, nil
}

// EstimateEnergy estimates a transfer's energy: more for a recipient that holds nothing yet.
func (s *Server) EstimateEnergy(_ context.Context, ct *core.TriggerSmartContract) (*api.EstimateEnergyMessage, error) {
	if s.opts.noEstimate {
		return nil, status.Error(codes.Unimplemented, "this node does not support estimate energy")
	}
	c, err := s.decodeCall(ct)
	if err != nil {
		return &api.EstimateEnergyMessage{Result: &api.Return{Result: false, Code: api.Return_CONTRACT_VALIDATE_ERROR, Message: []byte(err.Error())}}, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if bytes.Equal(c.sel, selTransfer) && (!c.amountOK || s.balances[c.owner] < c.amount) {
		return &api.EstimateEnergyMessage{Result: &api.Return{Result: false, Code: api.Return_CONTRACT_EXE_ERROR, Message: []byte("REVERT opcode executed")}}, nil
	}
	return &api.EstimateEnergyMessage{Result: &api.Return{Result: true}, EnergyRequired: s.energyFor(c.to)}, nil
}

func bcast(code api.ReturnResponseCode, msg string) *api.Return {
	return &api.Return{Result: false, Code: code, Message: []byte(msg)}
}

// BroadcastTransaction validates and pools a signed transfer. Checks follow java-tron's order:
// duplicate (by tx id), signature, TaPoS reference, expiration, contract.
func (s *Server) BroadcastTransaction(ctx context.Context, tx *core.Transaction) (*api.Return, error) {
	raw := tx.GetRawData()
	if raw == nil {
		return bcast(api.Return_OTHER_ERROR, "transaction has no raw_data"), nil
	}
	rawBytes, err := proto.Marshal(raw)
	if err != nil {
		return bcast(api.Return_OTHER_ERROR, err.Error()), nil
	}
	id := sha256.Sum256(rawBytes)
	// The checks that need no chain state (above all the signature recovery, the costliest
	// step) run before taking the lock, so concurrent broadcasts verify in parallel; their
	// verdict is given after the duplicate check, in java-tron's order.
	ct, refused := validateSigned(tx, raw, id)
	pooled := proto.Clone(tx).(*core.Transaction)
	pooled.Ret = nil

	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.txs[id]; ok {
		e.broadcasts++
		return bcast(api.Return_DUP_TRANSACTION_ERROR, "Dup transaction."), nil
	}
	if refused != nil {
		return refused, nil
	}
	head := s.blocks[len(s.blocks)-1]
	if !s.taposOK(raw, head) {
		return bcast(api.Return_TAPOS_ERROR, "Tapos check error"), nil
	}
	if raw.GetExpiration() <= head.ts {
		return bcast(api.Return_TRANSACTION_EXPIRATION_ERROR, "Transaction expired"), nil
	}
	if raw.GetExpiration() > head.ts+MaxExpiration.Milliseconds() {
		return bcast(api.Return_TRANSACTION_EXPIRATION_ERROR, "Transaction expiration time is more than 24 hours past head block time"), nil
	}
	if raw.GetFeeLimit() < 0 || raw.GetFeeLimit() > MaxFeeLimit {
		return bcast(api.Return_CONTRACT_VALIDATE_ERROR, "feeLimit must be >= 0 and <= 15000000000"), nil
	}
	c, err := s.decodeCall(ct)
	if err != nil || !bytes.Equal(c.sel, selTransfer) {
		msg := "only transfer(address,uint256) is accepted"
		if err != nil {
			msg = err.Error()
		}
		return bcast(api.Return_CONTRACT_VALIDATE_ERROR, msg), nil
	}

	var fault Fault
	var delay int
	if hf, ok := ctx.Value(hookFaultKey{}).(Fault); ok && hf != FaultNone {
		fault, delay = hf, s.rates.DelayBlocks
		if delay <= 0 {
			delay = 3
		}
	} else {
		fault, delay = s.drawFault()
	}
	e := &txEntry{
		id: id, tx: pooled,
		from: c.owner, to: c.to, amount: c.amount, amountOK: c.amountOK,
		feeLimit: raw.GetFeeLimit(), expiration: raw.GetExpiration(),
		includeAt: head.num + 1, seq: s.seq, state: TxPending, fault: fault, broadcasts: 1,
	}
	s.seq++
	switch fault {
	case FaultError:
		return nil, status.Error(codes.Unavailable, "trontest: injected broadcast failure")
	case FaultDrop:
		e.state = TxDropped
		s.order = append(s.order, e)
		return &api.Return{Result: true, Code: api.Return_SUCCESS}, nil
	case FaultDelay:
		e.includeAt += int64(delay)
	}
	s.txs[id] = e
	s.order = append(s.order, e)
	s.pool = append(s.pool, e)
	if fault == FaultLoseResponse {
		return nil, status.Error(codes.Unavailable, "trontest: injected loss of the broadcast response")
	}
	return &api.Return{Result: true, Code: api.Return_SUCCESS}, nil
}

// validateSigned checks a transaction's shape and that its one signature is the owner's. It
// returns the decoded contract call, or the refusal to answer.
func validateSigned(tx *core.Transaction, raw *core.TransactionRaw, id [32]byte) (*core.TriggerSmartContract, *api.Return) {
	if len(raw.GetContract()) != 1 || raw.GetContract()[0].GetType() != core.Transaction_Contract_TriggerSmartContract {
		return nil, bcast(api.Return_CONTRACT_VALIDATE_ERROR, "contract size should be exactly 1, a TriggerSmartContract")
	}
	ct := new(core.TriggerSmartContract)
	if err := raw.GetContract()[0].GetParameter().UnmarshalTo(ct); err != nil {
		return nil, bcast(api.Return_CONTRACT_VALIDATE_ERROR, "bad TriggerSmartContract parameter")
	}
	if len(tx.GetSignature()) != 1 {
		return nil, bcast(api.Return_SIGERROR, "expected exactly one signature")
	}
	signer, err := recoverSigner(id[:], tx.GetSignature()[0])
	if err != nil {
		return nil, bcast(api.Return_SIGERROR, "Validate signature error: "+err.Error())
	}
	if !bytes.Equal(signer[:], ct.GetOwnerAddress()) {
		return nil, bcast(api.Return_SIGERROR, "Validate signature error: "+encodeAddr(signer)+" is signed by another key than the owner's")
	}
	return ct, nil
}

func (s *Server) drawFault() (Fault, int) {
	if len(s.queued) > 0 {
		q := s.queued[0]
		s.queued = s.queued[1:]
		return q.f, q.blocks
	}
	r := s.rates
	if r == (FaultRates{}) {
		return FaultNone, 0
	}
	delay := r.DelayBlocks
	if delay <= 0 {
		delay = 3
	}
	x := s.rng.Float64()
	for _, c := range []struct {
		p float64
		f Fault
	}{{r.Drop, FaultDrop}, {r.Error, FaultError}, {r.LoseResponse, FaultLoseResponse}, {r.Delay, FaultDelay}, {r.OutOfEnergy, FaultOutOfEnergy}} {
		if x < c.p {
			return c.f, delay
		}
		x -= c.p
	}
	return FaultNone, 0
}

// taposOK checks that the transaction references a block among the last 65536 by the low two
// bytes of its number and bytes 8..16 of its id, as TRON does.
func (s *Server) taposOK(raw *core.TransactionRaw, head *block) bool {
	rb := raw.GetRefBlockBytes()
	if len(rb) != 2 || len(raw.GetRefBlockHash()) != 8 {
		return false
	}
	low := int64(binary.BigEndian.Uint16(rb))
	n := head.num - ((head.num - low) & 0xffff)
	if n < 0 {
		return false
	}
	return bytes.Equal(s.blocks[n].id[8:16], raw.GetRefBlockHash())
}

// GetTransactionById answers an included transaction with its result, or an empty message.
func (s *Server) GetTransactionById(_ context.Context, m *api.BytesMessage) (*core.Transaction, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.lookupIncluded(m.GetValue())
	if e == nil {
		return &core.Transaction{}, nil
	}
	return withRet(e), nil
}

// GetTransactionInfoById answers the receipt of an included transaction, or an empty message.
func (s *Server) GetTransactionInfoById(_ context.Context, m *api.BytesMessage) (*core.TransactionInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.lookupIncluded(m.GetValue())
	if e == nil {
		return &core.TransactionInfo{}, nil
	}
	info := &core.TransactionInfo{
		Id:              append([]byte(nil), e.id[:]...),
		Fee:             e.fee,
		BlockNumber:     e.block,
		BlockTimeStamp:  e.blockTs,
		ContractAddress: append([]byte(nil), s.contract[:]...),
		Receipt: &core.ResourceReceipt{
			EnergyUsageTotal: e.energyUsed, EnergyFee: e.fee, Result: e.result,
		},
	}
	if e.result == core.Transaction_Result_SUCCESS {
		info.ContractResult = [][]byte{word(1)}
		info.Log = []*core.TransactionInfo_Log{transferLog(s.contract, e)}
	} else {
		info.Result = core.TransactionInfo_FAILED
		info.ContractResult = [][]byte{{}}
		info.ResMessage = []byte(e.result.String())
	}
	return info, nil
}

var transferTopic, _ = hex.DecodeString("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")

func transferLog(contract [21]byte, e *txEntry) *core.TransactionInfo_Log {
	topicAddr := func(a [21]byte) []byte {
		w := make([]byte, 32)
		copy(w[12:], a[1:])
		return w
	}
	return &core.TransactionInfo_Log{
		Address: append([]byte(nil), contract[1:]...),
		Topics:  [][]byte{transferTopic, topicAddr(e.from), topicAddr(e.to)},
		Data:    word(e.amount),
	}
}

// lookupIncluded finds an included transaction; the caller holds mu (shared is enough).
func (s *Server) lookupIncluded(id []byte) *txEntry {
	if len(id) != 32 {
		return nil
	}
	var k [32]byte
	copy(k[:], id)
	e := s.txs[k]
	if e == nil || e.state != TxIncluded {
		return nil
	}
	return e
}

// --- helpers ---

const maxInt64 = int64(^uint64(0) >> 1)

func refBytes(num int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(num))
	return b[6:8]
}

// blockID is TRON's block id: the block number in the first 8 bytes, a hash in the rest.
func blockID(num int64, h [32]byte) [32]byte {
	binary.BigEndian.PutUint64(h[:8], uint64(num))
	return h
}

// recoverSigner recovers the TRON address that produced a 65-byte r||s||v signature of hash.
func recoverSigner(hash, sig []byte) ([21]byte, error) {
	var a [21]byte
	if len(sig) != 65 {
		return a, fmt.Errorf("signature is %d bytes, want 65", len(sig))
	}
	norm := append([]byte(nil), sig...)
	if norm[64] >= 27 {
		norm[64] -= 27
	}
	pub, err := crypto.SigToPub(hash, norm)
	if err != nil {
		return a, err
	}
	copy(a[:], address.PubkeyToAddress(*pub))
	return a, nil
}

func decodeAddr(s string) ([21]byte, error) {
	var a [21]byte
	b, err := address.Base58ToAddress(s)
	if err != nil {
		return a, fmt.Errorf("trontest: invalid address %q: %w", s, err)
	}
	if len(b) != 21 || b[0] != address.TronBytePrefix {
		return a, fmt.Errorf("trontest: invalid address %q", s)
	}
	copy(a[:], b)
	return a, nil
}

func encodeAddr(a [21]byte) string { return address.Address(a[:]).String() }
