// Package httpapi is Quell's JSON API under /api/v1, with the health, readiness and metrics
// endpoints beside it. Every route is declared once in a table (routes.go) with the least role
// it needs; the same table builds the router, the OpenAPI document and the authorization tests.
// Handlers return errors; one function maps them to RFC 9457 problem documents, and only
// errors meant for the client reach it.
package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/intake"
	"github.com/quell-ir/quell/internal/store"
)

// Config tunes the API.
type Config struct {
	// MaxBodyBytes bounds a request body (default 1 MiB).
	MaxBodyBytes int64
	// SecureCookies marks the session cookie Secure and gives it the __Host- prefix; set it
	// when Quell is served over TLS (directly or behind a TLS-terminating proxy).
	SecureCookies bool
	// Version is reported by the OpenAPI document.
	Version string
	// Registerer receives the API's metrics; nil uses a private registry.
	Registerer prometheus.Registerer
	// Gatherer serves /metrics; nil serves the private registry.
	Gatherer prometheus.Gatherer
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// Intake takes alerts in; nil answers the intake routes with 503.
	Intake *intake.Service
}

// Server serves the API.
type Server struct {
	cfg     Config
	cases   *casework.Service
	auth    *auth.Service
	store   store.Store
	log     *slog.Logger
	metrics *metrics
	handler http.Handler
	// openapiDoc is the OpenAPI document, built once.
	openapiDoc []byte
}

// New returns a Server.
func New(cfg Config, st store.Store, cases *casework.Service, authn *auth.Service, log *slog.Logger) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	if cfg.Registerer == nil || cfg.Gatherer == nil {
		reg := prometheus.NewRegistry()
		cfg.Registerer, cfg.Gatherer = reg, reg
	}
	s := &Server{cfg: cfg, cases: cases, auth: authn, store: st, log: log}
	s.metrics = newMetrics(cfg.Registerer)
	s.handler = s.buildHandler()
	s.openapiDoc, _ = json.MarshalIndent(OpenAPI(cfg.Version, Routes()), "", "  ")
	return s
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// Handler is the http.Handler of the whole API.
func (s *Server) Handler() http.Handler { return s.handler }
