package client

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// BenchmarkGetNode measures the client's cost per call next to the bare way (net/http and
// encoding/json by hand) against the same in-process server over loopback, so the difference is
// what the client adds (URL building, headers, error and retry handling).
func BenchmarkGetNode(b *testing.B) {
	e := newTestEnv(b)
	c := e.client(b)
	ctx := context.Background()
	n, err := c.Nodes.Create(ctx, nodeReq("bench-node"))
	require.NoError(b, err)
	hc := e.ts.Client()
	url := e.ts.URL + "/api/v1/nodes/" + n.NodeID

	b.Run("bare-net-http", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer "+e.admin)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var got nodemgmt.Node
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				b.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatal(resp.Status)
			}
		}
	})
	b.Run("client", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Nodes.Get(ctx, n.NodeID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client-with-retry", func(b *testing.B) {
		cr := e.client(b, WithRetry(DefaultRetryPolicy()))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cr.Nodes.Get(ctx, n.NodeID); err != nil {
				b.Fatal(err)
			}
		}
	})
}
