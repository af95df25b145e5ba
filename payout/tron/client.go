package tron

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/fbsobreira/gotron-sdk/pkg/address"
	"github.com/fbsobreira/gotron-sdk/pkg/client"
	"github.com/fbsobreira/gotron-sdk/pkg/proto/api"
	"github.com/fbsobreira/gotron-sdk/pkg/proto/core"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/hamigames/lucid-node-management/payout"
)

// transferSelector is the selector of transfer(address,uint256).
var transferSelector = []byte{0xa9, 0x05, 0x9c, 0xbb}

// maxExpirationAhead bounds how far past its own timestamp a node-built transaction may
// expire (TRON refuses more than 24 h past the head block).
const maxExpirationAhead = 24 * time.Hour

// Client is a payout.ChainClient paying USDT from one TRON account. It is safe for
// concurrent use.
type Client struct {
	cfg         Config
	gc          *client.GrpcClient
	key         *ecdsa.PrivateKey
	from        address.Address
	fromB58     string
	contract    address.Address
	contractB58 string
	log         *slog.Logger

	ts   *stamper    // behind a pointer so Client's value methods copy no lock
	head *headSource // likewise
	// apiKey is sent as TRON-PRO-API-KEY; Format/String never print it.
	apiKey string
}

// stamper hands out strictly increasing transaction timestamps.
type stamper struct {
	mu   sync.Mutex
	last int64 // ms
}

var _ payout.ChainClient = (*Client)(nil)

// NewClient parses the configuration and key and prepares a gRPC connection to the node
// (connections are made lazily, so NewClient does no I/O). Close releases it.
func NewClient(cfg Config) (*Client, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	key, err := parseKey(cfg.PrivateKeyHex)
	if err != nil {
		return nil, err
	}
	contract, err := decodeAddress(cfg.Contract)
	if err != nil {
		return nil, fmt.Errorf("tron: contract: %w", err)
	}
	c := &Client{
		cfg:         cfg,
		key:         key,
		from:        address.PubkeyToAddress(key.PublicKey),
		contract:    contract,
		contractB58: contract.String(),
		log:         cfg.Logger,
		ts:          new(stamper),
		head:        new(headSource),
	}
	c.fromB58 = c.from.String()
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c.gc = client.NewGrpcClientWithTimeout(cfg.Endpoint, cfg.Timeout)
	if cfg.APIKey != "" {
		_ = c.gc.SetAPIKey(cfg.APIKey)
	}
	c.apiKey = cfg.APIKey
	// Keep no secret text in the stored config.
	c.cfg.PrivateKeyHex, c.cfg.APIKey = "", ""
	creds := insecure.NewCredentials()
	if cfg.TLS {
		creds = credentials.NewClientTLSFromCert(nil, "")
	}
	if err := c.gc.Start(grpc.WithTransportCredentials(creds)); err != nil {
		return nil, fmt.Errorf("tron: %w", err)
	}
	return c, nil
}

func parseKey(h string) (*ecdsa.PrivateKey, error) {
	h = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(h), "0x"), "0X")
	if len(h) != 64 {
		return nil, errors.New("tron: private key must be 64 hex digits")
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, errors.New("tron: private key is not hex")
	}
	k, err := crypto.ToECDSA(b)
	if err != nil {
		// The cause may quote the key material; do not wrap it.
		return nil, errors.New("tron: private key is not a valid secp256k1 scalar")
	}
	return k, nil
}

func decodeAddress(s string) (address.Address, error) {
	if err := payout.ValidateTronAddress(s); err != nil {
		return nil, err
	}
	a, err := address.Base58ToAddress(s)
	if err != nil {
		return nil, err
	}
	if len(a) != address.AddressLength || a[0] != address.TronBytePrefix {
		return nil, fmt.Errorf("not a TRON address: %q", s)
	}
	return a, nil
}

// Close releases the connection to the node.
func (c *Client) Close() error {
	c.gc.Stop()
	return nil
}

// Address is the payer's base58 address, derived from the key.
func (c *Client) Address() string { return c.fromB58 }

// Contract is the base58 address of the USDT contract in use.
func (c *Client) Contract() string { return c.contractB58 }

// Confirmations is the configured confirmation depth.
func (c *Client) Confirmations() int64 { return c.cfg.Confirmations }

// String describes the client without secrets.
func (c Client) String() string {
	return fmt.Sprintf("tron.Client{endpoint:%s contract:%s payer:%s confirmations:%d}",
		c.cfg.Endpoint, c.contractB58, c.fromB58, c.cfg.Confirmations)
}

// GoString is String.
func (c Client) GoString() string { return c.String() }

// Format makes every fmt verb use String, so %+v cannot reach the key.
func (c Client) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// LogValue keeps the key out of slog records.
func (c Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

func (c *Client) rpcCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.apiKey != "" {
		// gotron-sdk adds it in its own wrappers; calls made on its generated stub need it too.
		ctx = metadata.AppendToOutgoingContext(ctx, "TRON-PRO-API-KEY", c.apiKey)
	}
	return context.WithTimeout(ctx, c.cfg.Timeout)
}

// transient wraps a transport failure as payout.ErrChainUnavailable.
func transient(op string, err error) error {
	return fmt.Errorf("tron %s: %w: %w", op, payout.ErrChainUnavailable, err)
}

// rejected wraps a permanent refusal as payout.ErrTransferRejected.
func rejected(op string, format string, args ...any) error {
	return fmt.Errorf("tron %s: %w: %s", op, payout.ErrTransferRejected, fmt.Sprintf(format, args...))
}

// classify turns an error from gotron-sdk into transient (gRPC status, context) or rejected
// (the node answered with a refusal in its Return message).
func classify(op string, err error) error {
	if _, ok := status.FromError(err); ok || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return transient(op, err)
	}
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return transient(op, err)
	}
	return rejected(op, "%v", err)
}

// Transfer builds and signs a USDT transfer; it does not broadcast.
func (c *Client) Transfer(ctx context.Context, req payout.TransferRequest) (payout.SignedTransfer, error) {
	var zero payout.SignedTransfer
	if req.Amount.Currency() != payout.USDT {
		return zero, rejected("transfer", "currency %q is not paid on TRON (only USDT)", req.Amount.Currency())
	}
	if req.Amount.Minor() <= 0 {
		return zero, rejected("transfer", "amount must be positive")
	}
	to, err := decodeAddress(req.To)
	if err != nil {
		return zero, rejected("transfer", "destination: %v", err)
	}
	if bytes.Equal(to, c.from) {
		return zero, rejected("transfer", "destination is the payer itself")
	}
	amount := big.NewInt(req.Amount.Minor())
	call := &core.TriggerSmartContract{OwnerAddress: c.from, ContractAddress: c.contract, Data: transferData(to, amount)}

	energy, err := c.estimate(ctx, call)
	if err != nil {
		return zero, err
	}
	feeLimit, err := c.feeLimit(energy)
	if err != nil {
		return zero, err
	}

	// The node builds the transaction (reference block, expiration); the fee limit is ours.
	rctx, cancel := c.rpcCtx(ctx)
	ext, err := c.gc.Client.TriggerContract(rctx, call)
	cancel()
	if err != nil {
		return zero, transient("transfer", err)
	}
	if err := returnError("transfer", ext.GetResult()); err != nil {
		return zero, err
	}
	tx := ext.GetTransaction()
	if tx.GetRawData() == nil {
		return zero, transient("transfer", errors.New("node built no transaction"))
	}
	tx.RawData.FeeLimit = feeLimit
	if err := c.checkBuilt(tx, to, amount, feeLimit); err != nil {
		return zero, err
	}
	c.makeUnique(tx.GetRawData(), req.PayoutID)
	return c.sign(tx)
}

// returnError classifies a node's Return message. Only refusals that are about this transfer
// itself (the contract call does not validate, or it would revert, e.g. for lack of token
// balance) are permanent; a busy, unsynced or otherwise unhappy node is worth a retry.
func returnError(op string, r *api.Return) error {
	if r == nil || (r.GetResult() && r.GetCode() == api.Return_SUCCESS) {
		return nil
	}
	switch r.GetCode() {
	case api.Return_SUCCESS:
		if r.GetResult() || len(r.GetMessage()) == 0 {
			return nil // an empty Return, as nodes send for calls that succeeded
		}
		return transient(op, fmt.Errorf("node refused without a code: %s", r.GetMessage()))
	case api.Return_CONTRACT_VALIDATE_ERROR, api.Return_CONTRACT_EXE_ERROR:
		return rejected(op, "%s: %s", r.GetCode(), r.GetMessage())
	default:
		return transient(op, fmt.Errorf("%s: %s", r.GetCode(), r.GetMessage()))
	}
}

// estimate asks the node for the transfer's energy, falling back to a constant-call dry run on
// nodes that do not implement EstimateEnergy or have it disabled.
func (c *Client) estimate(ctx context.Context, call *core.TriggerSmartContract) (int64, error) {
	rctx, cancel := c.rpcCtx(ctx)
	defer cancel()
	est, err := c.gc.Client.EstimateEnergy(rctx, call)
	if err == nil {
		r := est.GetResult()
		if rerr := returnError("estimate energy", r); rerr == nil {
			return est.GetEnergyRequired(), nil
		} else if r.GetCode() == api.Return_CONTRACT_EXE_ERROR {
			return 0, rerr // it would revert
		}
		// Disabled on this node ("this node does not support estimate energy") or refused:
		// the dry run below decides.
	} else if s, ok := status.FromError(err); !ok || s.Code() != codes.Unimplemented {
		return 0, transient("estimate energy", err)
	}
	ext, err := c.gc.Client.TriggerConstantContract(rctx, call)
	if err != nil {
		return 0, transient("estimate energy", err)
	}
	if err := returnError("estimate energy", ext.GetResult()); err != nil {
		return 0, err
	}
	if ret := ext.GetTransaction().GetRet(); len(ret) > 0 {
		if cr := ret[0].GetContractRet(); cr != core.Transaction_Result_SUCCESS && cr != core.Transaction_Result_DEFAULT {
			return 0, rejected("estimate energy", "dry run: %s", cr)
		}
	}
	return ext.GetEnergyUsed() + ext.GetEnergyPenalty(), nil
}

// feeLimit is the estimate priced in sun plus headroom, refused when above the cap: a lower
// limit would only burn a fee and fail with OUT_OF_ENERGY.
func (c *Client) feeLimit(energy int64) (int64, error) {
	if energy <= 0 {
		return 0, rejected("transfer", "node estimated %d energy", energy)
	}
	cost := new(big.Int).Mul(big.NewInt(energy), big.NewInt(c.cfg.EnergyPrice))
	if cost.Cmp(big.NewInt(c.cfg.MaxFeeLimit)) > 0 {
		return 0, rejected("transfer", "estimated fee %s sun exceeds the fee limit cap %d", cost, c.cfg.MaxFeeLimit)
	}
	limit := new(big.Int).Mul(cost, big.NewInt(100+c.cfg.HeadroomPercent))
	limit.Quo(limit, big.NewInt(100))
	if limit.Cmp(big.NewInt(c.cfg.MaxFeeLimit)) > 0 {
		return c.cfg.MaxFeeLimit, nil
	}
	return limit.Int64(), nil
}

// transferData is the ABI call data of transfer(to, amount).
func transferData(to address.Address, amount *big.Int) []byte {
	d := make([]byte, 4+64)
	copy(d, transferSelector)
	copy(d[4+12:36], to[1:])
	amount.FillBytes(d[36:68])
	return d
}

// checkBuilt verifies that the node built exactly the requested transfer before it is signed:
// a wrong or hostile node must not get a signature over anything else.
func (c *Client) checkBuilt(tx *core.Transaction, to address.Address, amount *big.Int, feeLimit int64) error {
	raw := tx.GetRawData()
	if raw == nil || len(raw.GetContract()) != 1 {
		return rejected("transfer", "node built a transaction without exactly one contract")
	}
	ctr := raw.GetContract()[0]
	if ctr.GetType() != core.Transaction_Contract_TriggerSmartContract {
		return rejected("transfer", "node built a %s, not a TriggerSmartContract", ctr.GetType())
	}
	ct := new(core.TriggerSmartContract)
	if err := ctr.GetParameter().UnmarshalTo(ct); err != nil {
		return rejected("transfer", "node built an unreadable contract call: %v", err)
	}
	switch {
	case !bytes.Equal(ct.GetOwnerAddress(), c.from):
		return rejected("transfer", "node built a call from another owner")
	case !bytes.Equal(ct.GetContractAddress(), c.contract):
		return rejected("transfer", "node built a call to another contract")
	case ct.GetCallValue() != 0 || ct.GetCallTokenValue() != 0 || ct.GetTokenId() != 0:
		return rejected("transfer", "node built a call that carries value")
	case !bytes.Equal(ct.GetData(), transferData(to, amount)):
		return rejected("transfer", "node built call data other than transfer(to, amount)")
	case raw.GetFeeLimit() != feeLimit:
		return rejected("transfer", "fee limit %d differs from the requested %d", raw.GetFeeLimit(), feeLimit)
	case raw.GetExpiration() <= raw.GetTimestamp() || raw.GetExpiration()-raw.GetTimestamp() > maxExpirationAhead.Milliseconds():
		return rejected("transfer", "node built an implausible expiration")
	case len(tx.GetSignature()) != 0:
		return rejected("transfer", "node returned an already signed transaction")
	}
	return nil
}

// makeUnique gives every transaction this client builds its own id. The node fills
// raw_data.timestamp from its clock (a simulator or a busy node gives equal values within a
// millisecond), so two payouts of the same amount to the same address could otherwise produce
// byte-identical transactions: one would be a duplicate of the other and a single on-chain
// transfer would appear to pay both. The timestamp is raised strictly above the last one this
// client used; the optional memo names the payout on chain, which also separates payouts across
// processes. Stores should still keep tx ids unique per payout.
func (c *Client) makeUnique(raw *core.TransactionRaw, payoutID string) {
	c.ts.mu.Lock()
	ts := max(raw.GetTimestamp(), c.ts.last+1)
	c.ts.last = ts
	c.ts.mu.Unlock()
	raw.Timestamp = ts
	if c.cfg.Memo && payoutID != "" {
		raw.Data = []byte("lucid:" + payoutID)
	}
}

// sign signs tx locally: id = sha256(raw_data bytes), signature = r||s||v (65 bytes).
func (c *Client) sign(tx *core.Transaction) (payout.SignedTransfer, error) {
	rawBytes, err := proto.Marshal(tx.GetRawData())
	if err != nil {
		return payout.SignedTransfer{}, fmt.Errorf("tron sign: %w", err)
	}
	id := sha256.Sum256(rawBytes)
	sig, err := crypto.Sign(id[:], c.key)
	if err != nil {
		return payout.SignedTransfer{}, fmt.Errorf("tron sign: %w", err)
	}
	signed := &core.Transaction{RawData: tx.GetRawData(), Signature: [][]byte{sig}}
	b, err := proto.Marshal(signed)
	if err != nil {
		return payout.SignedTransfer{}, fmt.Errorf("tron sign: %w", err)
	}
	return payout.SignedTransfer{
		TxID:       hex.EncodeToString(id[:]),
		Raw:        b,
		Expiration: time.UnixMilli(tx.GetRawData().GetExpiration()).UTC(),
	}, nil
}

// decodeSigned parses stored bytes and checks they hash to the stored id.
func decodeSigned(st payout.SignedTransfer) (*core.Transaction, error) {
	tx := new(core.Transaction)
	if err := proto.Unmarshal(st.Raw, tx); err != nil {
		return nil, rejected("broadcast", "stored transaction does not parse: %v", err)
	}
	rawBytes, err := proto.Marshal(tx.GetRawData())
	if err != nil {
		return nil, rejected("broadcast", "stored transaction does not serialize: %v", err)
	}
	id := sha256.Sum256(rawBytes)
	if hex.EncodeToString(id[:]) != strings.ToLower(st.TxID) {
		return nil, rejected("broadcast", "stored transaction hashes to %x, not %s", id, st.TxID)
	}
	return tx, nil
}

// Broadcast submits the stored signed bytes. A transaction the node already knows (DUP) or
// that is already on chain is success.
func (c *Client) Broadcast(ctx context.Context, st payout.SignedTransfer) error {
	tx, err := decodeSigned(st)
	if err != nil {
		return err
	}
	rctx, cancel := c.rpcCtx(ctx)
	res, err := c.gc.BroadcastCtx(rctx, tx)
	cancel()
	if err == nil {
		c.log.DebugContext(ctx, "tron broadcast", "tx_id", st.TxID)
		return nil
	}
	if res == nil {
		return transient("broadcast", err)
	}
	msg := string(res.GetMessage())
	switch res.GetCode() {
	case api.Return_SUCCESS:
		// result=false with code SUCCESS: treat as an unexplained refusal worth a retry.
		return transient("broadcast", err)
	case api.Return_DUP_TRANSACTION_ERROR:
		c.log.DebugContext(ctx, "tron broadcast: already known", "tx_id", st.TxID)
		return nil
	case api.Return_SERVER_BUSY, api.Return_NO_CONNECTION, api.Return_NOT_ENOUGH_EFFECTIVE_CONNECTION,
		api.Return_BLOCK_UNSOLIDIFIED, api.Return_BANDWITH_ERROR, api.Return_OTHER_ERROR:
		// The same bytes may succeed later (busy node, or the payer lacks bandwidth/TRX now).
		return transient("broadcast", fmt.Errorf("%s: %s", res.GetCode(), msg))
	case api.Return_TRANSACTION_EXPIRATION_ERROR:
		// Expired for this node, but it may have been included before: that is success.
		s, serr := c.Status(ctx, st.TxID)
		if serr != nil {
			return serr
		}
		if s.State != payout.TxNotFound {
			return nil
		}
		return rejected("broadcast", "%s: %s", res.GetCode(), msg)
	default:
		return rejected("broadcast", "%s: %s", res.GetCode(), msg)
	}
}

// Status reports the chain's view of txID, counting confirmations against the configured
// depth: a successful transfer is included below the depth and confirmed at it. A failed
// receipt (REVERT, OUT_OF_ENERGY …) is reported as failed from the first block, with its
// confirmations, so a caller can wait for the depth before treating it as final.
func (c *Client) Status(ctx context.Context, txID string) (payout.TxStatus, error) {
	id, err := hex.DecodeString(txID)
	if err != nil || len(id) != sha256.Size {
		return payout.TxStatus{}, rejected("status", "transaction id must be 64 hex digits")
	}
	rctx, cancel := c.rpcCtx(ctx)
	defer cancel()
	info, err := c.gc.Client.GetTransactionInfoById(rctx, client.GetMessageBytes(id))
	if err != nil {
		return payout.TxStatus{}, transient("status", err)
	}
	if !bytes.Equal(info.GetId(), id) || info.GetBlockNumber() <= 0 {
		tx, err := c.gc.Client.GetTransactionById(rctx, client.GetMessageBytes(id))
		if err != nil {
			return payout.TxStatus{}, transient("status", err)
		}
		if proto.Size(tx) > 0 {
			// Known to the node, but no receipt yet.
			return payout.TxStatus{State: payout.TxPending}, nil
		}
		return payout.TxStatus{State: payout.TxNotFound}, nil
	}
	head, err := c.head.get(rctx, c.gc.GetNowBlockCtx)
	if err != nil {
		return payout.TxStatus{}, transient("status", err)
	}
	st := payout.TxStatus{BlockNumber: info.GetBlockNumber(), Confirmations: head.num - info.GetBlockNumber() + 1}
	if st.Confirmations < 1 {
		// The node that answered the head is behind the one that answered the receipt.
		st.Confirmations = 1
	}
	final := st.Confirmations >= c.cfg.Confirmations
	result := info.GetReceipt().GetResult()
	ok := info.GetResult() == core.TransactionInfo_SUCESS &&
		(result == core.Transaction_Result_SUCCESS || result == core.Transaction_Result_DEFAULT)
	switch {
	case ok && final:
		st.State = payout.TxConfirmed
	case ok:
		st.State = payout.TxIncluded
	default:
		// Failed is reported at once with its confirmation count, never as included: included
		// means the transfer succeeded. Whether a failure is final (a fork could re-execute
		// it) is for the caller to judge by Confirmations.
		st.State = payout.TxFailed
		st.Reason = result.String()
		if m := info.GetResMessage(); len(m) > 0 && string(m) != st.Reason {
			st.Reason += ": " + string(m)
		}
	}
	return st, nil
}

// Now is the head block's timestamp.
func (c *Client) Now(ctx context.Context) (time.Time, error) {
	rctx, cancel := c.rpcCtx(ctx)
	defer cancel()
	head, err := c.head.get(rctx, c.gc.GetNowBlockCtx)
	if err != nil {
		return time.Time{}, transient("now", err)
	}
	return time.UnixMilli(head.ts).UTC(), nil
}

// Head is the head block's number and timestamp. The payout processor uses the number to
// skip status checks of transactions that cannot have reached the confirmation depth yet.
func (c *Client) Head(ctx context.Context) (int64, time.Time, error) {
	rctx, cancel := c.rpcCtx(ctx)
	defer cancel()
	head, err := c.head.get(rctx, c.gc.GetNowBlockCtx)
	if err != nil {
		return 0, time.Time{}, transient("head", err)
	}
	return head.num, time.UnixMilli(head.ts).UTC(), nil
}

// Balance is the payer's USDT balance.
func (c *Client) Balance(ctx context.Context, cur payout.Currency) (payout.Amount, error) {
	if cur != payout.USDT {
		return payout.Amount{}, rejected("balance", "currency %q is not held on TRON (only USDT)", cur)
	}
	rctx, cancel := c.rpcCtx(ctx)
	defer cancel()
	b, err := c.gc.TRC20ContractBalanceCtx(rctx, c.fromB58, c.contractB58)
	if err != nil {
		return payout.Amount{}, classify("balance", err)
	}
	if !b.IsInt64() {
		return payout.Amount{}, fmt.Errorf("tron balance: %s minor units does not fit in int64", b)
	}
	return payout.NewAmount(b.Int64(), payout.USDT)
}

// Verify checks that the contract answers decimals() with the currency's decimals, so a wrong
// contract address is caught before any payout is sent.
func (c *Client) Verify(ctx context.Context) error {
	rctx, cancel := c.rpcCtx(ctx)
	defer cancel()
	d, err := c.gc.TRC20GetDecimalsCtx(rctx, c.contractB58)
	if err != nil {
		return classify("verify", err)
	}
	if !d.IsInt64() || d.Int64() != int64(payout.USDT.Decimals()) {
		return fmt.Errorf("tron verify: contract %s has %s decimals, USDT has %d", c.contractB58, d, payout.USDT.Decimals())
	}
	return nil
}
