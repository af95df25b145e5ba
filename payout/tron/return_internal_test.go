package tron

import (
	"testing"

	"github.com/fbsobreira/gotron-sdk/pkg/proto/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
)

func TestReturnError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    *api.Return
		want error // nil, ErrTransferRejected or ErrChainUnavailable
	}{
		{"nil", nil, nil},
		{"success", &api.Return{Result: true}, nil},
		{"empty", &api.Return{}, nil},
		{"revert", &api.Return{Code: api.Return_CONTRACT_EXE_ERROR, Message: []byte("REVERT opcode executed")}, payout.ErrTransferRejected},
		{"validate", &api.Return{Code: api.Return_CONTRACT_VALIDATE_ERROR, Message: []byte("no contract")}, payout.ErrTransferRejected},
		{"busy", &api.Return{Code: api.Return_SERVER_BUSY, Message: []byte("Server busy")}, payout.ErrChainUnavailable},
		{"unsolidified", &api.Return{Code: api.Return_BLOCK_UNSOLIDIFIED}, payout.ErrChainUnavailable},
		{"other", &api.Return{Code: api.Return_OTHER_ERROR, Message: []byte("?")}, payout.ErrChainUnavailable},
		{"refused without code", &api.Return{Message: []byte("?")}, payout.ErrChainUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := returnError("op", tc.r)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			other := payout.ErrChainUnavailable
			if tc.want == payout.ErrChainUnavailable {
				other = payout.ErrTransferRejected
			}
			assert.NotErrorIs(t, err, other)
		})
	}
}
