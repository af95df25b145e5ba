package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
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
	cfg.JWTSecret = "quickstart-test-secret-0123456789abcdef0123"
	srv, err := refserver.New(cfg, refserver.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	tok, err := srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(t, err)

	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, ts.URL, tok, "t1"))
	text := out.String()
	assert.Contains(t, text, "server ready: healthy")
	assert.Contains(t, text, "started node: status active")
	assert.Contains(t, text, "pool now has 1 node(s)")
	assert.Regexp(t, regexp.MustCompile(`(?m)^  node_\S+\s+worker-t1\s+active\s+healthy$`), text)

	// The server really holds what the walkthrough printed.
	list, err := srv.Service().ListNodes(ctx, nodemgmt.NodeQuery{})
	require.NoError(t, err)
	require.Len(t, list.Nodes, 1)
	assert.Equal(t, nodemgmt.StatusActive, list.Nodes[0].Status)
	assert.NotEmpty(t, list.Nodes[0].PoolID)

	// A second run with the same names is refused by the server and reported.
	err = run(ctx, io.Discard, ts.URL, tok, "t1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "LUCID_ERR_5008")

	// A wrong token is reported, not hidden.
	err = run(ctx, io.Discard, ts.URL, "not-a-token", "t2")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "LUCID_ERR_4010")
}
