// Package web is Quell's browser interface: server-rendered pages made with html/template and
// enhanced with htmx, for the people who work incidents. It calls the use cases (casework) and
// the identity service (auth) directly, as the JSON API does beside it; neither transport
// knows the other.
//
// Every page works without script; htmx and the small script of our own (static/app.js) only
// make it quicker: filters that apply as they change, inline task updates, a Markdown preview,
// and live updates over server-sent events that refresh the parts of an incident someone else
// changed without touching a form being filled in.
//
// Safety: every response carries the shared security headers with a Content-Security-Policy
// that allows no inline script or style (internal/httpsec); every state change is a POST behind
// http.CrossOriginProtection; html/template escapes everything that comes from outside, and the
// only markup taken as is comes from internal/richtext, which sanitises it. The session cookie
// is the API's: HttpOnly, SameSite=Lax, and Secure with the __Host- prefix under TLS.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/events"
	"github.com/quell-ir/quell/internal/httpsec"
)

// Setting is one read-only server setting shown to admins on the settings page.
type Setting struct {
	Name  string
	Value string
	Help  string
}

// Subscriber gives the change notices of an organisation until ctx ends; *events.Broker is one.
type Subscriber interface {
	Subscribe(ctx context.Context, orgID string) <-chan events.Event
}

// Config tunes the web UI.
type Config struct {
	// SecureCookies marks the session cookie Secure with the __Host- prefix (under TLS).
	SecureCookies bool
	// Version is shown in the footer and on the settings page.
	Version string
	// Settings are shown, read-only, on the settings page.
	Settings []Setting
	// Events feeds live updates; nil turns them off.
	Events Subscriber
	// Heartbeat is how often an idle live-update stream sends a comment to keep proxies from
	// closing it (default 25 seconds).
	Heartbeat time.Duration
	// MaxFormBytes bounds a form body (default 1 MiB).
	MaxFormBytes int64
	// Now is the clock; time.Now by default.
	Now func() time.Time
}

// Server serves the web UI.
type Server struct {
	cfg     Config
	cases   *casework.Service
	auth    *auth.Service
	log     *slog.Logger
	pages   *pages
	assets  *staticFiles
	handler http.Handler

	// streams ends the live-update streams when the server shuts down.
	streams     context.Context
	stopStreams context.CancelFunc
	stopOnce    sync.Once
}

// New builds the UI. It compiles every template, so a broken template fails here, at start-up.
func New(cfg Config, cases *casework.Service, authn *auth.Service, log *slog.Logger) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 25 * time.Second
	}
	if cfg.MaxFormBytes <= 0 {
		cfg.MaxFormBytes = 1 << 20
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if log == nil {
		log = slog.Default()
	}
	assets, err := loadStatic()
	if err != nil {
		return nil, err
	}
	pg, err := loadPages(assets)
	if err != nil {
		return nil, err
	}
	srv := &Server{cfg: cfg, cases: cases, auth: authn, log: log, pages: pg, assets: assets}
	srv.streams, srv.stopStreams = context.WithCancel(context.Background())
	srv.handler = httpsec.Headers(srv.routes())
	return srv, nil
}

// Handler is the http.Handler of the whole UI.
func (srv *Server) Handler() http.Handler { return srv.handler }

// Shutdown ends the live-update streams, which would otherwise keep their connections busy
// until the shutdown deadline; browsers reconnect to whichever server answers next. It is
// meant for http.Server.RegisterOnShutdown and may be called more than once.
func (srv *Server) Shutdown() {
	srv.stopOnce.Do(srv.stopStreams)
}

func (srv *Server) now() time.Time { return srv.cfg.Now() }
