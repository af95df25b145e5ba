package refserver_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/hamigames/lucid-node-management/refserver"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/storage"
)

// Example builds a server over the in-memory store and creates a pool through its handler.
// A real deployment calls Run(ctx) instead, which listens and runs the background loops.
func Example() {
	ctx := context.Background()
	store, err := storage.Open(ctx, "memory:", storage.Options{})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	cfg := refserver.DefaultConfig()
	cfg.JWTSecret = "an-example-secret-of-at-least-32-bytes"
	srv, err := refserver.New(cfg, refserver.Deps{Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	token, err := srv.Authority().Issue(auth.RoleAdmin, "", 0)
	if err != nil {
		panic(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/nodes/pools", strings.NewReader(`{"name":"gpu-pool","max_nodes":50}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("X-Content-Type-Options"))

	rec = httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/nodes/pools", nil))
	fmt.Println(rec.Code, strings.Contains(rec.Body.String(), `"code":"LUCID_ERR_4010"`))
	// Output:
	// 201 nosniff
	// 401 true
}
