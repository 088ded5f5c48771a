package email

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
)

const waitTimeout = 10 * time.Second

// recorder is a sink that keeps what it is given; fail, when set, decides a call's error, and
// gate, when set, holds each call until it is closed.
type recorder struct {
	mu      sync.Mutex
	alerts  []alert.Input
	calls   int
	fail    func(call int) error
	gate    chan struct{}
	entered chan struct{}
}

func newRecorder() *recorder { return &recorder{entered: make(chan struct{}, 16)} }

func (r *recorder) sink(ctx context.Context, in []alert.Input) error {
	r.mu.Lock()
	r.calls++
	call, fail, gate := r.calls, r.fail, r.gate
	r.mu.Unlock()
	r.entered <- struct{}{}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if fail != nil {
		if err := fail(call); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.alerts = append(r.alerts, in...)
	r.mu.Unlock()
	return nil
}

func (r *recorder) got() []alert.Input {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]alert.Input(nil), r.alerts...)
}

func start(t *testing.T, cfg Config, sink Sink) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.AllowedRecipients == nil {
		cfg.AllowedRecipients = []string{"phish@corp.example", "@reports.corp.example"}
	}
	cfg.Domain = "quell.corp.example"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := New(cfg, sink)
	require.NoError(t, err)
	require.NoError(t, s.Start(t.Context()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

// dial opens an SMTP client session, saying HELO as a relay would.
func dial(t *testing.T, s *Server) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(s.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Hello("relay.corp.example"))
	return c
}

// deliver sends one message in a session and returns the server's final answer to DATA.
func deliver(t *testing.T, c *smtp.Client, from string, to []string, msg string) error {
	t.Helper()
	require.NoError(t, c.Mail(from))
	for _, r := range to {
		require.NoError(t, c.Rcpt(r))
	}
	w, err := c.Data()
	require.NoError(t, err)
	_, err = io.WriteString(w, msg)
	require.NoError(t, err)
	return w.Close()
}

func code(t *testing.T, err error) int {
	t.Helper()
	var te *textproto.Error
	require.True(t, errors.As(err, &te), "want an SMTP reply, got %v", err)
	return te.Code
}

// A real SMTP client session delivers a report with the suspect attached, and one forwarded
// inline; each becomes an alert with its indicators and the exact bytes of the report.
func TestSMTPDeliversReports(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := start(t, Config{}, rec.sink)
	c := dial(t, s)
	require.NoError(t, deliver(t, c, "alice@corp.example", []string{"phish@corp.example"}, attachedReport))
	require.NoError(t, deliver(t, c, "carol@corp.example", []string{"Triage@Reports.Corp.Example"}, inlineReport))
	require.NoError(t, c.Quit())

	got := rec.got()
	require.Len(t, got, 2)
	checkAttachedReport(t, got[0])
	require.Equal(t, []byte(attachedReport), got[0].Raw, "the raw report is the exact message bytes")
	require.Contains(t, string(got[0].Raw), "\r\n.and this line starts with a dot\r\n", "dot-stuffing undone")
	require.Equal(t, "phish@corp.example", got[0].Labels["recipient"])
	require.Equal(t, "alice@corp.example", got[0].Labels["envelope_from"])

	checkInlineReport(t, got[1])
	require.Equal(t, []byte(inlineReport), got[1].Raw)
	require.Equal(t, "triage@reports.corp.example", got[1].Labels["recipient"])
}

func TestSMTPRefusesRecipientsNotOnTheAllowList(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := start(t, Config{}, rec.sink)
	c := dial(t, s)
	require.NoError(t, c.Mail("alice@corp.example"))
	for _, rcpt := range []string{"ceo@corp.example", "phish@corp.example.evil.example", "phish@other.example"} {
		require.Equal(t, 550, code(t, c.Rcpt(rcpt)), rcpt)
	}
	require.NoError(t, c.Rcpt("PHISH@corp.example"))
	require.NoError(t, c.Quit())

	// An empty allow-list refuses everything.
	s = start(t, Config{AllowedRecipients: []string{}}, rec.sink)
	c = dial(t, s)
	require.NoError(t, c.Mail("alice@corp.example"))
	require.Equal(t, 550, code(t, c.Rcpt("phish@corp.example")))
	require.Empty(t, rec.got())
}

func TestSMTPRefusesMessagesOverTheSizeLimit(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := start(t, Config{MaxMessageBytes: 4096}, rec.sink)
	c := dial(t, s)
	big := inlineReport + strings.Repeat("padding line to pass the limit\r\n", 200)
	require.Equal(t, 552, code(t, deliver(t, c, "carol@corp.example", []string{"phish@corp.example"}, big)))
	// The session goes on: a report within the limit is taken.
	require.NoError(t, deliver(t, c, "carol@corp.example", []string{"phish@corp.example"}, inlineReport))
	require.Len(t, rec.got(), 1)
}

// A failing sink answers 451 so the relay keeps the report and tries again; the retry is taken.
func TestSMTPSinkFailureIsTemporary(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	rec.fail = func(call int) error {
		if call == 1 {
			return errors.New("database is locked")
		}
		return nil
	}
	s := start(t, Config{}, rec.sink)
	c := dial(t, s)
	require.Equal(t, 451, code(t, deliver(t, c, "alice@corp.example", []string{"phish@corp.example"}, attachedReport)))
	require.Empty(t, rec.got())
	require.NoError(t, c.Quit())

	c = dial(t, s)
	require.NoError(t, deliver(t, c, "alice@corp.example", []string{"phish@corp.example"}, attachedReport))
	require.Len(t, rec.got(), 1)
	checkAttachedReport(t, rec.got()[0])
}

// 250 comes only once the sink has returned.
func TestSMTPAnswersOnlyAfterTheSinkCommitted(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	gate := make(chan struct{})
	rec.gate = gate
	s := start(t, Config{}, rec.sink)
	c := dial(t, s)
	answered := make(chan error, 1)
	go func() {
		require.NoError(t, c.Mail("alice@corp.example"))
		require.NoError(t, c.Rcpt("phish@corp.example"))
		w, err := c.Data()
		require.NoError(t, err)
		_, err = io.WriteString(w, inlineReport)
		require.NoError(t, err)
		answered <- w.Close()
	}()
	select {
	case <-rec.entered:
	case <-time.After(waitTimeout):
		t.Fatal("the sink was not called")
	}
	select {
	case err := <-answered:
		t.Fatalf("answered before the sink returned: %v", err)
	default:
	}
	close(gate)
	select {
	case err := <-answered:
		require.NoError(t, err)
	case <-time.After(waitTimeout):
		t.Fatal("no answer after the sink returned")
	}
	require.Len(t, rec.got(), 1)
}

func TestSMTPRefusesUnusableMessages(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := start(t, Config{}, rec.sink)
	c := dial(t, s)
	err := deliver(t, c, "x@corp.example", []string{"phish@corp.example"}, "\x00\x01\x02 binary \x00\x10\x11\x12\x13\x14\x15\x16\r\n")
	require.Equal(t, 554, code(t, err))
	require.Contains(t, err.Error(), "neither a mail message nor text")
	require.Empty(t, rec.got())
}

// A malformed message still makes an alert, marked as partly read.
func TestSMTPTakesMalformedReports(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := start(t, Config{}, rec.sink)
	c := dial(t, s)
	raw := "this is not a mail message, but a user wrote it: hxxp://phish[.]example/x\r\n"
	require.NoError(t, deliver(t, c, "ivy@corp.example", []string{"phish@corp.example"}, raw))
	got := rec.got()
	require.Len(t, got, 1)
	require.NotEmpty(t, got[0].Labels["parse_error"])
	require.Contains(t, got[0].Observables, obs(alert.ObsURL, "http://phish.example/x", "link"))
	require.Equal(t, []byte(raw), got[0].Raw)
}

// A report dated in the future takes the time of intake.
func TestSMTPFutureDates(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := start(t, Config{Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }}, rec.sink)
	c := dial(t, s)
	require.NoError(t, deliver(t, c, "carol@corp.example", []string{"phish@corp.example"}, inlineReport))
	require.True(t, rec.got()[0].OccurredAt.IsZero(), "24 November is after the clock's 1 November")
}

func TestSMTPStartTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	rec := newRecorder()
	s := start(t, Config{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}, rec.sink)
	c := dial(t, s)
	ok, _ := c.Extension("STARTTLS")
	require.True(t, ok, "STARTTLS is offered")
	require.NoError(t, c.StartTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}))
	state, ok := c.TLSConnectionState()
	require.True(t, ok)
	require.True(t, state.HandshakeComplete)
	require.NoError(t, deliver(t, c, "alice@corp.example", []string{"phish@corp.example"}, attachedReport))
	require.NoError(t, c.Quit())
	require.Len(t, rec.got(), 1)
	checkAttachedReport(t, rec.got()[0])

	// Without a TLS configuration STARTTLS is not offered.
	plain := start(t, Config{}, rec.sink)
	c = dial(t, plain)
	ok, _ = c.Extension("STARTTLS")
	require.False(t, ok)
}

func TestShutdownStopsListening(t *testing.T) {
	t.Parallel()
	s := start(t, Config{}, newRecorder().sink)
	addr := s.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, s.Shutdown(ctx))
	_, err := net.Dial("tcp", addr)
	require.Error(t, err)
	require.NoError(t, s.Shutdown(ctx), "a second Shutdown is harmless")
}

func TestNewChecksTheConfig(t *testing.T) {
	t.Parallel()
	sink := newRecorder().sink
	_, err := New(Config{}, sink)
	require.ErrorContains(t, err, "no address")
	_, err = New(Config{Addr: ":0"}, nil)
	require.ErrorContains(t, err, "sink")
	_, err = New(Config{Addr: ":0", MaxRecipients: -1}, sink)
	require.ErrorContains(t, err, "negative")
	s, err := New(Config{Addr: ":0"}, sink)
	require.NoError(t, err)
	require.NoError(t, s.Shutdown(t.Context()), "never started: nothing to stop")
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "quell test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// A connection past the limit waits to be served until a session ends.
func TestSMTPMaxConnections(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := start(t, Config{MaxConnections: 1}, rec.sink)
	first := dial(t, s)
	second := make(chan *smtp.Client, 1)
	go func() {
		c, err := smtp.Dial(s.Addr().String())
		if err == nil {
			t.Cleanup(func() { _ = c.Close() })
		}
		second <- c
	}()
	// The first session does a whole delivery while the second waits for its greeting.
	require.NoError(t, deliver(t, first, "carol@corp.example", []string{"phish@corp.example"}, inlineReport))
	select {
	case <-second:
		t.Fatal("the second session was served while the first was open")
	default:
	}
	require.NoError(t, first.Quit())
	select {
	case c := <-second:
		require.NotNil(t, c)
		require.NoError(t, c.Hello("relay.corp.example"))
		require.NoError(t, deliver(t, c, "carol@corp.example", []string{"phish@corp.example"}, inlineReport))
	case <-time.After(waitTimeout):
		t.Fatal("the second session was not served after the first ended")
	}
	require.Len(t, rec.got(), 2)
}
