package client

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/storage"
)

const testSecret = "client-test-secret-0123456789abcdef0123456789"

// fakeClock is the server's clock; retry tests advance it instead of sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testEnv is a real reference server over the memory store, served by httptest.
type testEnv struct {
	srv   *refserver.Server
	ts    *httptest.Server
	clock *fakeClock
	admin string
}

type envOpt struct {
	cfg  func(*refserver.Config)
	wrap func(http.Handler) http.Handler
}

func newTestEnv(t testing.TB, opts ...envOpt) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, "memory:", storage.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	cfg := refserver.DefaultConfig()
	cfg.JWTSecret = testSecret
	cfg.RateLimits = refserver.RateLimits{}
	var wrap func(http.Handler) http.Handler
	for _, o := range opts {
		if o.cfg != nil {
			o.cfg(&cfg)
		}
		if o.wrap != nil {
			wrap = o.wrap
		}
	}
	clock := &fakeClock{t: time.Now().UTC().Truncate(time.Second)}
	srv, err := refserver.New(cfg, refserver.Deps{Store: st, Now: clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	var h http.Handler = srv.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	e := &testEnv{srv: srv, ts: ts, clock: clock}
	e.admin = e.token(t, auth.RoleAdmin, "")
	return e
}

func (e *testEnv) token(t testing.TB, role auth.Role, node string) string {
	t.Helper()
	tok, err := e.srv.Authority().Issue(role, node, time.Hour)
	require.NoError(t, err)
	return tok
}

// client returns a client of the env with the admin token unless opts give another.
func (e *testEnv) client(t testing.TB, opts ...Option) *Client {
	t.Helper()
	c, err := New(e.ts.URL, append([]Option{WithToken(e.admin), WithHTTPClient(e.ts.Client())}, opts...)...)
	require.NoError(t, err)
	return c
}

// nodeReq is a valid create request.
func nodeReq(name string) nodemgmt.CreateNodeRequest {
	return nodemgmt.CreateNodeRequest{
		Name:     name,
		NodeType: nodemgmt.NodeTypeWorker,
		HardwareInfo: nodemgmt.HardwareInfo{
			CPU:     nodemgmt.CPUInfo{Cores: 8, FrequencyMHz: 3200, Architecture: "x86_64"},
			Memory:  nodemgmt.MemoryInfo{TotalBytes: 16 * nodemgmt.GiB, Type: "DDR4"},
			Storage: nodemgmt.StorageInfo{TotalBytes: 500_000_000_000, Type: "NVMe", Interface: "PCIe"},
			Network: []nodemgmt.NetworkInfo{{Interface: "eth0", SpeedMbps: 1000}},
		},
	}
}
