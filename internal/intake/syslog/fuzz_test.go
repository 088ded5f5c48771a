package syslog

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
)

var fuzzSeeds = append([]string{
	`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 4711 ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event`,
	`<36>1 2026-11-27T15:28:57.135905+00:00 vm sshd - - [timeQuality tzKnown="1" isSynced="0"] Failed password for root from 203.0.113.9 port 22 ssh2`,
	`<36>Nov 27 15:28:57 vm sshd: Failed password for root from 203.0.113.9 port 22 ssh2`,
	"<38>Nov 27 15:28:57 bastion sshd[812]: Failed password for invalid user admin from 203.0.113.9 port 51234 ssh2",
	"<85>Nov 27 15:28:57 db1 sudo:      bob : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash",
	`<5>Nov 27 15:28:57 web1 kernel: audit: type=1400 audit(1700000000.123:456): avc:  denied  { read } for  pid=1234 comm="httpd" tclass=file`,
	"<13>2024-02-05T17:32:18+01:00 host app[1]: hello",
	"<13>Feb 29 12:00:00 host app: leap",
	"<0>", "<191>1 - - - - - -", "hello", "",
}, testMessages...)

// ParseMessage, the rules and normalisation take any bytes without panicking, and what they make
// is a well-formed alert.
func FuzzParseMessage(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	rules, err := compileRules(DefaultRules())
	require.NoError(f, err)
	catchAll, err := ParseRules([]byte("rules:\n  - title: '{program} {host} {message} {msgid} {procid}'\n"))
	require.NoError(f, err)
	all, err := compileRules(catchAll)
	require.NoError(f, err)
	now := time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseMessage(raw, now, time.UTC)
		if err != nil {
			require.ErrorIs(t, err, ErrNotSyslog)
		}
		require.True(t, m.Facility >= 0 && m.Facility < 24, "facility %d", m.Facility)
		require.True(t, m.Severity >= 0 && m.Severity < 8, "severity %d", m.Severity)
		for _, rs := range [][]*compiledRule{rules, all} {
			in, ok := decide(rs, &m, raw, "192.0.2.1")
			if !ok {
				continue
			}
			require.Equal(t, raw, in.Raw)
			if _, err := alert.Normalise(in, now, 0); err != nil {
				// Only an empty title may be refused: a message with nothing in it.
				require.Empty(t, bytes.TrimSpace([]byte(in.Title)), "normalise: %v", err)
			}
		}
	})
}

// The TCP framer splits any stream without panicking, never returns more than max bytes, and
// ends with EOF, a framing error or a short stream.
func FuzzFrameReader(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s+"\n"+s+"\n"), 600)
		f.Add([]byte(oc(s)+oc(s)), 600)
	}
	f.Add([]byte("12345678901 x"), 480)
	f.Add([]byte("5 <13>a\n\n3 abc"), 480)
	f.Fuzz(func(t *testing.T, stream []byte, max int) {
		max = 1 + abs(max)%2048
		fr := newFrameReader(bytes.NewReader(stream), max)
		total := 0
		for range len(stream) + 1 {
			msg, truncated, err := fr.next()
			if err != nil {
				require.True(t, errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errFraming), "%v", err)
				return
			}
			require.LessOrEqual(t, len(msg), max)
			require.NotEmpty(t, msg)
			if truncated {
				require.Len(t, msg, max)
			}
			total += len(msg)
			require.LessOrEqual(t, total, len(stream))
		}
		t.Fatal("more messages than bytes")
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n { // the smallest int
			return 0
		}
		return -n
	}
	return n
}

// ParseRules takes any bytes without panicking; what it accepts compiles and matches.
func FuzzParseRules(f *testing.F) {
	f.Add(DefaultRulesYAML())
	f.Add([]byte(testRules))
	f.Add([]byte("rules:\n  - match: {severity: ['<=warning', debug], facility: [auth, 4]}\n    title: '{{x}} {host}'\n"))
	f.Add([]byte("rules:\n  - match: {host: 'a*b?'}\n    drop: true\n"))
	f.Add([]byte("rules: []\n"))
	m, _ := ParseMessage([]byte(fuzzSeeds[3]), time.Now(), time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseRules(data)
		if err != nil {
			return
		}
		compiled, err := compileRules(rs)
		require.NoError(t, err)
		_, _ = decide(compiled, &m, nil, "192.0.2.1")
	})
}
