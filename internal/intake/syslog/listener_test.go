package syslog

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
)

// The util-linux logger program, a real syslog sender, over UDP and TCP, in both formats and
// both TCP framings, against the default rules.
func TestLoggerProgram(t *testing.T) {
	t.Parallel()
	logger, err := exec.LookPath("logger")
	if err != nil {
		t.Skip("the logger program (util-linux) is not installed; install util-linux (bsdutils on Debian) to run this test")
	}
	rec := newRecorder()
	l := start(t, Config{UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0", Location: time.Local}, rec.sink)
	hostname, err := os.Hostname()
	require.NoError(t, err)

	cases := []struct {
		transport string
		args      []string
		format    Format
	}{
		{"udp", []string{"--udp", "--rfc5424"}, FormatRFC5424},
		{"udp", []string{"--udp", "--rfc3164"}, FormatRFC3164},
		{"tcp", []string{"--tcp", "--rfc5424"}, FormatRFC5424},
		{"tcp", []string{"--tcp", "--rfc3164"}, FormatRFC3164},
		{"tcp", []string{"--tcp", "--rfc5424", "--octet-count"}, FormatRFC5424},
		{"tcp", []string{"--tcp", "--rfc3164", "--octet-count"}, FormatRFC3164},
	}
	port := func(a net.Addr) string {
		_, p, _ := net.SplitHostPort(a.String())
		return p
	}
	send := func(transport string, args []string, tag, prio, msg string) {
		addr := l.TCPAddr()
		if transport == "udp" {
			addr = l.UDPAddr()
		}
		argv := append([]string{"--server", "127.0.0.1", "--port", port(addr)}, args...)
		argv = append(argv, "-t", tag, "-p", prio, msg)
		out, err := exec.CommandContext(t.Context(), logger, argv...).CombinedOutput()
		require.NoError(t, err, "logger %s: %s", strings.Join(argv, " "), out)
	}
	sent := time.Now()
	for i, c := range cases {
		send(c.transport, c.args, "sshd", "auth.warning", fmt.Sprintf("Failed password for user%d from 203.0.113.%d port 22 ssh2", i, i+10))
		send(c.transport, c.args, "CRON", "cron.info", "pam_unix(cron:session): session opened for user root")
	}

	got := byTitle(t, rec.wait(t, len(cases)))
	for i, c := range cases {
		title := ""
		for k := range got {
			if strings.Contains(k, fmt.Sprintf("for user%d on ", i)) {
				title = k
			}
		}
		require.NotEmpty(t, title, "no alert for case %d (%s %v)", i, c.transport, c.args)
		a := got[title]
		host := a.Labels["host"]
		require.NotEmpty(t, host)
		require.True(t, strings.HasPrefix(hostname, host), "host %q is the machine's name %q", host, hostname)
		require.Equal(t, fmt.Sprintf("SSH authentication failure for user%d on %s from 203.0.113.%d", i, host, i+10), a.Title)
		require.Equal(t, alert.Severity("medium"), a.Severity)
		require.Equal(t, Source, a.Source)
		require.Equal(t, "sshd-auth-failure", a.Labels["rule"])
		require.Equal(t, "sshd", a.Labels["program"])
		require.Equal(t, "auth", a.Labels["facility"])
		require.Equal(t, "warning", a.Labels["syslog_severity"])
		require.Equal(t, string(c.format), a.Labels["syslog_format"], "case %d", i)
		require.Equal(t, "127.0.0.1", a.Labels["peer"])
		require.Contains(t, a.Observables, alert.Observable{Type: alert.ObsHost, Value: strings.ToLower(host)})
		require.Contains(t, a.Observables, alert.Observable{Type: alert.ObsUser, Value: fmt.Sprintf("user%d", i), Role: "target"})
		require.Contains(t, string(a.Raw), fmt.Sprintf("Failed password for user%d from", i))
		// RFC 3164 stamps have whole seconds; both formats carry the sending time.
		require.WithinDuration(t, sent, a.OccurredAt, 2*time.Minute)
		n, err := alert.Normalise(a, time.Now(), 0)
		require.NoError(t, err)
		require.Contains(t, n.Observables, alert.Observable{Type: alert.ObsIPv4, Value: fmt.Sprintf("203.0.113.%d", i+10)})
	}
	eventually(t, func() bool { return l.Stats().Dropped == uint64(len(cases)) }, "the CRON messages are dropped and counted")
	s := l.Stats()
	require.Equal(t, uint64(2*len(cases)), s.Received)
	require.Equal(t, uint64(len(cases)), s.Matched)
	require.Zero(t, s.ParseErrors)
}

const testRules = `
rules:
  - name: ignore-health
    match: {program: healthcheck}
    drop: true
  - name: web-denied
    match:
      host: "web-*"
      facility: local0
      severity: "<=warning"
      message: 'denied access to (?P<path>\S+) for (?P<client>\S+)'
    title: "Access to {path} denied on {host}"
    severity: high
    labels: {team: web, client: "{client}"}
  - name: anything-critical
    match: {severity: "<=crit"}
    title: "{program}: {message}"
`

// Five messages: three become alerts, two are dropped (one by no rule, one by a drop rule).
var testMessages = []string{
	`<132>1 2026-01-02T10:00:00.5Z web-01 nginx 4242 ACC - denied access to /admin for 198.51.100.7`,
	`<130>Dec 31 23:59:58 web-02 nginx[77]: denied access to /etc for 198.51.100.8`,
	`<134>Jan  2 10:00:00 web-01 nginx: denied access to /x for y`,
	`<130>Jan  2 10:00:00 web-01 healthcheck: denied access to /x for y`,
	`<10>Jan  2 10:00:00 db-01 postgres: PANIC: could not write to file "pg_wal/xlogtemp.42"`,
}

// checkTestAlerts checks the three alerts testMessages make under testRules.
func checkTestAlerts(t *testing.T, alerts []alert.Input) {
	t.Helper()
	require.Len(t, alerts, 3)
	got := byTitle(t, alerts)

	a := got["Access to /admin denied on web-01"]
	require.Equal(t, alert.Severity("high"), a.Severity)
	require.Equal(t, map[string]string{
		"host": "web-01", "program": "nginx", "procid": "4242", "msgid": "ACC", "facility": "local0",
		"syslog_severity": "warning", "syslog_format": "rfc5424", "rule": "web-denied", "team": "web",
		"client": "198.51.100.7", "peer": "127.0.0.1",
	}, a.Labels)
	require.Equal(t, time.Date(2026, 1, 2, 10, 0, 0, 5e8, time.UTC), a.OccurredAt.UTC())
	require.Equal(t, testMessages[0], string(a.Raw))

	b := got["Access to /etc denied on web-02"]
	require.Equal(t, alert.Severity("high"), b.Severity)
	require.Equal(t, "crit", b.Labels["syslog_severity"])
	require.Equal(t, "rfc3164", b.Labels["syslog_format"])
	require.Equal(t, time.Date(2025, 12, 31, 23, 59, 58, 0, time.UTC), b.OccurredAt.UTC(), "last year's December")

	c := got[`postgres: PANIC: could not write to file "pg_wal/xlogtemp.42"`]
	require.Equal(t, alert.Severity("critical"), c.Severity, "mapped from crit")
	require.Equal(t, "anything-critical", c.Labels["rule"])
	require.Equal(t, "user", c.Labels["facility"])
	require.Equal(t, []alert.Observable{{Type: alert.ObsHost, Value: "db-01"}}, c.Observables)
}

func testConfig(t *testing.T) Config {
	t.Helper()
	rules, err := ParseRules([]byte(testRules))
	require.NoError(t, err)
	return Config{
		Rules:    rules,
		Location: time.UTC,
		Now:      func() time.Time { return time.Date(2026, 1, 2, 10, 0, 5, 0, time.UTC) },
	}
}

// Go clients over each transport and framing: the same five messages make the same three alerts
// and two counted drops.
func TestTransportsAndFramings(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	newline := func(msgs []string) string { return strings.Join(msgs, "\n") + "\n" }
	octets := func(msgs []string) string {
		var b strings.Builder
		for _, m := range msgs {
			fmt.Fprintf(&b, "%d %s", len(m), m)
		}
		return b.String()
	}
	tests := []struct {
		name      string
		transport string
		frame     func([]string) string
	}{
		{"tcp newline", "tcp", newline},
		{"tcp octet counting", "tcp", octets},
		{"tls octet counting", "tls", octets},
		{"tls newline", "tls", newline},
		{"udp", "udp", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder()
			cfg := testConfig(t)
			switch tt.transport {
			case "udp":
				cfg.UDPAddr = "127.0.0.1:0"
			case "tcp":
				cfg.TCPAddr = "127.0.0.1:0"
			case "tls":
				cfg.TLSAddr = "127.0.0.1:0"
				cfg.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			}
			l := start(t, cfg, rec.sink)
			switch tt.transport {
			case "udp":
				c, err := net.Dial("udp", l.UDPAddr().String())
				require.NoError(t, err)
				defer c.Close()
				for _, m := range testMessages {
					_, err := c.Write([]byte(m))
					require.NoError(t, err)
				}
			case "tcp":
				c, err := net.Dial("tcp", l.TCPAddr().String())
				require.NoError(t, err)
				defer c.Close()
				_, err = io.WriteString(c, tt.frame(testMessages))
				require.NoError(t, err)
			case "tls":
				c, err := tls.Dial("tcp", l.TLSAddr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
				require.NoError(t, err)
				defer c.Close()
				_, err = io.WriteString(c, tt.frame(testMessages))
				require.NoError(t, err)
			}
			checkTestAlerts(t, rec.wait(t, 3))
			eventually(t, func() bool { return l.Stats().Dropped == 2 }, "two messages dropped")
			s := l.Stats()
			require.Equal(t, uint64(5), s.Received)
			require.Equal(t, uint64(3), s.Matched)
			require.Zero(t, s.ParseErrors)
			eventually(t, func() bool { return l.Stats().Delivered == 3 }, "three delivered")
		})
	}
}

// A TLS client that does not trust the certificate gets nothing through.
func TestTLSRefusesAnUntrustingClient(t *testing.T) {
	t.Parallel()
	cert, _ := selfSigned(t)
	rec := newRecorder()
	cfg := testConfig(t)
	cfg.TLSAddr = "127.0.0.1:0"
	cfg.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	l := start(t, cfg, rec.sink)
	_, err := tls.Dial("tcp", l.TLSAddr().String(), &tls.Config{ServerName: "127.0.0.1"})
	var unknown x509.UnknownAuthorityError
	require.True(t, errors.As(err, &unknown), "got %v", err)
	require.Zero(t, l.Stats().Received)
}

// A blocked sink fills the queue; a TCP connection then stops being read (nothing is dropped),
// and goes on once the sink does.
func TestTCPBackpressure(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	gate := make(chan struct{})
	rec.gate = gate
	cfg := testConfig(t)
	cfg.TCPAddr = "127.0.0.1:0"
	cfg.BatchSize, cfg.QueueSize = 1, 2
	l := start(t, cfg, rec.sink)
	c, err := net.Dial("tcp", l.TCPAddr().String())
	require.NoError(t, err)
	defer c.Close()
	const n = 20
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "<10>Jan  2 10:00:00 db-01 app: crit %d\n", i)
	}
	go func() { _, _ = io.WriteString(c, b.String()) }()

	// One alert in the sink, two in the queue, one in hand waiting for room: reading stops there.
	eventually(t, func() bool { return l.Stats().Matched == 4 }, "four messages taken")
	require.Equal(t, uint64(4), l.Stats().Received, "the connection is no longer read")
	require.Zero(t, rec.count())

	close(gate)
	require.Len(t, rec.wait(t, n), n)
	eventually(t, func() bool { return l.Stats().Delivered == n }, "all delivered")
	require.Zero(t, l.Stats().QueueFull)
}

// A blocked sink fills the queue; UDP has no way to push back, so alerts past it are dropped and
// counted.
func TestUDPDropsWhenTheQueueIsFull(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	gate := make(chan struct{})
	rec.gate = gate
	cfg := testConfig(t)
	cfg.UDPAddr = "127.0.0.1:0"
	cfg.BatchSize, cfg.QueueSize = 1, 1
	l := start(t, cfg, rec.sink)
	c, err := net.Dial("udp", l.UDPAddr().String())
	require.NoError(t, err)
	defer c.Close()
	const n = 10
	for i := range n {
		_, err := fmt.Fprintf(c, "<10>Jan  2 10:00:00 db-01 app: crit %d", i)
		require.NoError(t, err)
	}
	eventually(t, func() bool { return l.Stats().Matched == n }, "all datagrams read")
	// At most one alert is in the sink and one in the queue.
	require.GreaterOrEqual(t, l.Stats().QueueFull, uint64(n-2))
	close(gate)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, l.Shutdown(ctx))
	s := l.Stats()
	require.Equal(t, s.Matched, s.Delivered+s.QueueFull)
	require.Equal(t, int(s.Delivered), rec.count())
}

// Shutdown hands the batch still waiting for its delay to the sink.
func TestShutdownFlushesTheLastBatch(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	cfg := testConfig(t)
	cfg.TCPAddr = "127.0.0.1:0"
	cfg.BatchSize, cfg.BatchDelay = 1000, time.Hour
	l := start(t, cfg, rec.sink)
	c, err := net.Dial("tcp", l.TCPAddr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, strings.Join(testMessages, "\n")+"\n")
	require.NoError(t, err)
	eventually(t, func() bool { return l.Stats().Matched == 3 }, "three alerts queued")
	require.Zero(t, rec.count(), "the batch waits for its delay")

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, l.Shutdown(ctx))
	checkTestAlerts(t, rec.wait(t, 3))
	require.NoError(t, l.Shutdown(ctx), "a second Shutdown is harmless")
	_, err = net.Dial("tcp", l.TCPAddr().String())
	require.Error(t, err, "no longer listening")
}

// When Shutdown's context ends while the sink hangs, the sink call is cancelled and Shutdown
// returns the context's error.
func TestShutdownGivesUpWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	rec.gate = make(chan struct{}) // never opened: the sink waits for its context
	cfg := testConfig(t)
	cfg.TCPAddr = "127.0.0.1:0"
	cfg.BatchSize = 1
	l := start(t, cfg, rec.sink)
	c, err := net.Dial("tcp", l.TCPAddr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, testMessages[0]+"\n")
	require.NoError(t, err)
	select {
	case <-rec.entered:
	case <-time.After(waitTimeout):
		t.Fatal("the sink was not called")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, l.Shutdown(ctx), context.Canceled)
	eventually(t, func() bool { return l.Stats().SinkErrors == 1 }, "the cancelled sink call counts as failed")
	require.Equal(t, uint64(1), l.Stats().SinkLost)
}

// A failing sink is counted and logged; the listener goes on with the next batch.
func TestSinkErrorsAreCounted(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	rec.fail = func(call int) error {
		if call == 1 {
			return errors.New("database is locked")
		}
		return nil
	}
	cfg := testConfig(t)
	cfg.TCPAddr = "127.0.0.1:0"
	l := start(t, cfg, rec.sink)
	c, err := net.Dial("tcp", l.TCPAddr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, testMessages[0]+"\n")
	require.NoError(t, err)
	eventually(t, func() bool { return l.Stats().SinkErrors == 1 }, "the failed call is counted")
	require.Equal(t, uint64(1), l.Stats().SinkLost)
	_, err = io.WriteString(c, testMessages[4]+"\n")
	require.NoError(t, err)
	got := rec.wait(t, 1)
	require.Equal(t, "anything-critical", got[0].Labels["rule"])
}

func TestMaxConnections(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	cfg := testConfig(t)
	cfg.TCPAddr = "127.0.0.1:0"
	cfg.MaxConnections = 1
	l := start(t, cfg, rec.sink)
	first, err := net.Dial("tcp", l.TCPAddr().String())
	require.NoError(t, err)
	defer first.Close()
	_, err = io.WriteString(first, testMessages[4]+"\n")
	require.NoError(t, err)
	rec.wait(t, 1) // the first connection is being served

	second, err := net.Dial("tcp", l.TCPAddr().String())
	require.NoError(t, err)
	defer second.Close()
	require.NoError(t, second.SetReadDeadline(time.Now().Add(waitTimeout)))
	_, err = second.Read(make([]byte, 1))
	require.False(t, isTimeout(err), "the second connection is closed by the listener, got %v", err)
	require.Equal(t, uint64(1), l.Stats().Rejected)
}

func TestIdleConnectionsAreClosed(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.TCPAddr = "127.0.0.1:0"
	cfg.IdleTimeout = 50 * time.Millisecond
	l := start(t, cfg, newRecorder().sink)
	c, err := net.Dial("tcp", l.TCPAddr().String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(waitTimeout)))
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "the listener closed the quiet connection")
}

// Messages longer than the limit are cut, counted, and still matched.
func TestOversizeMessages(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	cfg := testConfig(t)
	cfg.UDPAddr, cfg.TCPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.MaxMessageSize = 480
	l := start(t, cfg, rec.sink)
	long := "<10>Jan  2 10:00:00 db-01 app: " + strings.Repeat("A", 1000)
	u, err := net.Dial("udp", l.UDPAddr().String())
	require.NoError(t, err)
	defer u.Close()
	_, err = io.WriteString(u, long)
	require.NoError(t, err)
	c, err := net.Dial("tcp", l.TCPAddr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = fmt.Fprintf(c, "%d %s", len(long), long)
	require.NoError(t, err)
	for _, a := range rec.wait(t, 2) {
		require.Len(t, a.Raw, 480)
		require.Equal(t, long[:480], string(a.Raw))
	}
	require.Equal(t, uint64(2), l.Stats().Oversize)
}

// A broken octet-counted stream is counted and its connection closed; what came before it counts.
func TestBrokenFramingClosesTheConnection(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	cfg := testConfig(t)
	cfg.TCPAddr = "127.0.0.1:0"
	l := start(t, cfg, rec.sink)
	c, err := net.Dial("tcp", l.TCPAddr().String())
	require.NoError(t, err)
	defer c.Close()
	m := testMessages[4]
	_, err = fmt.Fprintf(c, "%d %sgarbage", len(m), m)
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(waitTimeout)))
	_, err = c.Read(make([]byte, 1))
	require.False(t, isTimeout(err), "the listener closed the connection, got %v", err)
	require.Len(t, rec.wait(t, 1), 1)
	require.Equal(t, uint64(1), l.Stats().ParseErrors)
}

func TestNewChecksTheConfig(t *testing.T) {
	t.Parallel()
	sink := newRecorder().sink
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no address"},
		{Config{TLSAddr: ":0"}, "TLSConfig"},
		{Config{TCPAddr: ":0", QueueSize: -1}, "QueueSize must not be negative"},
		{Config{TCPAddr: ":0", MaxMessageSize: 100}, "at least 480"},
		{Config{TCPAddr: ":0", Rules: Rules{Rules: []Rule{{Name: "x"}}}}, `rule "x": title: is required`},
	} {
		_, err := New(tt.cfg, sink)
		require.ErrorContains(t, err, tt.want)
	}
	_, err := New(Config{TCPAddr: ":0"}, nil)
	require.ErrorContains(t, err, "sink")
}

// Start keeps nothing when one address cannot be bound.
func TestStartFailsWholeWhenAnAddressIsTaken(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	free, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	udpAddr := free.LocalAddr().String()
	require.NoError(t, free.Close())

	l, err := New(Config{UDPAddr: udpAddr, TCPAddr: taken.Addr().String()}, newRecorder().sink)
	require.NoError(t, err)
	require.ErrorContains(t, l.Start(t.Context()), "listen tcp")
	again, err := net.ListenPacket("udp", udpAddr)
	require.NoError(t, err, "the UDP socket bound before the failure was released")
	require.NoError(t, again.Close())
	require.NoError(t, l.Shutdown(t.Context()), "nothing to stop")
}
