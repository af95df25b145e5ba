package refserver

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/refserver/ratelimit"
)

// reqState is the per-request record the middleware layers share: the outer layers (access
// log, metrics) read what the inner ones (routing, auth, error mapper) learned.
type reqState struct {
	requestID string
	route     string // the route pattern without method, "unmatched" when none
	principal *auth.Principal
	errCode   string
}

type stateKey struct{}

// stateOf returns the request's state; a request that did not pass the middleware gets a fresh
// one so handlers can be called directly in tests.
func stateOf(r *http.Request) *reqState {
	if st, ok := r.Context().Value(stateKey{}).(*reqState); ok {
		return st
	}
	return &reqState{}
}

// principalOf returns the verified caller of an /api/v1 request.
func principalOf(r *http.Request) *auth.Principal { return stateOf(r).principal }

// actorOf is the audit actor of a request.
func actorOf(r *http.Request) nodemgmt.Actor {
	if p := principalOf(r); p != nil {
		return nodemgmt.Actor{Subject: p.Subject, Role: string(p.Role)}
	}
	return nodemgmt.Actor{Subject: "anonymous", Role: "none"}
}

// statusWriter records the status and size of the answer for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// securityHeaders are set on every answer, errors included.
var securityHeaders = [][2]string{
	{"X-Content-Type-Options", "nosniff"},
	{"X-Frame-Options", "DENY"},
	{"Strict-Transport-Security", "max-age=63072000; includeSubDomains"},
	{"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"},
	{"Referrer-Policy", "no-referrer"},
	{"Cache-Control", "no-store"},
}

// serveHTTP is the middleware stack, outermost first: request id, panic recovery, access log and
// metrics, security headers, body size limit, routing (unknown route/method as JSON). Auth and
// rate limiting are per route (see route.serve) because they depend on the route's tier.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	st := &reqState{requestID: requestID(r.Header.Get("X-Request-ID")), route: "unmatched"}
	w.Header().Set("X-Request-ID", st.requestID)
	r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request", "request_id", st.requestID,
				"route", st.route, "panic", v, "stack", string(debug.Stack()))
			if sw.status == 0 {
				s.writeError(sw, r, errors.New("panic"))
			}
		}
		s.finish(r, sw, st, start)
	}()
	h := w.Header()
	for _, kv := range securityHeaders {
		h.Set(kv[0], kv[1])
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(sw, r.Body, s.cfg.MaxBodyBytes)
	}
	if !canonicalPath(r.URL.Path) {
		// net/http would redirect with an HTML body; the API has canonical paths only.
		s.writeError(sw, r, newAPIError(CodeRouteNotFound, "no such route", map[string]any{"path": truncate(r.URL.Path, 200)}))
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.serveUnmatched(sw, r)
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// finish writes the access log line and the request metrics.
func (s *Server) finish(r *http.Request, sw *statusWriter, st *reqState, start time.Time) {
	d := time.Since(start)
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	s.metrics.request(r.Method, st.route, status, d)
	if !s.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	subject := ""
	if st.principal != nil {
		subject = st.principal.Subject
	}
	attrs := []slog.Attr{
		slog.String("request_id", st.requestID),
		slog.String("method", r.Method),
		slog.String("route", st.route),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.Int64("bytes", sw.bytes),
		slog.String("subject", subject),
	}
	if st.errCode != "" {
		attrs = append(attrs, slog.String("code", st.errCode))
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// requestID accepts an incoming id only if it is a well-formed uuid (so logs cannot be forged
// or flooded through it); otherwise it makes a new one.
func requestID(in string) string {
	if in != "" && len(in) == 36 {
		if u, err := uuid.Parse(in); err == nil {
			return u.String()
		}
	}
	return uuid.NewString()
}

// serveUnmatched answers a request no route matched: 405 with Allow when the path exists with
// other methods, 404 otherwise, both in the API's JSON error shape (never net/http's text).
func (s *Server) serveUnmatched(w http.ResponseWriter, r *http.Request) {
	// Let the mux decide 404 vs 405 (and fill Allow), but keep its body out.
	probe := &probeWriter{header: http.Header{}}
	s.mux.ServeHTTP(probe, r)
	allow := ""
	if probe.status == http.StatusMethodNotAllowed {
		allow = strings.Join(s.allowedMethods(r), ", ")
	}
	if probe.status == http.StatusMethodNotAllowed && allow != "" {
		w.Header().Set("Allow", allow)
		s.writeError(w, r, newAPIError(CodeMethodNotAllowed, "method "+r.Method+" not allowed on this route",
			map[string]any{"allow": allow}))
		return
	}
	s.writeError(w, r, newAPIError(CodeRouteNotFound, "no such route", map[string]any{"path": truncate(r.URL.Path, 200)}))
}

// canonicalPath reports whether p is already clean (no "//", "/./", "/../").
func canonicalPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// allowedMethods lists the methods that really serve r's path. The mux's own Allow header would
// also name methods of the /api/v1/nodes/{node_id}/{sub} dispatchers for subs they do not serve.
func (s *Server) allowedMethods(r *http.Request) []string {
	var allow []string
	for _, m := range []string{"DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		_, pattern := s.mux.Handler(probe)
		if pattern == "" {
			continue
		}
		if strings.HasSuffix(pattern, "{sub}") {
			rest := strings.TrimPrefix(r.URL.Path, "/api/v1/nodes/")
			_, sub, _ := strings.Cut(rest, "/")
			method := m
			if method == "HEAD" {
				method = "GET"
			}
			if s.subs[method][sub] == nil {
				continue
			}
		}
		allow = append(allow, m)
	}
	return allow
}

// subAllow lists the methods that serve /api/v1/nodes/{node_id}/sub, sorted.
func (s *Server) subAllow(sub string) []string {
	var allow []string
	for m, subs := range s.subs {
		if subs[sub] != nil {
			allow = append(allow, m)
		}
	}
	slices.Sort(allow)
	return allow
}

// probeWriter swallows the mux's default 404/405 answer and keeps its status and headers.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

// handlerFunc is an API handler: it writes its success answer and returns an error otherwise,
// which the one error mapper turns into the SPEC error shape.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one API route with its access rule.
type route struct {
	method, path string
	// scope is the scope the token must hold; empty for public routes.
	scope auth.Scope
	// public routes need no token (health, metrics).
	public bool
	// noLimit exempts the route from rate limiting (liveness probes).
	noLimit bool
	// workers lets worker tokens call the route, only for their own node (the route's
	// {node_id}); without it worker tokens are refused.
	workers bool
	// admin restricts the route to admin tokens.
	admin bool
	// tier is an extra rate-limit tier checked after the caller's (TierPoOT, TierPayout).
	tier ratelimit.Tier
	h    handlerFunc
}

// Routes of the form /api/v1/nodes/{node_id}/<name> are dispatched by one pattern per method,
// "/api/v1/nodes/{node_id}/{sub}", because net/http's mux refuses to register, for example,
// DELETE /nodes/{node_id}/maintenance next to DELETE /nodes/pools/{pool_id} (they overlap on
// /nodes/pools/maintenance and neither is more specific). Literal routes such as
// /nodes/pools/{pool_id} or /nodes/poot/batch-validate stay more specific than the dispatcher.
const nodeSubPrefix = "/api/v1/nodes/{node_id}/"

// handle registers rt. Call it from a register* function during New.
func (s *Server) handle(rt route) {
	if rest, ok := strings.CutPrefix(rt.path, nodeSubPrefix); ok && rest != "" && !strings.ContainsAny(rest, "/{}") {
		m := s.subs[rt.method]
		if m == nil {
			m = map[string]*route{}
			s.subs[rt.method] = m
			method := rt.method
			s.mux.HandleFunc(method+" "+nodeSubPrefix+"{sub}", func(w http.ResponseWriter, r *http.Request) {
				s.serveSub(w, r, method)
			})
		}
		if _, dup := m[rest]; dup {
			panic("refserver: duplicate route " + rt.method + " " + rt.path)
		}
		m[rest] = &rt
		return
	}
	s.mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) { s.serveRoute(&rt, w, r) })
}

// serveSub dispatches a /api/v1/nodes/{node_id}/{sub} request.
func (s *Server) serveSub(w http.ResponseWriter, r *http.Request, method string) {
	sub := r.PathValue("sub")
	if rt := s.subs[method][sub]; rt != nil {
		s.serveRoute(rt, w, r)
		return
	}
	allow := s.subAllow(sub)
	if len(allow) == 0 {
		s.writeError(w, r, newAPIError(CodeRouteNotFound, "no such route", map[string]any{"path": truncate(r.URL.Path, 200)}))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	s.writeError(w, r, newAPIError(CodeMethodNotAllowed, "method "+r.Method+" not allowed on this route",
		map[string]any{"allow": strings.Join(allow, ", ")}))
}

// serveRoute runs one route: authenticate, rate limit, authorize, handle.
func (s *Server) serveRoute(rt *route, w http.ResponseWriter, r *http.Request) {
	st := stateOf(r)
	st.route = rt.path
	var authErr error
	if !rt.public {
		p, err := s.authenticate(r)
		if err != nil {
			authErr = err
		} else {
			st.principal = &p
		}
	}
	// Limit before refusing a bad token, so guessing tokens costs the guesser its budget.
	if !rt.noLimit && s.limiter != nil {
		if err := s.rateLimit(w, r, rt, st.principal); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if authErr != nil {
		s.writeError(w, r, authErr)
		return
	}
	if !rt.public {
		if err := authorize(rt, st.principal, r); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if err := rt.h(w, r); err != nil {
		s.writeError(w, r, err)
	}
}

func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	tok, err := auth.ParseBearer(r.Header.Get("Authorization"))
	if err != nil {
		return auth.Principal{}, err
	}
	return s.auth.Verify(tok)
}

// authorize applies the route's access rule to a verified principal.
func authorize(rt *route, p *auth.Principal, r *http.Request) error {
	if rt.admin && p.Role != auth.RoleAdmin {
		return newAPIError(CodeForbidden, "admin token required", nil)
	}
	if p.Role == auth.RoleWorker && !rt.workers {
		return newAPIError(CodeForbidden, "worker tokens may not use this route", nil)
	}
	return p.Authorize(rt.scope, r.PathValue("node_id"))
}

// rateLimit checks the caller's tier (admin, authenticated subject, or client address) and the
// route's extra tier, sets the X-RateLimit headers of the tightest decision and returns the
// 429 error when refused. A limiter failure lets the request through and is logged: the
// limiter protects capacity, it is not an access control.
func (s *Server) rateLimit(w http.ResponseWriter, r *http.Request, rt *route, p *auth.Principal) error {
	key, tier := "addr:"+s.clientAddr(r), ratelimit.TierUnauthenticated
	if p != nil {
		key, tier = "sub:"+p.Subject, ratelimit.TierAuthenticated
		if p.Role == auth.RoleAdmin {
			tier = ratelimit.TierAdmin
		}
	}
	tiers := []ratelimit.Tier{tier}
	if rt.tier != "" {
		tiers = append(tiers, rt.tier)
	}
	var shown *ratelimit.Decision
	for _, t := range tiers {
		d, err := s.limiter.Allow(r.Context(), key, t)
		if err != nil {
			s.log.WarnContext(r.Context(), "rate limiter failed; request allowed", "tier", string(t), "err", err)
			continue
		}
		if !d.Allowed {
			d.SetHeaders(w.Header())
			return d.Err()
		}
		if d.Limit > 0 && (shown == nil || d.Remaining < shown.Remaining) {
			shown = &d
		}
	}
	if shown != nil {
		shown.SetHeaders(w.Header())
	}
	return nil
}
