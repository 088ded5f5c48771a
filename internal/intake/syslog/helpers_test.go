package syslog

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
)

// waitTimeout bounds every wait for something the listener does in the background.
const waitTimeout = 10 * time.Second

// recorder is a sink that keeps what it is given. While gate is open (non-nil and not closed)
// each call waits for it; fail, when set, is returned instead of keeping the alerts.
type recorder struct {
	mu      sync.Mutex
	alerts  []alert.Input
	calls   int
	changed chan struct{}
	gate    chan struct{}
	entered chan struct{}
	fail    func(call int) error
}

func newRecorder() *recorder {
	return &recorder{changed: make(chan struct{}, 1), entered: make(chan struct{}, 100)}
}

func (r *recorder) sink(ctx context.Context, in []alert.Input) error {
	r.mu.Lock()
	r.calls++
	call, gate, fail := r.calls, r.gate, r.fail
	r.mu.Unlock()
	select {
	case r.entered <- struct{}{}:
	default:
	}
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
	select {
	case r.changed <- struct{}{}:
	default:
	}
	return nil
}

// wait returns the alerts once there are at least n, failing the test after waitTimeout.
func (r *recorder) wait(t *testing.T, n int) []alert.Input {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		r.mu.Lock()
		got := append([]alert.Input(nil), r.alerts...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("waited %s for %d alerts, have %d", waitTimeout, n, len(got))
		}
	}
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.alerts)
}

// byTitle indexes alerts by title.
func byTitle(t *testing.T, alerts []alert.Input) map[string]alert.Input {
	t.Helper()
	out := map[string]alert.Input{}
	for _, a := range alerts {
		require.NotContains(t, out, a.Title, "two alerts titled %q", a.Title)
		out[a.Title] = a
	}
	return out
}

// start makes and starts a listener on loopback ports, stopped when the test ends.
func start(t *testing.T, cfg Config, sink Sink) *Listener {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	l, err := New(cfg, sink)
	require.NoError(t, err)
	require.NoError(t, l.Start(t.Context()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = l.Shutdown(ctx)
	})
	return l
}

// eventually waits until cond holds, failing the test after waitTimeout.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, waitTimeout, 5*time.Millisecond, msg)
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool that trusts it.
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
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
