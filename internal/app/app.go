// Package app wires Quell's server together and runs its lifecycle: it opens the store (SQLite
// in the data directory, or PostgreSQL), bootstraps the first admin, builds the use cases, the
// job queue, alert intake with its listeners and the HTTP server, starts them in order and
// stops them in reverse order. Every resource acquired is pushed on a cleanup stack, so that a
// failed start and a graceful stop release the same things the same way.
//
// The admin verbs that work directly on a data directory or database (migrate, the move to
// PostgreSQL, user create, audit verify, backup, restore) live here too, so cmd/quell stays a
// thin shell around them.
package app

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/config"
	"github.com/quell-ir/quell/internal/events"
	"github.com/quell-ir/quell/internal/httpapi"
	"github.com/quell-ir/quell/internal/httpsec"
	"github.com/quell-ir/quell/internal/intake"
	"github.com/quell-ir/quell/internal/intake/email"
	"github.com/quell-ir/quell/internal/intake/syslog"
	"github.com/quell-ir/quell/internal/jobs"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/web"
)

// DatabaseFile is the name of the SQLite database inside the data directory.
const DatabaseFile = "quell.db"

// HTTP server timeouts. Request bodies are small (the API caps them), so a client that takes
// longer than these is stuck or hostile.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = time.Minute
	writeTimeout      = 2 * time.Minute
	idleTimeout       = 2 * time.Minute
)

// correlationBudget bounds a correlation run on SQLite while intake is busy. There a run holds
// the one writer, and an alert that opens an incident costs about a millisecond of it: a run
// of 250 such alerts kept intake commits waiting a quarter of a second. (With 25 ms, a flood
// of Alertmanager alerts that open incidents was taken about 30 % faster, its p95 latency
// fell from 76 to 46 ms, and the correlation backlog it left was larger.) On PostgreSQL
// intake and correlation write side by side, and bounded runs were measured to slow intake
// down, so runs there are not bounded.
const correlationBudget = 25 * time.Millisecond

// App is one Quell server.
type App struct {
	cfg     config.Config
	log     *slog.Logger
	stdout  io.Writer
	version string

	store    store.Store
	events   *events.Broker
	cases    *casework.Service
	auth     *auth.Service
	jobs     *jobs.Service
	intake   *intake.Service
	correl   *intake.Correlator
	syslog   *syslog.Listener
	smtp     *email.Server
	registry *prometheus.Registry
	server   *http.Server
	boot     auth.BootstrapResult

	mu       sync.Mutex
	cleanup  []step // undone in reverse order by Stop
	addr     net.Addr
	started  bool
	stopped  bool
	serveErr chan error
}

// step is one entry of the cleanup stack.
type step struct {
	name string
	undo func(context.Context) error
}

// Option tunes New.
type Option func(*App)

// WithStdout sets where the start-up banner (URL and first login) is printed; os.Stdout by
// default.
func WithStdout(w io.Writer) Option { return func(a *App) { a.stdout = w } }

// WithVersion sets the version reported by the API.
func WithVersion(v string) Option { return func(a *App) { a.version = v } }

// New validates cfg, opens (and migrates) the database, bootstraps the first admin on a new
// installation, and builds the services and the HTTP server. Nothing listens until Start.
func New(cfg config.Config, logger *slog.Logger, opts ...Option) (_ *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &App{cfg: cfg, log: logger, stdout: os.Stdout, version: "dev", serveErr: make(chan error, 1)}
	for _, o := range opts {
		o(a)
	}
	defer func() {
		if err != nil {
			_ = a.unwind(context.Background())
		}
	}()
	ctx := context.Background()

	logger.Debug("configuration", "data", cfg.Data, "listen", cfg.Listen, "tls", cfg.TLSEnabled(),
		"secure_cookies", cfg.Secure(), "max_body_bytes", cfg.MaxBodyBytes, "session_ttl", cfg.SessionTTL,
		"shutdown_timeout", cfg.ShutdownTimeout, "admin_user", cfg.Admin.User, "allow_unsafe_sync", cfg.AllowUnsafeSync)
	be, err := openBackend(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	st := be.Store
	a.store = st
	a.push("close the database", func(context.Context) error { return st.Close() })
	if cfg.AllowUnsafeSync {
		logger.Warn("allow_unsafe_sync is on: the last writes before a power failure may be lost")
	}

	// Committed changes are announced to the web UI's live updates, on every node.
	a.events = events.NewBroker(0)
	publisher := casework.Publisher(a.events)
	if be.pg != nil {
		rl := newRelay(a.events, casework.NewID(), logger)
		relayCtx, stopRelay := context.WithCancel(context.Background())
		listening := make(chan struct{})
		var once sync.Once
		go rl.run(relayCtx, be.pg, func() { once.Do(func() { close(listening) }) })
		a.push("stop relaying changes between nodes", func(context.Context) error { stopRelay(); return nil })
		select {
		case <-listening:
		case <-time.After(5 * time.Second):
			logger.Warn("not yet listening for other nodes' changes; live updates from them start when it does")
		}
		publisher = rl
	}
	rules, err := loadRules(cfg.Intake.Rules)
	if err != nil {
		return nil, err
	}
	obl, err := loadObligations(cfg.Obligations)
	if err != nil {
		return nil, err
	}
	a.cases = casework.New(st, casework.Options{Logger: logger, Events: publisher, Rules: rules, CheckSource: intake.CheckSource,
		Obligations: obl.rules, SLA: obl.policy})
	a.auth = auth.New(st, auth.Options{Logger: logger, SessionTTL: cfg.SessionTTL})

	// The job queue must be ready to enqueue before anything writes.
	a.jobs, err = be.newJobs(ctx, a.cases, jobs.Options{Logger: logger})
	if err != nil {
		return nil, err
	}

	// Alert intake: the group committer, then the correlation worker it wakes.
	a.correl = intake.NewCorrelator(func(ctx context.Context, limit int, bounded bool) (int, bool, error) {
		var budget time.Duration
		if bounded && !cfg.Postgres() {
			budget = correlationBudget
		}
		out, err := a.cases.CorrelatePending(ctx, limit, budget)
		return out.Looked, out.More, err
	}, 0, 0, logger)
	a.intake = intake.New(st, intake.Options{
		Logger: logger, BatchSize: cfg.Intake.BatchSize, BatchDelay: cfg.Intake.BatchDelay, QueueSize: cfg.Intake.QueueSize,
		MaxRawBySource: map[string]int{email.Source: int(cmp.Or(cfg.Intake.SMTP.MaxBytes, email.DefaultMaxMessageBytes))},
		OnCommit: func(orgIDs []string) {
			for _, org := range orgIDs {
				publisher.Publish(org, "", "alerts.ingested")
			}
			a.correl.Wake()
		},
	})
	a.intake.Start()
	a.push("commit the queued alerts", a.intake.Close)
	a.correl.Start()
	a.push("stop correlation", a.correl.Stop)

	a.boot, err = a.auth.Bootstrap(ctx, cfg.Admin.User, cfg.Admin.Password)
	if err != nil {
		return nil, fmt.Errorf("bootstrap the admin account: %w", err)
	}
	if a.boot.Created {
		logger.Info("admin account created", "username", a.boot.Username, "generated_password", a.boot.Password != "")
	} else if cfg.Admin.Password != "" {
		logger.Info("admin.password is ignored: the installation already has users")
	}
	if err := a.loadPlaybooks(ctx, cfg.Playbooks.Dir, logger); err != nil {
		return nil, err
	}
	if err := a.startListeners(ctx, cfg, logger); err != nil {
		return nil, err
	}

	a.registry = prometheus.NewRegistry()
	a.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	a.registerIntakeMetrics()
	api := httpapi.New(httpapi.Config{
		MaxBodyBytes:  cfg.MaxBodyBytes,
		SecureCookies: cfg.Secure(),
		Version:       a.version,
		Registerer:    a.registry,
		Gatherer:      a.registry,
		Intake:        a.intake,
	}, st, a.cases, a.auth, logger)
	ui, err := web.New(web.Config{
		SecureCookies: cfg.Secure(),
		Version:       a.version,
		Settings:      settingsOf(cfg),
		Events:        a.events,
	}, a.cases, a.auth, logger)
	if err != nil {
		return nil, err
	}
	a.push("end the live-update streams", func(context.Context) error { ui.Shutdown(); return nil })

	a.server = &http.Server{
		Handler:           routes(api.Handler(), ui.Handler()),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if cfg.TLSEnabled() {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.Cert, cfg.TLS.Key)
		if err != nil {
			return nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		a.server.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	// Live-update streams never go idle; end them when the server shuts down.
	a.server.RegisterOnShutdown(ui.Shutdown)
	return a, nil
}

// routes serves the JSON API, health, readiness and metrics from the API and everything else
// from the web UI, with the security headers on every response either way.
func routes(api, ui http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/api/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, api)
	}
	mux.Handle("/", ui)
	return httpsec.Headers(mux)
}

// Handler is the HTTP handler of the whole server (API and UI), for tests that serve it
// themselves.
func (a *App) Handler() http.Handler { return a.server.Handler }

// ensureDataDir creates the data directory with mode 0700, and warns when an existing one is
// open to other users.
func ensureDataDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the data directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("data directory %s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the data directory is readable by other users; consider chmod 700", "dir", dir, "mode", fi.Mode().Perm().String())
	}
	return nil
}

func (a *App) push(name string, undo func(context.Context) error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cleanup = append(a.cleanup, step{name: name, undo: undo})
}

// Start listens, starts the job workers and serves HTTP. It prints where Quell is running
// and, on the first start, how to log in.
func (a *App) Start(ctx context.Context) error {
	a.mu.Lock()
	if a.started || a.stopped {
		a.mu.Unlock()
		return errors.New("app: already started")
	}
	a.started = true
	a.mu.Unlock()

	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Listen, err)
	}
	a.mu.Lock()
	a.addr = ln.Addr()
	a.mu.Unlock()

	if err := a.jobs.Start(ctx); err != nil {
		_ = ln.Close()
		return err
	}
	a.push("stop the job workers", a.jobs.Stop)

	go func() {
		var err error
		if a.cfg.TLSEnabled() {
			err = a.server.ServeTLS(ln, "", "")
		} else {
			err = a.server.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			a.serveErr <- fmt.Errorf("http server: %w", err)
		}
		close(a.serveErr)
	}()
	a.push("stop the HTTP server", func(ctx context.Context) error {
		err := a.server.Shutdown(ctx)
		if err != nil {
			a.log.Warn("requests still running at the shutdown deadline; closing their connections")
			err = errors.Join(err, a.server.Close())
		}
		return err
	})

	a.log.Info("quell started", "version", a.version, "url", a.URL(), "data", a.cfg.Data)
	a.printBanner()
	return nil
}

// printBanner tells the person who started Quell where it runs and how to log in.
func (a *App) printBanner() {
	url := a.URL()
	var b strings.Builder
	fmt.Fprintf(&b, "Quell is running at %s\n", url)
	if a.boot.Created {
		user := a.boot.Username
		if a.boot.Password != "" {
			fmt.Fprintf(&b, "\nAn admin account was created:\n  user name: %s\n  password:  %s\n", user, a.boot.Password)
			fmt.Fprintf(&b, "This password is shown only this once. Keep it, or change it after logging in.\n")
		} else {
			fmt.Fprintf(&b, "\nLog in as %q with the password you set.\n", user)
		}
		fmt.Fprintf(&b, "\nFrom the command line:\n  quell login --server %s --username %s\n", url, user)
	}
	_, _ = io.WriteString(a.stdout, b.String())
}

// Addr is the address the server listens on, once started (useful with port 0).
func (a *App) Addr() net.Addr {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.addr
}

// URL is the base URL of the server, once started. An unspecified host (such as :8080 or
// 0.0.0.0:8080) is shown as localhost.
func (a *App) URL() string {
	addr := a.Addr()
	if addr == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	scheme := "http"
	if a.cfg.TLSEnabled() {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// Err reports a failure of the HTTP server after Start; it is closed when the server stops.
func (a *App) Err() <-chan error { return a.serveErr }

// Stop shuts down in reverse order of start: the HTTP server stops accepting and lets
// in-flight requests finish, the job workers finish their running jobs, then the database
// closes. What is not done when ctx ends is cut short. Stop may be called more than once.
func (a *App) Stop(ctx context.Context) error {
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return nil
	}
	a.stopped = true
	a.mu.Unlock()
	a.log.Info("quell stopping")
	err := a.unwind(ctx)
	if err != nil {
		a.log.Error("quell stopped with errors", "err", err)
	} else {
		a.log.Info("quell stopped")
	}
	return err
}

// unwind runs the cleanup stack, last step first, and empties it.
func (a *App) unwind(ctx context.Context) error {
	a.mu.Lock()
	steps := a.cleanup
	a.cleanup = nil
	a.mu.Unlock()
	var errs []error
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		start := time.Now()
		if err := s.undo(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
			continue
		}
		a.log.Debug("shutdown step done", "step", s.name, "took", time.Since(start))
	}
	return errors.Join(errs...)
}

// Run starts the app and runs it until ctx is done (a signal) or the HTTP server fails, then
// stops it within the configured shutdown timeout.
func (a *App) Run(ctx context.Context) error {
	if err := a.Start(ctx); err != nil {
		_ = a.Stop(context.Background())
		return err
	}
	var runErr error
	select {
	case <-ctx.Done():
		a.log.Info("signal received; shutting down", "timeout", a.cfg.ShutdownTimeout)
	case err, ok := <-a.serveErr:
		if ok {
			runErr = err
		}
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	return errors.Join(runErr, a.Stop(stopCtx))
}

// NewLogger returns the logger the configuration asks for, writing to w.
func NewLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	switch c.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// loadRules reads the correlation rules from a file, or returns the shipped defaults.
func loadRules(path string) (*alert.Rules, error) {
	if path == "" {
		return alert.DefaultRules(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("intake.rules: %w", err)
	}
	r, err := alert.ParseRules(b)
	if err != nil {
		return nil, fmt.Errorf("intake.rules %s: %w", path, err)
	}
	return r, nil
}
