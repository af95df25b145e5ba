// Package loadgen drives an HTTP endpoint at a fixed request rate (open loop) and reports the
// latency distribution. Latency is measured from the moment a request was scheduled, not from
// when it was sent, so a server that stalls cannot hide its stall by slowing the client down
// (no coordinated omission).
package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Config describes one run.
type Config struct {
	// Rate is the number of requests started per second.
	Rate int
	// Duration is how long requests are started.
	Duration time.Duration
	// MaxInFlight bounds concurrent requests; a request that finds no slot is counted as
	// dropped (the server is too slow for the rate). Default 512.
	MaxInFlight int
	// NewRequest builds the i-th request.
	NewRequest func(ctx context.Context, i int) (*http.Request, error)
	// Client sends the requests; a keep-alive client with enough idle connections by default.
	Client *http.Client
}

// Result summarises a run.
type Result struct {
	Sent, OK, Errors, Dropped int
	Elapsed                   time.Duration
	P50, P90, P99, P999, Max  time.Duration
}

// String formats the result on one line.
func (r Result) String() string {
	return fmt.Sprintf("sent=%d ok=%d errors=%d dropped=%d rate=%.0f/s p50=%s p90=%s p99=%s p99.9=%s max=%s",
		r.Sent, r.OK, r.Errors, r.Dropped, float64(r.Sent)/r.Elapsed.Seconds(), r.P50, r.P90, r.P99, r.P999, r.Max)
}

// Run paces requests at cfg.Rate for cfg.Duration and waits for the last answer.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Rate <= 0 || cfg.Duration <= 0 || cfg.NewRequest == nil {
		return Result{}, fmt.Errorf("loadgen: rate, duration and NewRequest are required")
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 512
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			MaxIdleConns: cfg.MaxInFlight, MaxIdleConnsPerHost: cfg.MaxInFlight, IdleConnTimeout: time.Minute}}
	}
	total := int(int64(cfg.Rate) * int64(cfg.Duration) / int64(time.Second))
	interval := time.Second / time.Duration(cfg.Rate)
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, total)
		res       Result
		wg        sync.WaitGroup
		slots     = make(chan struct{}, cfg.MaxInFlight)
	)
	start := time.Now()
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(d):
			}
		}
		res.Sent++
		select {
		case slots <- struct{}{}:
		default:
			res.Dropped++
			continue
		}
		req, err := cfg.NewRequest(ctx, i)
		if err != nil {
			<-slots
			return res, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			resp, err := client.Do(req)
			ok := err == nil && resp.StatusCode < 400
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
			lat := time.Since(due)
			mu.Lock()
			if ok {
				res.OK++
				latencies = append(latencies, lat)
			} else {
				res.Errors++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(latencies)
	q := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		i := int(p * float64(len(latencies)-1))
		return latencies[i]
	}
	res.P50, res.P90, res.P99, res.P999 = q(0.50), q(0.90), q(0.99), q(0.999)
	if len(latencies) > 0 {
		res.Max = latencies[len(latencies)-1]
	}
	return res, nil
}
