package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/refserver"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/storage"
)

func TestRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := storage.Open(ctx, "memory:", storage.Options{})
	require.NoError(t, err)
	defer st.Close()
	cfg := refserver.DefaultConfig()
	cfg.JWTSecret = "pootproof-test-secret-0123456789abcdef0123"
	srv, err := refserver.New(cfg, refserver.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	tok, err := srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(t, err)
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, ts.URL, tok, "t1", priv, time.Now))
	text := out.String()
	assert.Contains(t, text, poot.EncodePublicKey(priv.Public().(ed25519.PublicKey)))
	assert.Contains(t, text, "signed=true challenged=true")
	assert.Contains(t, text, "replayed proof: valid=false")
	replay := text[strings.Index(text, "replayed proof"):]
	assert.Contains(t, replay, "reason ", "the replay says why it was refused")

	// A proof stamped by a clock a day behind is refused as stale, and the example reports it.
	out.Reset()
	require.NoError(t, run(ctx, &out, ts.URL, tok, "t2", priv, func() time.Time { return time.Now().Add(-25 * time.Hour) }))
	assert.Contains(t, out.String(), "reason "+poot.ReasonTimestampStale)
}
