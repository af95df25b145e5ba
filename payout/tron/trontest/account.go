package trontest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/fbsobreira/gotron-sdk/pkg/address"
	"github.com/fbsobreira/gotron-sdk/pkg/proto/core"
	"google.golang.org/protobuf/types/known/anypb"
)

// Account is a secp256k1 key pair with its TRON address, for tests and the simulated chain.
type Account struct {
	// PrivateKeyHex is the 32-byte private key in hex (what a payer configuration holds).
	PrivateKeyHex string
	// Address is the base58check TRON address of the key.
	Address string
}

// NewAccount derives a deterministic account from a label (sha256 of the label is the key,
// retried with a counter in the negligible case it is not a valid scalar). Test-only: the key
// is public knowledge to anyone who knows the label.
func NewAccount(label string) Account {
	for i := 0; ; i++ {
		seed := sha256.Sum256(fmt.Appendf(nil, "trontest account %s #%d", label, i))
		k, err := crypto.ToECDSA(seed[:])
		if err != nil {
			continue
		}
		return Account{
			PrivateKeyHex: hex.EncodeToString(seed[:]),
			Address:       address.PubkeyToAddress(k.PublicKey).String(),
		}
	}
}

func anyOf(ct *core.TriggerSmartContract) (*anypb.Any, error) { return anypb.New(ct) }
