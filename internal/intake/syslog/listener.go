// Package syslog takes syslog messages over UDP, TCP and TLS (RFC 5424 and RFC 3164, told apart
// per message; octet-counted and newline framing on TCP, told apart per connection) and turns
// the ones its rules pick into alerts.
//
// A Listener reads messages, parses them (ParseMessage), runs the rules (Rules, first match
// wins, no match drops) and queues the alerts; one goroutine hands them to the Sink in batches.
// The queue is bounded: when it is full a UDP message's alert is dropped and counted, while a
// TCP connection waits, which stops reading from it and so pushes back on the sender. The sink
// commits alerts durably; syslog has no acknowledgement, so a failed sink call is counted and
// logged, not retried.
package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/bits"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quell-ir/quell/internal/alert"
)

// Sink takes alert inputs and returns once they are durably committed (or with an error).
type Sink func(ctx context.Context, in []alert.Input) error

// Defaults for the zero values of Config.
const (
	DefaultMaxMessageSize = 64 << 10
	DefaultMaxConnections = 256
	DefaultIdleTimeout    = 10 * time.Minute
	DefaultBatchSize      = 256
	DefaultBatchDelay     = 5 * time.Millisecond
	DefaultQueueSize      = 4096
	DefaultSinkTimeout    = 30 * time.Second
)

// Config sets up a Listener. At least one of UDPAddr, TCPAddr and TLSAddr must be set.
type Config struct {
	// UDPAddr, TCPAddr and TLSAddr are the addresses to listen on ("host:port"; port 0 picks a
	// free one); an empty address is not listened on. TLSAddr takes RFC 5425 syslog over TLS and
	// needs TLSConfig.
	UDPAddr   string
	TCPAddr   string
	TLSAddr   string
	TLSConfig *tls.Config
	// MaxMessageSize is the longest message kept, in bytes (DefaultMaxMessageSize when 0); longer
	// ones are cut to it and counted.
	MaxMessageSize int
	// MaxConnections bounds the open TCP and TLS connections together (DefaultMaxConnections when
	// 0); a connection past it is closed at once and counted.
	MaxConnections int
	// IdleTimeout closes a TCP or TLS connection that sends nothing for this long
	// (DefaultIdleTimeout when 0).
	IdleTimeout time.Duration
	// Location is the time zone of RFC 3164 timestamps, which carry none (time.Local when nil).
	Location *time.Location
	// Rules pick the messages that become alerts (DefaultRules when it holds no rule).
	Rules Rules
	// BatchSize and BatchDelay bound a batch handed to the sink: it goes when it holds BatchSize
	// alerts or BatchDelay after its first one came, whichever is first.
	BatchSize  int
	BatchDelay time.Duration
	// QueueSize is how many alerts may wait for the sink (DefaultQueueSize when 0).
	QueueSize int
	// SinkTimeout bounds one sink call (DefaultSinkTimeout when 0).
	SinkTimeout time.Duration
	// Logger receives the listener's logs (slog.Default when nil).
	Logger *slog.Logger
	// Now is the clock, used to give RFC 3164 timestamps their year (time.Now when nil).
	Now func() time.Time
}

// Stats are the listener's counters since it was made.
type Stats struct {
	Received    uint64 // messages read: datagrams and TCP frames
	Matched     uint64 // messages an alert rule matched
	Dropped     uint64 // messages no rule or a drop rule matched
	ParseErrors uint64 // messages that were not valid syslog (still matched as read) and broken TCP streams
	Oversize    uint64 // messages cut to MaxMessageSize
	QueueFull   uint64 // alerts dropped because the queue was full (UDP) or the listener was stopping
	Rejected    uint64 // TCP and TLS connections refused past MaxConnections
	SinkErrors  uint64 // sink calls that failed
	SinkLost    uint64 // alerts in the sink calls that failed
	Delivered   uint64 // alerts the sink committed
}

type counters struct {
	received, matched, dropped, parseErrors, oversize, queueFull, rejected,
	sinkErrors, sinkLost, delivered atomic.Uint64
}

// Listener receives syslog messages and hands the alerts its rules make to a Sink.
type Listener struct {
	cfg   Config
	sink  Sink
	rules []*compiledRule
	log   *slog.Logger
	now   func() time.Time
	stats counters

	queue       chan alert.Input
	connSlots   chan struct{}
	stopping    chan struct{} // closed when Shutdown begins
	abandon     chan struct{} // closed when Shutdown gives up waiting: producers stop waiting
	batcherDone chan struct{}
	sinkCtx     context.Context
	sinkCancel  context.CancelFunc
	readers     sync.WaitGroup // UDP readers, accept loops and connections

	mu        sync.Mutex
	started   bool
	shutDown  bool
	udp       *net.UDPConn
	listeners []net.Listener
	tcpAddr   net.Addr
	tlsAddr   net.Addr
	conns     map[net.Conn]struct{}
	done      chan struct{} // closed when Shutdown's work is finished
}

// New checks the configuration, compiles the rules and returns a Listener that does not listen
// until Start.
func New(cfg Config, sink Sink) (*Listener, error) {
	if sink == nil {
		return nil, errors.New("syslog: a sink is required")
	}
	if cfg.UDPAddr == "" && cfg.TCPAddr == "" && cfg.TLSAddr == "" {
		return nil, errors.New("syslog: no address to listen on")
	}
	if cfg.TLSAddr != "" && cfg.TLSConfig == nil {
		return nil, errors.New("syslog: TLSAddr needs a TLSConfig")
	}
	for _, v := range []struct {
		name string
		n    int64
	}{
		{"MaxMessageSize", int64(cfg.MaxMessageSize)}, {"MaxConnections", int64(cfg.MaxConnections)},
		{"IdleTimeout", int64(cfg.IdleTimeout)}, {"BatchSize", int64(cfg.BatchSize)},
		{"BatchDelay", int64(cfg.BatchDelay)}, {"QueueSize", int64(cfg.QueueSize)}, {"SinkTimeout", int64(cfg.SinkTimeout)},
	} {
		if v.n < 0 {
			return nil, fmt.Errorf("syslog: %s must not be negative", v.name)
		}
	}
	if cfg.MaxMessageSize > 0 && cfg.MaxMessageSize < 480 {
		return nil, errors.New("syslog: MaxMessageSize must be at least 480 bytes (RFC 5424 §6.1)")
	}
	setDefault(&cfg.MaxMessageSize, DefaultMaxMessageSize)
	setDefault(&cfg.MaxConnections, DefaultMaxConnections)
	setDefault(&cfg.IdleTimeout, DefaultIdleTimeout)
	setDefault(&cfg.BatchSize, DefaultBatchSize)
	setDefault(&cfg.BatchDelay, DefaultBatchDelay)
	setDefault(&cfg.QueueSize, DefaultQueueSize)
	setDefault(&cfg.SinkTimeout, DefaultSinkTimeout)
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if len(cfg.Rules.Rules) == 0 {
		cfg.Rules = DefaultRules()
	}
	rules, err := compileRules(cfg.Rules)
	if err != nil {
		return nil, err
	}
	l := &Listener{
		cfg: cfg, sink: sink, rules: rules, log: cfg.Logger, now: cfg.Now,
		queue:       make(chan alert.Input, cfg.QueueSize),
		connSlots:   make(chan struct{}, cfg.MaxConnections),
		stopping:    make(chan struct{}),
		abandon:     make(chan struct{}),
		batcherDone: make(chan struct{}),
		conns:       map[net.Conn]struct{}{},
		done:        make(chan struct{}),
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	l.log = l.log.With("component", "syslog")
	if l.now == nil {
		l.now = time.Now
	}
	l.sinkCtx, l.sinkCancel = context.WithCancel(context.Background())
	return l, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// Start listens on the configured addresses and starts serving. If one address cannot be
// bound, none is kept and the error says which.
func (l *Listener) Start(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		return errors.New("syslog: already started")
	}
	var lc net.ListenConfig
	var udp *net.UDPConn
	var tcp, tlsLn net.Listener
	fail := func(what string, err error) error {
		if udp != nil {
			_ = udp.Close()
		}
		for _, ln := range []net.Listener{tcp, tlsLn} {
			if ln != nil {
				_ = ln.Close()
			}
		}
		return fmt.Errorf("syslog: listen %s: %w", what, err)
	}
	if l.cfg.UDPAddr != "" {
		pc, err := lc.ListenPacket(ctx, "udp", l.cfg.UDPAddr)
		if err != nil {
			return fail("udp "+l.cfg.UDPAddr, err)
		}
		udp = pc.(*net.UDPConn)
		_ = udp.SetReadBuffer(4 << 20) // absorb bursts; the system may grant less
	}
	if l.cfg.TCPAddr != "" {
		ln, err := lc.Listen(ctx, "tcp", l.cfg.TCPAddr)
		if err != nil {
			return fail("tcp "+l.cfg.TCPAddr, err)
		}
		tcp = ln
	}
	if l.cfg.TLSAddr != "" {
		ln, err := lc.Listen(ctx, "tcp", l.cfg.TLSAddr)
		if err != nil {
			return fail("tls "+l.cfg.TLSAddr, err)
		}
		tlsLn = tls.NewListener(ln, l.cfg.TLSConfig)
	}
	l.started = true
	b := &batcher{queue: l.queue, size: l.cfg.BatchSize, delay: l.cfg.BatchDelay, flush: l.flush}
	go func() {
		defer close(l.batcherDone)
		b.run()
	}()
	if udp != nil {
		l.udp = udp
		for range min(runtime.GOMAXPROCS(0), 4) {
			l.readers.Add(1)
			go l.serveUDP(udp)
		}
		l.log.Info("listening", "transport", "udp", "addr", udp.LocalAddr().String())
	}
	for _, ln := range []struct {
		ln        net.Listener
		transport string
		addr      *net.Addr
	}{{tcp, "tcp", &l.tcpAddr}, {tlsLn, "tls", &l.tlsAddr}} {
		if ln.ln == nil {
			continue
		}
		*ln.addr = ln.ln.Addr()
		l.listeners = append(l.listeners, ln.ln)
		l.readers.Add(1)
		go l.accept(ln.ln, ln.transport)
		l.log.Info("listening", "transport", ln.transport, "addr", ln.ln.Addr().String())
	}
	return nil
}

// UDPAddr is the bound UDP address, nil when not listening on UDP.
func (l *Listener) UDPAddr() net.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.udp == nil {
		return nil
	}
	return l.udp.LocalAddr()
}

// TCPAddr is the bound plain TCP address, nil when not listening on TCP.
func (l *Listener) TCPAddr() net.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tcpAddr
}

// TLSAddr is the bound TLS address, nil when not listening on TLS.
func (l *Listener) TLSAddr() net.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tlsAddr
}

// Stats returns the counters.
func (l *Listener) Stats() Stats {
	c := &l.stats
	return Stats{
		Received: c.received.Load(), Matched: c.matched.Load(), Dropped: c.dropped.Load(),
		ParseErrors: c.parseErrors.Load(), Oversize: c.oversize.Load(), QueueFull: c.queueFull.Load(),
		Rejected: c.rejected.Load(), SinkErrors: c.sinkErrors.Load(), SinkLost: c.sinkLost.Load(),
		Delivered: c.delivered.Load(),
	}
}

// Shutdown stops listening, closes the TCP connections, lets the messages already read become
// alerts and hands the last batches to the sink. When ctx ends first, the sink call in flight is
// cancelled, what is still queued is given up, and ctx's error is returned. Shutdown may be
// called more than once; a Listener that was never started has nothing to stop.
func (l *Listener) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	if !l.started {
		l.mu.Unlock()
		return nil
	}
	if !l.shutDown {
		l.shutDown = true
		close(l.stopping)
		if l.udp != nil {
			_ = l.udp.Close()
		}
		for _, ln := range l.listeners {
			_ = ln.Close()
		}
		for c := range l.conns {
			_ = c.Close()
		}
		go func() {
			l.readers.Wait()
			close(l.queue)
			<-l.batcherDone
			l.sinkCancel()
			close(l.done)
		}()
	}
	l.mu.Unlock()
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		l.giveUp()
		return ctx.Err()
	}
}

// giveUp stops waiting for the queue: producers drop what they hold and the sink call in flight
// is cancelled.
func (l *Listener) giveUp() {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.abandon:
	default:
		close(l.abandon)
	}
	l.sinkCancel()
}

// Close is Shutdown without a deadline: it returns once the last batch went to the sink (each
// sink call is bounded by SinkTimeout).
func (l *Listener) Close() error { return l.Shutdown(context.Background()) }

func (l *Listener) isStopping() bool {
	select {
	case <-l.stopping:
		return true
	default:
		return false
	}
}

func (l *Listener) serveUDP(conn *net.UDPConn) {
	defer l.readers.Done()
	buf := make([]byte, l.cfg.MaxMessageSize+1)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if l.isStopping() || errors.Is(err, net.ErrClosed) {
				return
			}
			l.log.Warn("udp read failed", "err", err)
			continue
		}
		if n > l.cfg.MaxMessageSize {
			n = l.cfg.MaxMessageSize
			l.stats.oversize.Add(1)
		}
		if n == 0 {
			continue
		}
		l.handle(buf[:n], addrString(from.Addr()), false)
	}
}

func addrString(a netip.Addr) string { return a.Unmap().WithZone("").String() }

func (l *Listener) accept(ln net.Listener, transport string) {
	defer l.readers.Done()
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if l.isStopping() || errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = min(max(2*backoff, 10*time.Millisecond), time.Second)
			l.log.Warn("accept failed", "transport", transport, "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-l.stopping:
				return
			}
			continue
		}
		backoff = 0
		select {
		case l.connSlots <- struct{}{}:
		default:
			if n := l.stats.rejected.Add(1); logWorthy(n) {
				l.log.Warn("too many connections; closing new ones", "transport", transport,
					"max", l.cfg.MaxConnections, "rejected_total", n)
			}
			_ = c.Close()
			continue
		}
		l.mu.Lock()
		if l.shutDown {
			l.mu.Unlock()
			_ = c.Close()
			<-l.connSlots
			return
		}
		l.conns[c] = struct{}{}
		l.readers.Add(1)
		l.mu.Unlock()
		go l.serveConn(c, transport)
	}
}

func (l *Listener) serveConn(c net.Conn, transport string) {
	defer l.readers.Done()
	defer func() {
		_ = c.Close()
		l.mu.Lock()
		delete(l.conns, c)
		l.mu.Unlock()
		<-l.connSlots
	}()
	peer := ""
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		peer = addrString(ap.Addr())
	}
	if tc, ok := c.(*tls.Conn); ok {
		ctx, cancel := context.WithTimeout(l.sinkCtx, l.cfg.IdleTimeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			l.log.Warn("tls handshake failed", "peer", peer, "err", err)
			return
		}
	}
	fr := newFrameReader(deadlineReader{c, l.cfg.IdleTimeout}, l.cfg.MaxMessageSize)
	for {
		msg, truncated, err := fr.next()
		if err != nil {
			switch {
			case errors.Is(err, errFraming):
				l.stats.parseErrors.Add(1)
				l.log.Warn("closing connection: broken framing", "transport", transport, "peer", peer, "err", err)
			case l.isStopping():
			case isTimeout(err):
				l.log.Debug("closing idle connection", "transport", transport, "peer", peer)
			case !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF):
				l.log.Debug("connection ended", "transport", transport, "peer", peer, "err", err)
			}
			return
		}
		if truncated {
			l.stats.oversize.Add(1)
		}
		if !l.handle(msg, peer, true) {
			return
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// deadlineReader renews the read deadline before each read, so a quiet connection times out.
type deadlineReader struct {
	c    net.Conn
	idle time.Duration
}

func (d deadlineReader) Read(p []byte) (int, error) {
	_ = d.c.SetReadDeadline(time.Now().Add(d.idle))
	return d.c.Read(p)
}

// handle parses a message, runs the rules and queues the alert. wait says whether to wait for
// room in the queue (TCP) or drop when it is full (UDP). It returns false when the listener gave
// up waiting and the caller should stop reading.
func (l *Listener) handle(raw []byte, peer string, wait bool) bool {
	l.stats.received.Add(1)
	m, err := ParseMessage(raw, l.now(), l.cfg.Location)
	if err != nil {
		l.stats.parseErrors.Add(1)
	}
	in, ok := decide(l.rules, &m, raw, peer)
	if !ok {
		l.stats.dropped.Add(1)
		return true
	}
	l.stats.matched.Add(1)
	if wait {
		select {
		case l.queue <- in:
			return true
		case <-l.abandon:
			l.stats.queueFull.Add(1)
			return false
		}
	}
	select {
	case l.queue <- in:
	default:
		if n := l.stats.queueFull.Add(1); logWorthy(n) {
			l.log.Warn("alert queue full; dropping syslog alerts", "queue_size", l.cfg.QueueSize, "dropped_total", n)
		}
	}
	return true
}

// logWorthy thins out repeated warnings: it is true for the 1st, 2nd, 4th, 8th … occurrence.
func logWorthy(n uint64) bool { return bits.OnesCount64(n) == 1 }

// flush hands one batch to the sink.
func (l *Listener) flush(batch []alert.Input) {
	ctx, cancel := context.WithTimeout(l.sinkCtx, l.cfg.SinkTimeout)
	defer cancel()
	if err := l.sink(ctx, batch); err != nil {
		l.stats.sinkErrors.Add(1)
		l.stats.sinkLost.Add(uint64(len(batch)))
		l.log.Error("sink failed; syslog alerts lost", "alerts", len(batch), "err", err)
		return
	}
	l.stats.delivered.Add(uint64(len(batch)))
}
