package refserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/refserver/ratelimit"
)

// Deps are the collaborators of a Server. Only Store is required; the rest default from the
// Config. New fields are added here as route groups (PoOT, payouts, resources) land.
type Deps struct {
	// Store persists nodes, pools, audit entries and leases (storage.Open's value).
	Store nodemgmt.Store
	// Limiter decides rate limits; nil builds the in-process limiter from Config.RateLimits
	// (none at all when every tier is 0).
	Limiter ratelimit.Limiter
	// Authority verifies bearer tokens; nil builds one from Config.JWTSecret.
	Authority *auth.Authority
	// Logger receives access and error logs; nil logs to stderr in Config.LogFormat.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Registry receives the server's metrics; nil creates a private one (see Server.Registry).
	Registry *prometheus.Registry
	// Holder names this replica for background-loop leases; nil/empty generates one.
	Holder string
	// Resources persists resource monitoring; nil uses Store when it implements
	// nodemgmt.ResourceStore (every storage backend does).
	Resources nodemgmt.ResourceStore
	// HostMetrics is the local metrics source of the collector (Config.HostNodeID); nil uses
	// nodemgmt/hostmetrics.
	HostMetrics nodemgmt.MetricsSource
	// PoOTStore persists PoOT challenges, consumed nonces and validations; nil uses Store, which
	// must then implement poot.Store (every storage backend does).
	PoOTStore poot.Store
	// PayoutStore and Wallets persist payouts and node wallets; nil uses Store when it
	// implements them (every storage backend does). Without them the payout routes answer 503.
	PayoutStore payout.Store
	Wallets     payout.WalletStore
	// Chain pays out; nil opens it from Config.Chain when Serve starts (the in-process TRON
	// simulator for "sim"). ChainLister, optional, lets the payout audit see every transfer.
	Chain       payout.ChainClient
	ChainLister payout.TransferLister
}

// Server is the reference HTTP server. Build it with New, serve it with Run or Serve.
type Server struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	store    nodemgmt.Store // instrumented
	svc      *nodemgmt.Service
	auth     *auth.Authority
	limiter  ratelimit.Limiter
	metrics  *metrics
	registry *prometheus.Registry
	holder   string
	res      *resources // resources.go; nil without a ResourceStore
	poot     *pootAPI   // poot.go
	pay      *payoutAPI // payout.go; nil without a payout store

	mux      *http.ServeMux
	subs     map[string]map[string]*route // method → sub-path → route under /api/v1/nodes/{node_id}/
	handler  http.Handler
	stopping atomic.Bool
	started  atomic.Bool
	bg       sync.WaitGroup
	// leaseTTL is how long a background loop's lease lasts without renewal (defaultLeaseTTL).
	leaseTTL time.Duration
	// onClose releases dependencies New opened itself (the Redis limiter), after Serve stops.
	onClose []func() error
}

// New builds a Server: the node service over an instrumented store, the middleware stack and
// every route. It does not listen; see Run and Serve.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("refserver: invalid config: %w", err)
	}
	if deps.Store == nil {
		return nil, errors.New("refserver: Deps.Store is required")
	}
	s := &Server{cfg: cfg, log: deps.Logger, now: deps.Now, limiter: deps.Limiter, auth: deps.Authority,
		registry: deps.Registry, holder: deps.Holder, subs: map[string]map[string]*route{}}
	if s.log == nil {
		s.log = NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	if s.holder == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		s.holder = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	s.leaseTTL = defaultLeaseTTL
	if s.auth == nil {
		if cfg.JWTSecret == "" {
			return nil, errors.New("refserver: JWT secret is required (JWT_SECRET_KEY or Deps.Authority)")
		}
		a, err := auth.New(auth.Config{Secret: []byte(cfg.JWTSecret), Now: s.now})
		if err != nil {
			return nil, fmt.Errorf("refserver: %w", err)
		}
		s.auth = a
	}
	if s.limiter == nil && cfg.RedisURL != "" {
		// Replicas share one budget per subject through Redis; while Redis fails each replica
		// limits on its own rather than refusing everyone.
		l, closeRedis, err := ratelimit.OpenShared(context.Background(), ratelimit.SharedConfig{URL: cfg.RedisURL,
			Tiers: ratelimit.Tiers{Unauthenticated: cfg.RateLimits.Unauthenticated, Authenticated: cfg.RateLimits.Node,
				Admin: cfg.RateLimits.Admin, PoOT: cfg.RateLimits.PoOT, Payout: cfg.RateLimits.Payout},
			Logger: s.log})
		if err != nil {
			return nil, fmt.Errorf("refserver: %w", err)
		}
		s.limiter = l
		s.onClose = append(s.onClose, closeRedis)
	}
	if s.limiter == nil {
		t := ratelimit.Tiers{Unauthenticated: cfg.RateLimits.Unauthenticated, Authenticated: cfg.RateLimits.Node,
			Admin: cfg.RateLimits.Admin, PoOT: cfg.RateLimits.PoOT, Payout: cfg.RateLimits.Payout}
		if t != (ratelimit.Tiers{}) { // all zero: no limiter at all (NewMemory would default them)
			m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Tiers: t, Now: s.now})
			if err != nil {
				return nil, fmt.Errorf("refserver: %w", err)
			}
			s.limiter = m
		}
	}
	var err error
	if s.metrics, err = newMetrics(s.registry); err != nil {
		return nil, fmt.Errorf("refserver: metrics: %w", err)
	}
	s.store = instrumentStore(deps.Store, s.metrics)
	s.svc = nodemgmt.NewService(s.store, nodemgmt.Config{
		HeartbeatTTL:   cfg.EffectiveHeartbeatTTL(),
		HeartbeatGrace: cfg.HeartbeatGrace,
		RestartTTL:     cfg.RestartTTL,
		Now:            s.now,
		Logger:         s.log,
		OnOperation:    s.metrics.operation,
	})
	if err := s.metrics.registerFleet(s.registry, s.svc); err != nil {
		return nil, fmt.Errorf("refserver: metrics: %w", err)
	}
	if s.poot, err = s.newPootAPI(deps); err != nil {
		return nil, fmt.Errorf("refserver: PoOT: %w", err)
	}
	if err := s.initResources(deps); err != nil {
		return nil, fmt.Errorf("refserver: resources: %w", err)
	}
	if err := s.initPayouts(deps); err != nil {
		return nil, fmt.Errorf("refserver: payouts: %w", err)
	}
	s.mux = http.NewServeMux()
	s.registerRoutes()
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s, nil
}

// NewLogger returns a slog logger writing json or text at level to w.
func NewLogger(w interface{ Write([]byte) (int, error) }, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Handler returns the complete HTTP handler (middleware and routes).
func (s *Server) Handler() http.Handler { return s.handler }

// Service returns the node service the handlers use.
func (s *Server) Service() *nodemgmt.Service { return s.svc }

// Authority returns the token authority (to mint tokens for tests and the CLI).
func (s *Server) Authority() *auth.Authority { return s.auth }

// Registry returns the server's Prometheus registry.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Run listens on Config.Addr and serves until ctx ends; see Serve.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("refserver: listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve prepares the fleet after a restart (PrepareAfterRestart), starts the background loops
// (the heartbeat reaper, under its lease), serves HTTP on ln until ctx ends, then stops taking
// connections, drains in-flight requests for at most Config.ShutdownTimeout and stops the
// loops. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.started.CompareAndSwap(false, true) {
		_ = ln.Close()
		return errors.New("refserver: server already started")
	}
	prepCtx, cancelPrep := context.WithTimeout(ctx, 30*time.Second)
	n, err := s.svc.PrepareAfterRestart(prepCtx)
	cancelPrep()
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("refserver: prepare after restart: %w", err)
	}
	s.log.Info("server starting", "addr", ln.Addr().String(), "nodes_given_restart_ttl", n,
		"heartbeat_ttl", s.cfg.EffectiveHeartbeatTTL().String(), "holder", s.holder)

	bgCtx, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	s.goBackground(func() {
		s.runLeased(bgCtx, reaperLease, func(c context.Context) { s.svc.RunReaper(c, s.cfg.ReaperInterval) })
	})
	s.goBackground(func() { s.runLeased(bgCtx, auditRetentionLease, s.runAuditRetention) })
	s.startResourceLoops(bgCtx)
	if err := s.startPayouts(bgCtx); err != nil {
		stopBG()
		s.bg.Wait()
		_ = ln.Close()
		return fmt.Errorf("refserver: payouts: %w", err)
	}

	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		stopBG()
		s.bg.Wait()
		return fmt.Errorf("refserver: serve: %w", err)
	case <-ctx.Done():
	}
	s.stopping.Store(true)
	s.log.Info("server shutting down", "drain_timeout", s.cfg.ShutdownTimeout.String())
	shCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	shErr := hs.Shutdown(shCtx)
	if shErr != nil {
		_ = hs.Close()
	}
	stopBG()
	s.bg.Wait()
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("refserver: serve: %w", err)
	}
	if shErr != nil {
		return fmt.Errorf("refserver: shutdown: %w", shErr)
	}
	for _, c := range s.onClose {
		if err := c(); err != nil {
			s.log.Warn("closing a dependency", "err", err)
		}
	}
	s.log.Info("server stopped")
	return nil
}

// goBackground runs fn as a background loop that Serve waits for on shutdown. Loops must return
// when their context ends.
func (s *Server) goBackground(fn func()) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		fn()
	}()
}

// writeJSON answers v as JSON with status. Encoding into a buffer first means an encoding
// failure still becomes a clean error answer.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		s.writeError(w, r, fmt.Errorf("encode response: %w", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", fmt.Sprint(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// clientAddr is the address rate limits key unauthenticated requests by: the TCP peer, or the
// nearest untrusted hop of X-Forwarded-For when the peer is a configured trusted proxy.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(s.cfg.TrustedProxies) == 0 || !s.trusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		if _, err := netip.ParseAddr(h); err != nil {
			return host // a malformed chain is not believed
		}
		if !s.trusted(h) {
			return h
		}
	}
	return host
}

func (s *Server) trusted(host string) bool {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
