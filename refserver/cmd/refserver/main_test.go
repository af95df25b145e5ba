package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/refserver/auth"
)

func TestTokenCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := func(string) string { return "" }
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"token", "-data", dir}, env, &out, &errOut)
	require.ErrorContains(t, err, "no JWT secret")

	secret, err := loadOrCreate(filepath.Join(dir, secretFile), newSecret)
	require.NoError(t, err)
	fi, err := os.Stat(filepath.Join(dir, secretFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	again, err := loadOrCreate(filepath.Join(dir, secretFile), newSecret)
	require.NoError(t, err)
	assert.Equal(t, secret, again, "the secret is reused, not regenerated")

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"token", "-role", "worker", "-node", "node_abcdef12", "-ttl", "10m", "-data", dir}, env, &out, &errOut))
	tok := strings.TrimSpace(out.String())
	assert.Equal(t, tok+"\n", out.String(), "the token alone on stdout")
	a, err := auth.New(auth.Config{Secret: []byte(secret)})
	require.NoError(t, err)
	p, err := a.Verify(tok)
	require.NoError(t, err)
	assert.Equal(t, auth.RoleWorker, p.Role)
	assert.Equal(t, "node_abcdef12", p.NodeID)

	// JWT_SECRET_KEY wins over the data directory.
	envSecret := strings.Repeat("s", 40)
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"token", "-role", "validator", "-data", dir},
		func(k string) string {
			if k == "JWT_SECRET_KEY" {
				return envSecret
			}
			return ""
		}, &out, &errOut))
	b, err := auth.New(auth.Config{Secret: []byte(envSecret)})
	require.NoError(t, err)
	_, err = b.Verify(strings.TrimSpace(out.String()))
	require.NoError(t, err)

	for _, args := range [][]string{
		{"token", "-role", "root", "-data", dir},
		{"token", "-role", "worker", "-data", dir},
		{"token", "-role", "admin", "-node", "node_abcdef12", "-data", dir},
		{"token", "-ttl", "-1h", "-data", dir},
		{"nonsense"},
	} {
		require.Error(t, run(context.Background(), args, env, io.Discard, io.Discard), "%v", args)
	}
}

func TestLoadOrCreateRefusesLooseFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "jwt_secret")
	require.NoError(t, os.WriteFile(p, []byte("x\n"), 0o644))
	_, err := loadOrCreate(p, newSecret)
	require.ErrorContains(t, err, "chmod 600")
}

func TestRedactDSN(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "postgres://lucid:***@db:5432/x", redactDSN("postgres://lucid:hunter2@db:5432/x"))
	assert.Equal(t, "sqlite:./data/lucid.db", redactDSN("sqlite:./data/lucid.db"))
}

var addrRe = regexp.MustCompile(`"addr":"(127\.0\.0\.1:\d+)"`)

// startBinary runs the built binary with a data dir and returns its base URL, the printed
// admin token and a stop function that sends SIGTERM and checks a clean exit.
func startBinary(t *testing.T, bin, data string) (base, token string, stop func()) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-data", data, "-log-level", "info")
	cmd.Env = append(os.Environ(), "JWT_SECRET_KEY=", "ENCRYPTION_KEY=", "DATABASE_URL=", "PORT=")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	wantToken := false
	for base == "" || token == "" {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "server exited before it was ready")
			switch {
			case wantToken:
				token, wantToken = l, false
			case strings.HasPrefix(l, "Admin access token"):
				wantToken = true
			}
			if m := addrRe.FindStringSubmatch(l); m != nil {
				base = "http://" + m[1]
			}
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatal("server did not start")
		}
	}
	go func() {
		for range lines { // keep draining so the server never blocks on stderr
		}
	}()
	stop = func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			require.NoError(t, err, "clean exit after SIGTERM")
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatal("server did not stop")
		}
	}
	return base, token, stop
}

func call(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestBinaryZeroConfig builds the binary, starts it with nothing but a data directory, uses the
// printed admin token, restarts it on the same directory and finds everything kept.
func TestBinaryZeroConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "refserver")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	data := filepath.Join(dir, "data")

	base, token, stop := startBinary(t, bin, data)
	code, _ := call(t, "GET", base+"/health/live", "", "")
	require.Equal(t, 200, code)
	code, pool := call(t, "POST", base+"/api/v1/nodes/pools", token, `{"name":"binpool"}`)
	require.Equal(t, 201, code, "%v", pool)
	code, body := call(t, "GET", base+"/api/v1/nodes/pools", "", "")
	require.Equal(t, 401, code)
	assert.Equal(t, "LUCID_ERR_4010", body["error"].(map[string]any)["code"])
	stop()

	for _, f := range []string{secretFile, keyFile, dbFile} {
		fi, err := os.Stat(filepath.Join(data, f))
		require.NoError(t, err, f)
		if f != dbFile {
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), f)
		}
	}

	// Restart: same secret (the old token still works), same data.
	base, _, stop = startBinary(t, bin, data)
	defer stop()
	code, got := call(t, "GET", base+"/api/v1/nodes/pools/"+pool["pool_id"].(string), token, "")
	require.Equal(t, 200, code, "%v", got)
	assert.Equal(t, "binpool", got["name"])
}
