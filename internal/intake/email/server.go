// Package email takes phishing reports by SMTP: users forward suspect messages to a report
// address, the organisation's mail relay hands them to this listener, and each report becomes an
// alert with the indicators of the suspect message (senders, links, domains, the addresses of its
// Received chain, attachment names and hashes).
//
// The listener is meant to sit behind the organisation's mail relay, not on the internet: it
// takes no AUTH and accepts mail only for the addresses and domains on its recipient allow-list
// (an empty list refuses every recipient). It answers 250 only once the sink has durably
// committed the report, 451 when the sink fails (the relay retries), 552 over the size limit and
// 554 for a message with nothing in it to report.
//
// ParseReport reads a report without the network.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/net/netutil"

	"github.com/quell-ir/quell/internal/alert"
)

// Sink takes alert inputs and returns once they are durably committed (or with an error).
type Sink func(ctx context.Context, in []alert.Input) error

// Defaults for the zero values of Config.
const (
	DefaultMaxMessageBytes = 25 << 20
	DefaultMaxRecipients   = 50
	DefaultMaxConnections  = 20
	DefaultReadTimeout     = 2 * time.Minute
	DefaultWriteTimeout    = 2 * time.Minute
	DefaultSinkTimeout     = 30 * time.Second
)

// Config sets up a Server.
type Config struct {
	// Addr is the address to listen on ("host:port"; port 0 picks a free one).
	Addr string
	// Domain is the name the server gives in its greeting (the host name when empty).
	Domain string
	// MaxMessageBytes is the largest message taken (DefaultMaxMessageBytes when 0); a larger one
	// is refused with 552.
	MaxMessageBytes int64
	// MaxRecipients bounds the recipients of one message (DefaultMaxRecipients when 0).
	MaxRecipients int
	// MaxConnections bounds the sessions served at once (DefaultMaxConnections when 0); a
	// connection past it waits to be accepted. Each session may hold a message of
	// MaxMessageBytes in memory.
	MaxConnections int
	// AllowedRecipients are the addresses ("phish@example.org") and domains ("example.org" or
	// "@example.org") mail is taken for; any other recipient is refused with 550. An empty list
	// refuses every recipient.
	AllowedRecipients []string
	// TLSConfig, when set, offers STARTTLS.
	TLSConfig *tls.Config
	// ReadTimeout and WriteTimeout bound each read and write on a connection
	// (DefaultReadTimeout and DefaultWriteTimeout when 0).
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// SinkTimeout bounds one sink call (DefaultSinkTimeout when 0).
	SinkTimeout time.Duration
	// Logger receives the server's logs (slog.Default when nil).
	Logger *slog.Logger
	// Now is the clock, used to keep a report's time from lying in the future (time.Now when nil).
	Now func() time.Time
}

// Server is the SMTP listener for phishing reports.
type Server struct {
	cfg       Config
	sink      Sink
	log       *slog.Logger
	now       func() time.Time
	addrs     map[string]bool
	domains   map[string]bool
	smtp      *smtp.Server
	ctx       context.Context
	cancel    context.CancelFunc
	mu        sync.Mutex
	ln        net.Listener
	serveDone chan struct{}
}

// New checks the configuration and returns a Server that does not listen until Start.
func New(cfg Config, sink Sink) (*Server, error) {
	if sink == nil {
		return nil, errors.New("email: a sink is required")
	}
	if cfg.Addr == "" {
		return nil, errors.New("email: no address to listen on")
	}
	if cfg.MaxMessageBytes < 0 || cfg.MaxRecipients < 0 || cfg.MaxConnections < 0 || cfg.ReadTimeout < 0 ||
		cfg.WriteTimeout < 0 || cfg.SinkTimeout < 0 {
		return nil, errors.New("email: limits and timeouts must not be negative")
	}
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.MaxRecipients == 0 {
		cfg.MaxRecipients = DefaultMaxRecipients
	}
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.SinkTimeout == 0 {
		cfg.SinkTimeout = DefaultSinkTimeout
	}
	s := &Server{cfg: cfg, sink: sink, log: cfg.Logger, now: cfg.Now, addrs: map[string]bool{}, domains: map[string]bool{}}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "smtp")
	if s.now == nil {
		s.now = time.Now
	}
	for _, a := range cfg.AllowedRecipients {
		a = strings.ToLower(strings.TrimSpace(a))
		switch {
		case a == "":
		case strings.HasPrefix(a, "@"):
			s.domains[a[1:]] = true
		case strings.Contains(a, "@"):
			s.addrs[a] = true
		default:
			s.domains[a] = true
		}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	srv := smtp.NewServer(backend{s})
	srv.Addr = cfg.Addr
	srv.Domain = cfg.Domain
	if srv.Domain == "" {
		srv.Domain = "localhost"
	}
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = cfg.MaxRecipients
	srv.ReadTimeout = cfg.ReadTimeout
	srv.WriteTimeout = cfg.WriteTimeout
	srv.TLSConfig = cfg.TLSConfig
	srv.ErrorLog = slogPrinter{s.log}
	s.smtp = srv
	return s, nil
}

// Start listens and serves in the background.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return errors.New("email: already started")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("email: listen %s: %w", s.cfg.Addr, err)
	}
	s.ln = netutil.LimitListener(ln, s.cfg.MaxConnections)
	s.serveDone = make(chan struct{})
	if len(s.addrs) == 0 && len(s.domains) == 0 {
		s.log.Warn("the recipient allow-list is empty: every report will be refused")
	}
	go func() {
		defer close(s.serveDone)
		if err := s.smtp.Serve(s.ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			s.log.Error("smtp server stopped", "err", err)
		}
	}()
	s.log.Info("listening", "addr", ln.Addr().String(), "starttls", s.cfg.TLSConfig != nil)
	return nil
}

// Addr is the bound address, nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Shutdown stops listening and waits for the sessions in progress to end (a session in DATA
// waits for its sink call); when ctx ends first the connections are closed and the sink calls
// cancelled, and ctx's error is returned. A Server that was never started has nothing to stop.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	started := s.ln != nil
	s.mu.Unlock()
	if !started {
		return nil
	}
	err := s.smtp.Shutdown(ctx)
	if errors.Is(err, smtp.ErrServerClosed) {
		err = nil
	}
	// The SMTP server closes the listeners it has begun to serve; this one may not have begun.
	_ = s.ln.Close()
	if err != nil {
		_ = s.smtp.Close()
		s.cancel()
		return err
	}
	s.cancel()
	<-s.serveDone
	return nil
}

// Close closes the listener and every connection at once; a report in DATA is not
// acknowledged, so its relay sends it again.
func (s *Server) Close() error {
	s.cancel()
	if err := s.smtp.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return err
	}
	return nil
}

// allowed reports whether mail for a recipient is taken.
func (s *Server) allowed(rcpt string) bool {
	rcpt = strings.ToLower(strings.TrimSpace(rcpt))
	if s.addrs[rcpt] {
		return true
	}
	at := strings.LastIndexByte(rcpt, '@')
	return at >= 0 && s.domains[rcpt[at+1:]]
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	remote := ""
	if c != nil && c.Conn() != nil {
		remote = c.Conn().RemoteAddr().String()
	}
	return &session{s: b.s, remote: remote}, nil
}

// session is one SMTP connection's state.
type session struct {
	s      *Server
	remote string
	from   string
	rcpts  []string
}

func (ss *session) Reset() {
	ss.from, ss.rcpts = "", nil
}

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from, ss.rcpts = from, nil
	return nil
}

var errRecipient = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
	Message: "Recipient not accepted here"}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !ss.s.allowed(to) {
		ss.s.log.Info("recipient refused", "remote", ss.remote, "rcpt", to)
		return errRecipient
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		if errors.Is(err, smtp.ErrDataTooLarge) {
			ss.s.log.Info("report refused: too large", "remote", ss.remote, "from", ss.from)
		}
		return err // go-smtp answers 552 for ErrDataTooLarge
	}
	in, err := ParseReport(raw, ss.from)
	if err != nil {
		ss.s.log.Info("report refused: unusable", "remote", ss.remote, "from", ss.from, "err", err)
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message: "No report in this message: " + strings.TrimPrefix(err.Error(), "email: ")}
	}
	if len(ss.rcpts) > 0 {
		in.Labels["recipient"] = strings.ToLower(strings.Join(ss.rcpts, ", "))
	}
	if in.OccurredAt.After(ss.s.now()) {
		in.OccurredAt = time.Time{} // a Date in the future is the sender's lie; take the time of intake
	}
	ctx, cancel := context.WithTimeout(ss.s.ctx, ss.s.cfg.SinkTimeout)
	defer cancel()
	if err := ss.s.sink(ctx, []alert.Input{in}); err != nil {
		ss.s.log.Error("sink failed; the relay will retry", "remote", ss.remote, "from", ss.from, "err", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
			Message: "Report not stored, try again later"}
	}
	ss.s.log.Info("report taken", "remote", ss.remote, "from", ss.from, "title", in.Title,
		"observables", len(in.Observables))
	return nil
}

// slogPrinter carries go-smtp's log lines to slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) {
	p.log.Warn(strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (p slogPrinter) Println(v ...any) {
	p.log.Warn(strings.TrimSpace(fmt.Sprintln(v...)))
}
