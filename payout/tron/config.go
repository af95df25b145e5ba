// Package tron implements payout.ChainClient for USDT (TRC-20) on TRON through gotron-sdk's
// gRPC client.
//
// The node builds the unsigned TriggerSmartContract transaction (reference block, expiration);
// the client checks that what the node built is exactly the transfer it asked for, sets the fee
// limit from an energy estimate plus headroom (capped), and signs locally: the transaction id
// is sha256 of the serialized raw_data and the signature is 65 bytes r||s||v over it. Transfer
// never broadcasts; Broadcast sends the stored bytes unchanged, so a retry can only ever
// re-submit the same transaction, never create a second one.
//
// Confirmations: Status counts the including block as the first confirmation and reports
// confirmed once head-block+1 >= Config.Confirmations. The default, 19, is TRON's
// solidification depth (a block is irreversible once more than 2/3 of the 27 super
// representatives have built on it), so a confirmed payout cannot be undone by a fork.
//
// Errors: transport failures and busy/unavailable nodes wrap payout.ErrChainUnavailable (retry
// later with the same inputs); refusals that the same bytes can never overcome (bad signature,
// expired, invalid contract call, insufficient token balance, fee cap too low) wrap
// payout.ErrTransferRejected.
package tron

import (
	"fmt"
	"log/slog"
	"time"
)

// Network names a TRON network preset.
type Network string

// Network presets.
const (
	// Mainnet is TRON mainnet.
	Mainnet Network = "mainnet"
	// Shasta is the Shasta testnet.
	Shasta Network = "shasta"
	// Nile is the Nile testnet.
	Nile Network = "nile"
)

// Preset is what a network preset fills in.
type Preset struct {
	// Endpoint is the public TronGrid gRPC endpoint (host:port, plaintext).
	Endpoint string
	// USDTContract is the base58 address of the USDT TRC-20 contract.
	USDTContract string
}

// Presets maps each network to its public endpoint and USDT contract. The Nile contract is the
// one gotron-sdk v0.25.1 uses for USDT in its Nile integration tests; verify it (Client.Verify
// checks decimals) or set Config.Contract explicitly before relying on it.
var Presets = map[Network]Preset{
	Mainnet: {Endpoint: "grpc.trongrid.io:50051", USDTContract: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"},
	Shasta:  {Endpoint: "grpc.shasta.trongrid.io:50051", USDTContract: "TG3XXyExBkPp9nzdajDZsozEu4BkaSJozs"},
	Nile:    {Endpoint: "grpc.nile.trongrid.io:50051", USDTContract: "TXLAQ63Xg1NAzckPwKHvzw7CSEmLMEqcdj"},
}

// Defaults for zero Config fields.
const (
	// DefaultConfirmations is TRON's solidification depth.
	DefaultConfirmations = 19
	// DefaultEnergyPrice is the mainnet burn price of one energy unit in sun.
	DefaultEnergyPrice = 100
	// DefaultHeadroomPercent is added on top of the energy estimate; the fee limit only caps
	// what may be burned, the actual fee is what the call uses.
	DefaultHeadroomPercent = 50
	// DefaultMaxFeeLimit caps the fee limit at 50 TRX (in sun).
	DefaultMaxFeeLimit = 50_000_000
	// DefaultTimeout bounds each RPC.
	DefaultTimeout = 10 * time.Second
)

// Config configures a Client. Endpoint and Contract override the Network preset; with no
// Network, both are required.
type Config struct {
	// Network selects a preset (mainnet, shasta, nile); empty means explicit settings.
	Network Network
	// Endpoint is the node's gRPC address, host:port.
	Endpoint string
	// Contract is the base58 address of the TRC-20 USDT contract.
	Contract string
	// PrivateKeyHex is the payer's secp256k1 private key, 64 hex digits (0x prefix allowed).
	// It never appears in String, %v, %+v, %#v or slog output.
	PrivateKeyHex string
	// APIKey is sent as TRON-PRO-API-KEY when set (TronGrid). Redacted like the key.
	APIKey string
	// TLS dials with TLS (system roots) instead of plaintext.
	TLS bool
	// Confirmations is the depth at which a transaction counts as confirmed (default 19).
	Confirmations int64
	// EnergyPrice is the sun burned per energy unit, used to turn the estimate into a fee
	// limit (default 100).
	EnergyPrice int64
	// HeadroomPercent is added to the estimated fee (default 50).
	HeadroomPercent int64
	// MaxFeeLimit caps the fee limit in sun (default 50 TRX). A transfer whose estimate is
	// above it is rejected rather than sent to run out of energy.
	MaxFeeLimit int64
	// Timeout bounds each RPC (default 10 s); the caller's context can only shorten it.
	Timeout time.Duration
	// Memo, when set, writes "lucid:<PayoutID>" into the transaction's data (memo) field so
	// the chain itself names the payout. TRON charges a memo fee (1 TRX on mainnet) for it.
	Memo bool
	// Logger receives debug records of chain calls (never secrets); nil discards them.
	Logger *slog.Logger
}

func (c Config) redacted() string {
	key := "<unset>"
	if c.PrivateKeyHex != "" {
		key = "<redacted>"
	}
	api := "<unset>"
	if c.APIKey != "" {
		api = "<redacted>"
	}
	return fmt.Sprintf("tron.Config{Network:%q Endpoint:%q Contract:%q PrivateKeyHex:%s APIKey:%s TLS:%t Confirmations:%d EnergyPrice:%d HeadroomPercent:%d MaxFeeLimit:%d Timeout:%s Memo:%t}",
		c.Network, c.Endpoint, c.Contract, key, api, c.TLS, c.Confirmations, c.EnergyPrice, c.HeadroomPercent, c.MaxFeeLimit, c.Timeout, c.Memo)
}

// String describes the configuration with secrets redacted.
func (c Config) String() string { return c.redacted() }

// GoString is String, so %#v cannot print the key either.
func (c Config) GoString() string { return c.redacted() }

// Format makes every fmt verb use the redacted form.
func (c Config) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.redacted())) }

// LogValue keeps secrets out of slog records.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.redacted()) }

// resolve applies the preset and defaults and checks the result.
func (c Config) resolve() (Config, error) {
	if c.Network != "" {
		p, ok := Presets[c.Network]
		if !ok {
			return c, fmt.Errorf("tron: unknown network %q (want mainnet, shasta or nile)", c.Network)
		}
		if c.Endpoint == "" {
			c.Endpoint = p.Endpoint
		}
		if c.Contract == "" {
			c.Contract = p.USDTContract
		}
	}
	if c.Endpoint == "" {
		return c, fmt.Errorf("tron: endpoint is required without a network preset")
	}
	if c.Contract == "" {
		return c, fmt.Errorf("tron: contract is required without a network preset")
	}
	if c.Confirmations == 0 {
		c.Confirmations = DefaultConfirmations
	}
	if c.EnergyPrice == 0 {
		c.EnergyPrice = DefaultEnergyPrice
	}
	if c.HeadroomPercent == 0 {
		c.HeadroomPercent = DefaultHeadroomPercent
	}
	if c.MaxFeeLimit == 0 {
		c.MaxFeeLimit = DefaultMaxFeeLimit
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}

	switch {
	case c.Confirmations < 1:
		return c, fmt.Errorf("tron: confirmations must be at least 1")
	case c.EnergyPrice < 1:
		return c, fmt.Errorf("tron: energy price must be positive")
	case c.HeadroomPercent < 0 || c.HeadroomPercent > 1000:
		return c, fmt.Errorf("tron: headroom percent must be within 0..1000")
	case c.MaxFeeLimit < 1 || c.MaxFeeLimit > 15_000_000_000:
		return c, fmt.Errorf("tron: max fee limit must be within 1..15000000000 sun")
	case c.Timeout < 0:
		return c, fmt.Errorf("tron: timeout must not be negative")
	}
	return c, nil
}
