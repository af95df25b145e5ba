// Package client is the typed Go client of the Lucid Node Management API (the reference server's
// /api/v1 routes and its health endpoints).
//
// Build one with New and call the route groups through its fields — Nodes, Pools, PoOT,
// Resources, Payouts — or the Health, Ready, Live and Audit methods:
//
//	c, err := client.New("http://localhost:8083", client.WithToken(token))
//	node, err := c.Nodes.Create(ctx, nodemgmt.CreateNodeRequest{...})
//	res, err := c.Nodes.Start(ctx, node.NodeID)
//	for n, err := range c.Nodes.All(ctx, client.NodeListOptions{}) { ... } // follows cursors
//
// Request and response bodies are the domain types of nodemgmt, poot and payout, so a caller
// shares one definition of a node, a pool or a proof with the server. Every failed call returns
// an *APIError parsed from the API's error body; errors.Is matches it against the domain
// sentinels by code (errors.Is(err, nodemgmt.ErrNodeNotFound)), and helpers such as IsNotFound
// test the HTTP status.
//
// Retries are off unless WithRetry is given. With it, GET requests are retried after transport
// errors and 502/503/504 answers, and every request is retried after a 429 answer (the server
// refuses before acting, so nothing ran), waiting what Retry-After asks for — never longer than
// the policy's MaxDelay, and never more than MaxAttempts in all.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultUserAgent is sent when WithUserAgent is not given.
const DefaultUserAgent = "lucid-node-management-client/1"

// maxResponseBytes bounds how much of an answer the client reads, so a misbehaving server or
// proxy cannot exhaust the caller's memory.
const maxResponseBytes = 64 << 20

// Client calls one Lucid Node Management server. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
	ua    string
	retry RetryPolicy
	// sleep waits d or until ctx ends; tests replace it to advance a fake clock instead.
	sleep func(ctx context.Context, d time.Duration) error

	// Nodes calls the /api/v1/nodes routes.
	Nodes *NodesService
	// Pools calls the /api/v1/nodes/pools routes.
	Pools *PoolsService
	// PoOT calls the PoOT routes (challenges, proofs, scores, history).
	PoOT *PoOTService
	// Resources calls the /api/v1/nodes/{node_id}/resources routes.
	Resources *ResourcesService
	// Payouts calls the payout routes (batches, schedule, history, wallets, reconciliation).
	Payouts *PayoutsService
}

// Option configures a Client.
type Option func(*Client)

// WithToken sends token as the bearer access token on every /api/v1 request (mint one with
// `refserver token -role admin|validator|worker`).
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient uses hc for every request (timeouts, transport, proxies). The default is an
// http.Client with a 30-second timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.ua = ua } }

// WithRetry enables retries with policy p (see the package documentation for what is retried).
// Zero fields take the defaults of DefaultRetryPolicy.
func WithRetry(p RetryPolicy) Option {
	return func(c *Client) {
		d := DefaultRetryPolicy()
		if p.MaxAttempts <= 0 {
			p.MaxAttempts = d.MaxAttempts
		}
		if p.BaseDelay <= 0 {
			p.BaseDelay = d.BaseDelay
		}
		if p.MaxDelay <= 0 {
			p.MaxDelay = d.MaxDelay
		}
		c.retry = p
	}
}

// RetryPolicy bounds retries.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included.
	MaxAttempts int
	// BaseDelay is the first backoff after a transport error or 5xx; it doubles per attempt,
	// with jitter.
	BaseDelay time.Duration
	// MaxDelay caps every wait. A 429 whose Retry-After exceeds it is returned to the caller
	// instead of being retried early (an early retry would only be refused again).
	MaxDelay time.Duration
}

// DefaultRetryPolicy is 4 attempts, 200 ms base backoff, at most 30 s per wait.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 30 * time.Second}
}

// New returns a client for the server at baseURL (scheme and host, optionally a path prefix
// under which the server is mounted, e.g. "https://lucid.example.com" or
// "http://127.0.0.1:8083").
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: invalid base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("client: base URL %q must be http:// or https://", baseURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q has no host", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: base URL %q must not have a query or fragment", baseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	c := &Client{base: u, ua: DefaultUserAgent, retry: RetryPolicy{MaxAttempts: 1}, sleep: sleepCtx}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 30 * time.Second}
	}
	c.Nodes = &NodesService{c: c}
	c.Pools = &PoolsService{c: c}
	c.PoOT = &PoOTService{c: c}
	c.Resources = &ResourcesService{c: c}
	c.Payouts = &PayoutsService{c: c}
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// request is one API call.
type request struct {
	method string
	path   string // already escaped, starting with "/"
	query  url.Values
	body   any // marshalled as JSON when not nil
	// ok lists the success statuses; the answer is decoded into out when out is not nil.
	ok  []int
	out any
	// public routes send no token.
	public bool
}

// do runs r with the retry policy.
func (c *Client) do(ctx context.Context, r request) error {
	var payload []byte
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("client: encode request body: %w", err)
		}
		payload = b
	}
	for attempt := 1; ; attempt++ {
		v, err := c.once(ctx, r, payload)
		if err == nil || !v.retry || attempt >= c.retry.MaxAttempts {
			return err
		}
		wait := v.after
		if wait <= 0 {
			wait = c.backoff(attempt - 1)
		}
		if wait > c.retry.MaxDelay {
			// Retrying before the server's Retry-After would only be refused again.
			return err
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("client: %s %s: waiting to retry: %w (last answer: %w)", r.method, r.path, serr, err)
		}
	}
}

// verdict says whether a failed attempt may be retried and after how long the server asked for
// (0: the client's own backoff).
type verdict struct {
	retry bool
	after time.Duration
}

// once sends one attempt and judges its failure.
func (c *Client) once(ctx context.Context, r request, payload []byte) (verdict, error) {
	// r.path is escaped segment by segment already; joining strings keeps "%2F" in an id from
	// being escaped twice or turned into a path separator.
	target := c.base.String() + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return verdict{}, fmt.Errorf("client: build request: %w", err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if c.token != "" && !r.public {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	// Only GETs are retried after transport failures (a POST may have reached the server), and
	// never once the caller's context has ended.
	transient := func() verdict { return verdict{retry: r.method == http.MethodGet && ctx.Err() == nil} }
	resp, err := c.hc.Do(req)
	if err != nil {
		return transient(), fmt.Errorf("client: %s %s: %w", r.method, r.path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return transient(), fmt.Errorf("client: %s %s: read answer: %w", r.method, r.path, err)
	}
	if len(raw) > maxResponseBytes {
		return verdict{}, fmt.Errorf("client: %s %s: answer larger than %d bytes", r.method, r.path, maxResponseBytes)
	}
	for _, s := range r.ok {
		if resp.StatusCode != s {
			continue
		}
		if r.out == nil || resp.StatusCode == http.StatusNoContent {
			return verdict{}, nil
		}
		if err := json.Unmarshal(raw, r.out); err != nil {
			return verdict{}, fmt.Errorf("client: %s %s: decode %d answer: %w", r.method, r.path, resp.StatusCode, err)
		}
		return verdict{}, nil
	}
	apiErr := parseError(resp, raw)
	switch {
	case apiErr.Status == http.StatusTooManyRequests:
		// The limiter refuses before the handler runs, so any method may be sent again.
		return verdict{retry: true, after: apiErr.RetryAfter}, apiErr
	case r.method == http.MethodGet && (apiErr.Status == http.StatusBadGateway ||
		apiErr.Status == http.StatusServiceUnavailable || apiErr.Status == http.StatusGatewayTimeout):
		return verdict{retry: true, after: apiErr.RetryAfter}, apiErr
	}
	return verdict{}, apiErr
}

// backoff returns a jittered exponential delay; attempt counts from 0.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.retry.BaseDelay << min(attempt, 20)
	if d <= 0 || d > c.retry.MaxDelay {
		d = c.retry.MaxDelay
	}
	// Full jitter in [d/2, d] spreads clients that failed together.
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 1<<31)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// escape escapes one path segment (ids come from callers and must not change the route).
func escape(s string) string { return url.PathEscape(s) }

// errNoID is returned before any request when a required id is empty: an empty segment would
// address a different route.
var errNoID = errors.New("client: id must not be empty")

func needID(kind, id string) error {
	if id == "" {
		return fmt.Errorf("%w: %s", errNoID, kind)
	}
	return nil
}
