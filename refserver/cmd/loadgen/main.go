// Command loadgen sends requests to one URL at a fixed rate (open loop) and prints the latency
// distribution, for measuring the reference server's p99 at a given load:
//
//	loadgen -url http://127.0.0.1:8083/api/v1/nodes/NODE_ID -token "$TOKEN" -rate 1000 -duration 10s
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/hamigames/lucid-node-management/refserver/internal/loadgen"
)

func main() {
	url := flag.String("url", "", "URL to GET (required)")
	token := flag.String("token", os.Getenv("LUCID_TOKEN"), "bearer token ($LUCID_TOKEN)")
	rate := flag.Int("rate", 1000, "requests per second")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	inflight := flag.Int("max-inflight", 512, "concurrent requests at most; more are counted as dropped")
	flag.Parse()
	if *url == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -url is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := loadgen.Run(ctx, loadgen.Config{Rate: *rate, Duration: *duration, MaxInFlight: *inflight,
		NewRequest: func(ctx context.Context, _ int) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
			if err == nil && *token != "" {
				req.Header.Set("Authorization", "Bearer "+*token)
			}
			return req, err
		}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	fmt.Println(res)
}
