package syslog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// errFraming is returned when an octet-counted stream carries something other than a length.
// The stream cannot be put back in step after that, so the connection is closed.
var errFraming = errors.New("syslog: bad octet-counting frame")

// maxLenDigits bounds the length prefix of an octet-counted frame (RFC 6587 §3.4.1).
const maxLenDigits = 10

type framing int

const (
	framingUnknown framing = iota
	framingOctet
	framingNewline
)

// frameReader splits a TCP syslog stream into messages. The framing is chosen once per stream
// from its first byte: a digit means octet counting ("LEN SP MSG", RFC 6587 §3.4.1 and RFC 5425),
// anything else non-transparent framing, each message ended by LF (RFC 6587 §3.4.2; a CR before
// the LF is dropped). A message longer than max is cut to max bytes and the rest skipped.
type frameReader struct {
	r    *bufio.Reader
	max  int
	mode framing
	line []byte // reused buffer for non-transparent framing
}

func newFrameReader(r io.Reader, max int) *frameReader {
	if max <= 0 {
		max = DefaultMaxMessageSize
	}
	return &frameReader{r: bufio.NewReaderSize(r, min(max, 64<<10)+16), max: max}
}

// next returns the next message, a copy the caller may keep, and whether it was cut. It returns
// io.EOF at the end of the stream, errFraming (wrapped) when an octet-counted stream goes wrong,
// and read errors as they come.
func (f *frameReader) next() ([]byte, bool, error) {
	if f.mode == framingUnknown {
		b, err := f.skipSpace()
		if err != nil {
			return nil, false, err
		}
		f.mode = framingNewline
		if b >= '1' && b <= '9' {
			f.mode = framingOctet
		}
	}
	if f.mode == framingOctet {
		return f.nextOctet()
	}
	return f.nextLine()
}

// skipSpace skips whitespace and NUL bytes between frames and returns the next byte unread.
func (f *frameReader) skipSpace() (byte, error) {
	for {
		b, err := f.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n', 0:
			continue
		}
		return b, f.r.UnreadByte()
	}
}

func (f *frameReader) nextOctet() ([]byte, bool, error) {
	if _, err := f.skipSpace(); err != nil {
		return nil, false, err
	}
	n, digits := 0, 0
	for {
		b, err := f.r.ReadByte()
		if err != nil {
			if err == io.EOF && digits > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, false, err
		}
		if b == ' ' && digits > 0 {
			break
		}
		if b < '0' || b > '9' || (digits == 0 && b == '0') || digits == maxLenDigits {
			return nil, false, fmt.Errorf("%w: unexpected byte %q in the length", errFraming, b)
		}
		n = n*10 + int(b-'0')
		digits++
	}
	keep := min(n, f.max)
	msg := make([]byte, keep)
	if _, err := io.ReadFull(f.r, msg); err != nil {
		return nil, false, unexpected(err)
	}
	if n > keep {
		if _, err := f.r.Discard(n - keep); err != nil {
			return nil, false, unexpected(err)
		}
		return msg, true, nil
	}
	return msg, false, nil
}

func (f *frameReader) nextLine() ([]byte, bool, error) {
	for {
		// Keep up to max bytes of content plus room for its CR LF; skip the rest of a longer line.
		f.line = f.line[:0]
		var err error
		for {
			var chunk []byte
			chunk, err = f.r.ReadSlice('\n')
			if room := f.max + 2 - len(f.line); room > 0 {
				f.line = append(f.line, chunk[:min(len(chunk), room)]...)
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		line := bytes.TrimRight(f.line, "\r\n")
		truncated := len(line) > f.max
		if truncated {
			line = line[:f.max]
		}
		if len(line) == 0 {
			if err != nil {
				return nil, false, err
			}
			continue // an empty line is no message
		}
		if err != nil && err != io.EOF {
			return nil, false, err
		}
		// A last message without its LF is still a message; EOF comes with the next call.
		return bytes.Clone(line), truncated, nil
	}
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
