package syslog

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

type frame struct {
	msg       string
	truncated bool
}

// readFrames reads a whole stream, returning the frames and the error that ended it.
func readFrames(r io.Reader, max int) ([]frame, error) {
	fr := newFrameReader(r, max)
	var out []frame
	for {
		msg, truncated, err := fr.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return out, err
		}
		out = append(out, frame{string(msg), truncated})
	}
}

// oc frames a message with octet counting.
func oc(msg string) string { return fmt.Sprintf("%d %s", len(msg), msg) }

func TestFrameReader(t *testing.T) {
	t.Parallel()
	m1 := "<34>1 2026-11-27T15:28:57Z vm sshd - - - one"
	m2 := "<34>Nov 27 15:28:57 vm su: two\nwith a newline inside"
	tests := []struct {
		name    string
		stream  string
		max     int
		want    []frame
		wantErr error
	}{
		{"newline framing", m1 + "\n<13>two\r\n\n<13>three", 1024,
			[]frame{{m1, false}, {"<13>two", false}, {"<13>three", false}}, nil},
		{"octet counting", oc(m1) + oc(m2), 1024,
			[]frame{{m1, false}, {m2, false}}, nil},
		{"octet counting with newlines between frames", oc(m1) + "\n" + oc(m2) + "\n", 1024,
			[]frame{{m1, false}, {m2, false}}, nil},
		{"leading blank lines before newline framing", "\n\r\n<13>a\n", 1024, []frame{{"<13>a", false}}, nil},
		{"long line cut and the rest skipped", strings.Repeat("x", 600) + "\n<13>next\n", 500,
			[]frame{{strings.Repeat("x", 500), true}, {"<13>next", false}}, nil},
		{"line of exactly max bytes is whole", strings.Repeat("y", 500) + "\r\n", 500,
			[]frame{{strings.Repeat("y", 500), false}}, nil},
		{"long octet frame cut and the rest skipped", "600 " + strings.Repeat("z", 600) + "8 <13>next", 500,
			[]frame{{strings.Repeat("z", 500), true}, {"<13>next", false}}, nil},
		{"bad length", oc(m1) + "x1 <13>a", 1024, []frame{{m1, false}}, errFraming},
		{"a leading zero is no length: newline framing", "05 <13>a", 1024, []frame{{"05 <13>a", false}}, nil},
		{"length too long", "12345678901 a", 1024, nil, errFraming},
		{"stream ends inside a frame", oc(m1)[:20], 1024, nil, io.ErrUnexpectedEOF},
		{"stream ends inside the length", "44", 1024, nil, io.ErrUnexpectedEOF},
		{"empty stream", "", 1024, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, r := range []io.Reader{strings.NewReader(tt.stream), iotest.OneByteReader(strings.NewReader(tt.stream))} {
				got, err := readFrames(r, tt.max)
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
				} else {
					require.NoError(t, err)
				}
				require.Equal(t, tt.want, got)
			}
		})
	}
}

// The framing is chosen once per connection: a newline-framed stream whose later messages
// start with digits stays newline-framed.
func TestFrameReaderKeepsItsFraming(t *testing.T) {
	t.Parallel()
	got, err := readFrames(strings.NewReader("<13>first\n12 not a length\n"), 1024)
	require.NoError(t, err)
	require.Equal(t, []frame{{"<13>first", false}, {"12 not a length", false}}, got)
}
