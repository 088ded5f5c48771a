package httpapi

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/httpsec"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quell_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "quell_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// ContentSecurityPolicy is sent on every response: nothing may load or run but what Quell
// serves itself, with no inline script or style. It is the policy the web UI sends too.
const ContentSecurityPolicy = httpsec.ContentSecurityPolicy

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) buildHandler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range Routes() {
		mux.Handle(rt.ID(), s.wrap(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeProblem(w, r, httpError(http.StatusNotFound, "There is no such endpoint. The API is described at /api/v1/openapi.json."))
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeProblem(w, r, httpError(http.StatusForbidden, "Cross-origin requests that change state are refused."))
	}))
	protected := cop.Handler(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpsec.SetHeaders(w.Header())
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
				s.writeProblem(w, r, errors.New("panic"))
			}
		}()
		protected.ServeHTTP(w, r)
	})
}

// wrap turns a route into a handler: body limit, authentication, role check, metrics, and
// the mapping of the handler's error to a problem document.
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			code := rec.status
			if code == 0 {
				code = http.StatusOK
			}
			s.metrics.requests.WithLabelValues(rt.ID(), strconv.Itoa(code)).Inc()
			s.metrics.duration.WithLabelValues(rt.ID()).Observe(time.Since(start).Seconds())
		}()
		r.Body = http.MaxBytesReader(rec, r.Body, s.cfg.MaxBodyBytes)
		var p access.Principal
		var err error
		if rt.Min != IntakeToken {
			// Intake routes authenticate the intake source themselves.
			p, err = s.authenticate(r)
		}
		if err == nil && rt.Min != Public && rt.Min != IntakeToken {
			switch {
			case p.UserID == "":
				err = auth.ErrUnauthenticated
			case !p.Can(rt.Min):
				err = httpError(http.StatusForbidden, "Your role (%s) cannot do this; it needs %s.", p.Effective(), rt.Min)
			}
		}
		if err == nil {
			err = rt.handle(s, rec, r, p)
		}
		if err != nil {
			s.writeProblem(rec, r, err)
		}
	})
}

// authenticate finds the principal of a request from its bearer token or session cookie. A
// request with neither is anonymous (the zero principal); a bad token is an error.
func (s *Server) authenticate(r *http.Request) (access.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return access.Principal{}, auth.ErrUnauthenticated
		}
		return s.auth.AuthenticateToken(r.Context(), strings.TrimSpace(token))
	}
	if c, err := r.Cookie(s.cookieName()); err == nil && c.Value != "" {
		p, err := s.auth.AuthenticateSession(r.Context(), c.Value)
		if errors.Is(err, auth.ErrUnauthenticated) {
			return access.Principal{}, nil
		}
		return p, err
	}
	return access.Principal{}, nil
}

// SessionCookie is the name of the session cookie the API and the web UI share.
const SessionCookie = auth.SessionCookie

func (s *Server) cookieName() string { return auth.SessionCookieName(s.cfg.SecureCookies) }

func (s *Server) sessionSecret(r *http.Request) string {
	if c, err := r.Cookie(s.cookieName()); err == nil {
		return c.Value
	}
	return ""
}

func (s *Server) setSessionCookie(w http.ResponseWriter, secret string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: secret, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// clientAddr is the address failed logins are counted against: the peer's IP.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ access.Principal) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ok\n"))
	return err
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	if err := s.store.Ping(r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		w.Header().Set("Retry-After", "5")
		http.Error(w, "storage unavailable", http.StatusServiceUnavailable)
		return nil
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ready\n"))
	return err
}
