// Command refserver runs the Lucid Node Management reference server.
//
//	refserver [serve] [flags]     start the server (the default)
//	refserver token -role admin|validator|worker [-node NODE_ID] [-ttl 1h]
//
// With no configuration at all it listens on :8083 (or $PORT), keeps an SQLite database and a
// generated JWT secret and encryption key in ./data, and prints an admin token once to stderr.
// Every setting comes from the environment variables of the specification or from flags; run
// `refserver serve -h` for the list.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hamigames/lucid-node-management/refserver"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/storage"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "refserver:", err)
		}
		os.Exit(2)
	}
}

// run dispatches the subcommand; it is main without the process around it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stderr)
	case "token":
		return token(args, getenv, stdout, stderr)
	case "help":
		fmt.Fprintln(stderr, "usage: refserver [serve] [flags] | refserver token -role admin|validator|worker [-node NODE_ID] [-ttl 1h]")
		return nil
	}
	return fmt.Errorf("unknown command %q (want serve or token)", cmd)
}

const (
	secretFile = "jwt_secret"
	keyFile    = "encryption_key"
	dbFile     = "lucid.db"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fset := flag.NewFlagSet("refserver serve", flag.ContinueOnError)
	fset.SetOutput(stderr)
	cfg, err := refserver.LoadConfig(fset, args, getenv)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if cfg.JWTSecret == "" {
		if cfg.JWTSecret, err = loadOrCreate(filepath.Join(cfg.DataDir, secretFile), newSecret); err != nil {
			return fmt.Errorf("JWT secret: %w", err)
		}
	}
	if cfg.EncryptionKey == "" {
		if cfg.EncryptionKey, err = loadOrCreate(filepath.Join(cfg.DataDir, keyFile), newSecret); err != nil {
			return fmt.Errorf("encryption key: %w", err)
		}
	}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = "sqlite:" + filepath.Join(cfg.DataDir, dbFile)
	}
	log := refserver.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	store, err := storage.Open(ctx, cfg.DatabaseURL, storage.Options{EncryptionKey: cfg.EncryptionKey, Logger: log})
	if err != nil {
		return fmt.Errorf("open store %s: %w", redactDSN(cfg.DatabaseURL), err)
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Warn("closing store", "err", err)
		}
	}()
	srv, err := refserver.New(cfg, refserver.Deps{Store: store, Logger: log})
	if err != nil {
		return err
	}
	tok, err := srv.Authority().Issue(auth.RoleAdmin, "", 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "\nAdmin access token (valid %s; mint more with `refserver token -role admin`):\n%s\n\n", auth.DefaultTTL, tok)
	return srv.Run(ctx)
}

func token(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("refserver token", flag.ContinueOnError)
	fset.SetOutput(stderr)
	role := fset.String("role", "admin", "admin, validator or worker")
	node := fset.String("node", "", "node id a worker token is bound to")
	ttl := fset.Duration("ttl", auth.DefaultTTL, "token lifetime")
	data := fset.String("data", envOr(getenv, "DATA_DIR", "./data"), "data directory holding the generated secret ($DATA_DIR)")
	secret := fset.String("jwt-secret", getenv("JWT_SECRET_KEY"), "HS256 secret ($JWT_SECRET_KEY; default: the data directory's)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fset.Args(), " "))
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		return err
	}
	if *ttl <= 0 || *ttl > 365*24*time.Hour {
		return fmt.Errorf("-ttl must be positive and at most a year, got %s", *ttl)
	}
	if *secret == "" {
		b, err := os.ReadFile(filepath.Join(*data, secretFile))
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no JWT secret: set JWT_SECRET_KEY or start the server once with -data %s", *data)
		}
		if err != nil {
			return err
		}
		*secret = strings.TrimSpace(string(b))
	}
	a, err := auth.New(auth.Config{Secret: []byte(*secret)})
	if err != nil {
		return err
	}
	tok, err := a.Issue(r, *node, *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// newSecret returns 32 random bytes as 64 hex characters: a valid HS256 secret and a valid
// ENCRYPTION_KEY alike.
func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// loadOrCreate returns the content of path, creating it with gen's value (mode 0600, created
// exclusively so two starting processes cannot write different secrets) when it does not exist.
func loadOrCreate(path string, gen func() (string, error)) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%s is empty", path)
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("%s is readable by others (mode %s); chmod 600 it", path, fi.Mode().Perm())
		}
		return v, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	v, err := gen()
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreate(path, gen)
	}
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(v + "\n"); err != nil {
		_ = f.Close()
		return "", err
	}
	return v, f.Close()
}

// redactDSN hides a password in a database URL before it is printed.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if c := strings.Index(rest[:at], ":"); c >= 0 {
				return dsn[:i+3] + rest[:c] + ":***" + rest[at:]
			}
		}
	}
	return dsn
}
