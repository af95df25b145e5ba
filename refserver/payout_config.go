package refserver

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hamigames/lucid-node-management/payout/tron"
)

// PayoutConfig are the payout and chain settings. Config.Chain selects the chain: "sim" runs the
// in-process TRON simulator (payout/tron/trontest) with a treasury account kept in DataDir, and
// pays through the real TRON client against it; anything else is a TRON node's gRPC endpoint
// (host:port), paid from TRON_PRIVATE_KEY.
type PayoutConfig struct {
	// TronNetwork is a preset (mainnet, shasta, nile) giving the USDT contract (TRON_NETWORK).
	TronNetwork string
	// TronContract overrides the preset's USDT TRC-20 contract (TRON_CONTRACT).
	TronContract string
	// TronPrivateKey is the payer's secp256k1 key in hex (TRON_PRIVATE_KEY); never logged or
	// printed as a flag default.
	TronPrivateKey string
	// TronAPIKey is sent as TRON-PRO-API-KEY (TRON_API_KEY); never logged.
	TronAPIKey string
	// TronTLS dials the endpoint with TLS (TRON_TLS).
	TronTLS bool
	// TronConfirmations is the confirmation depth (TRON_CONFIRMATIONS, 19 = solidified).
	TronConfirmations int64
	// TronFeeLimitMax caps the fee limit in sun (TRON_FEE_LIMIT_MAX, 50 TRX).
	TronFeeLimitMax int64
	// SimBlockInterval is the simulator's block interval (SIM_BLOCK_INTERVAL, 3 s as on TRON).
	SimBlockInterval time.Duration
	// PollInterval is the pause between processor passes (PAYOUT_POLL_INTERVAL, 1 s).
	PollInterval time.Duration
	// ScheduleTick is how often the epoch scheduler looks at the schedule (PAYOUT_SCHEDULE_TICK, 10 s).
	ScheduleTick time.Duration
	// MinPootScore is the PoOT score (0–100) a node needs to share an epoch (PAYOUT_MIN_POOT_SCORE, 70).
	MinPootScore float64
	// AllowInsecureWebhook permits http:// notification URLs (PAYOUT_ALLOW_HTTP_WEBHOOK; development only).
	AllowInsecureWebhook bool
	// Blocklist are refused wallet addresses, comma-separated (PAYOUT_ADDRESS_BLOCKLIST).
	Blocklist []string
}

// defaultPayoutConfig is the zero-configuration payout setup: the simulator at TRON's pace.
func defaultPayoutConfig() PayoutConfig {
	return PayoutConfig{
		TronConfirmations: tron.DefaultConfirmations,
		TronFeeLimitMax:   tron.DefaultMaxFeeLimit,
		SimBlockInterval:  3 * time.Second,
		PollInterval:      time.Second,
		ScheduleTick:      10 * time.Second,
		MinPootScore:      70,
	}
}

// payoutSettings are the payout knobs' variables and flags.
func (c *Config) payoutSettings() []setting {
	p := &c.Payout
	return []setting{
		{"TRON_NETWORK", "tron-network", "TRON preset: mainnet, shasta or nile (with -chain HOST:PORT)", (*stringValue)(&p.TronNetwork)},
		{"TRON_CONTRACT", "tron-contract", "USDT TRC-20 contract (base58), overrides the preset", (*stringValue)(&p.TronContract)},
		{"TRON_PRIVATE_KEY", "tron-private-key", "payer private key, 64 hex digits (required with a TRON endpoint)", (*secretValue)(&p.TronPrivateKey)},
		{"TRON_API_KEY", "tron-api-key", "TronGrid API key", (*secretValue)(&p.TronAPIKey)},
		{"TRON_TLS", "tron-tls", "dial the TRON endpoint with TLS (true/false)", (*boolValue)(&p.TronTLS)},
		{"TRON_CONFIRMATIONS", "tron-confirmations", "confirmation depth before a payout completes", (*int64Value)(&p.TronConfirmations)},
		{"TRON_FEE_LIMIT_MAX", "tron-fee-limit-max", "fee limit cap in sun", (*int64Value)(&p.TronFeeLimitMax)},
		{"SIM_BLOCK_INTERVAL", "sim-block-interval", "block interval of the simulated chain (-chain sim)", durationValue{&p.SimBlockInterval}},
		{"PAYOUT_POLL_INTERVAL", "payout-poll-interval", "pause between payout processor passes", durationValue{&p.PollInterval}},
		{"PAYOUT_SCHEDULE_TICK", "payout-schedule-tick", "how often the epoch schedule is checked", durationValue{&p.ScheduleTick}},
		{"PAYOUT_MIN_POOT_SCORE", "payout-min-poot-score", "PoOT score (0–100) a node needs to share an epoch", (*floatValue)(&p.MinPootScore)},
		{"PAYOUT_ALLOW_HTTP_WEBHOOK", "payout-allow-http-webhook", "accept http:// notification URLs (development)", (*boolValue)(&p.AllowInsecureWebhook)},
		{"PAYOUT_ADDRESS_BLOCKLIST", "payout-blocklist", "comma-separated wallet addresses refused for payouts", listValue{&p.Blocklist}},
	}
}

// validatePayout checks the payout settings together with Config.Chain.
func (c Config) validatePayout() []error {
	var errs []error
	p := c.Payout
	if c.Chain == "" {
		errs = append(errs, errors.New("CHAIN must be sim or a TRON gRPC endpoint host:port"))
	}
	if c.Chain != "" && c.Chain != "sim" {
		if p.TronPrivateKey == "" {
			errs = append(errs, errors.New("TRON_PRIVATE_KEY is required with a TRON endpoint"))
		}
		if p.TronNetwork == "" && p.TronContract == "" {
			errs = append(errs, errors.New("TRON_NETWORK or TRON_CONTRACT is required with a TRON endpoint"))
		}
		if p.TronNetwork != "" {
			if _, ok := tron.Presets[tron.Network(p.TronNetwork)]; !ok {
				errs = append(errs, fmt.Errorf("TRON_NETWORK must be mainnet, shasta or nile, got %q", p.TronNetwork))
			}
		}
	}
	if p.TronConfirmations < 1 || p.TronConfirmations > 1000 {
		errs = append(errs, fmt.Errorf("TRON_CONFIRMATIONS must be 1–1000, got %d", p.TronConfirmations))
	}
	if p.TronFeeLimitMax < 1 {
		errs = append(errs, fmt.Errorf("TRON_FEE_LIMIT_MAX must be positive, got %d", p.TronFeeLimitMax))
	}
	for name, d := range map[string]time.Duration{"SIM_BLOCK_INTERVAL": p.SimBlockInterval,
		"PAYOUT_POLL_INTERVAL": p.PollInterval, "PAYOUT_SCHEDULE_TICK": p.ScheduleTick} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", name, d))
		}
	}
	if p.MinPootScore < 0 || p.MinPootScore > 100 {
		errs = append(errs, fmt.Errorf("PAYOUT_MIN_POOT_SCORE must be 0–100, got %v", p.MinPootScore))
	}
	return errs
}

// secretValue is a string flag whose value is never printed (not even as a default in -h).
type secretValue string

func (v *secretValue) String() string { return "" }

// Set stores the secret.
func (v *secretValue) Set(s string) error { *v = secretValue(s); return nil }

type boolValue bool

func (v *boolValue) String() string {
	if v == nil {
		return "false"
	}
	return fmt.Sprint(bool(*v))
}

func (v *boolValue) Set(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		*v = true
	case "0", "false", "no", "off":
		*v = false
	default:
		return fmt.Errorf("want true or false, got %q", s)
	}
	return nil
}

// IsBoolFlag lets "-tron-tls" stand alone.
func (v *boolValue) IsBoolFlag() bool { return true }

type floatValue float64

func (v *floatValue) String() string {
	if v == nil {
		return "0"
	}
	return fmt.Sprint(float64(*v))
}

func (v *floatValue) Set(s string) error {
	var f float64
	if _, err := fmt.Sscan(strings.TrimSpace(s), &f); err != nil {
		return fmt.Errorf("want a number, got %q", s)
	}
	*v = floatValue(f)
	return nil
}

type listValue struct{ l *[]string }

func (v listValue) String() string {
	if v.l == nil {
		return ""
	}
	return strings.Join(*v.l, ",")
}

func (v listValue) Set(s string) error {
	*v.l = nil
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*v.l = append(*v.l, p)
		}
	}
	return nil
}
