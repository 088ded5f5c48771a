package syslog

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"
)

// Format names the syslog dialect a message was read as.
type Format string

// Formats. FormatUnknown is a message that was neither valid RFC 5424 nor RFC 3164; its text is
// taken as it came.
const (
	FormatRFC5424 Format = "rfc5424"
	FormatRFC3164 Format = "rfc3164"
	FormatUnknown Format = "unknown"
)

// Message is one syslog message as read off the wire.
type Message struct {
	// Format is the dialect the message was read as.
	Format Format
	// Facility (0–23) and Severity (0 emerg … 7 debug) come from the PRI part. A message without
	// one is user.notice, as RFC 3164 §4.3.3 tells a relay to assume.
	Facility int
	Severity int
	// Timestamp is zero when the message carries none.
	Timestamp time.Time
	// Hostname is empty when the message does not name its host.
	Hostname string
	// AppName is the RFC 5424 APP-NAME or the RFC 3164 tag (the program).
	AppName string
	// ProcID is the process id: the RFC 5424 PROCID, or the number in brackets after an
	// RFC 3164 tag ("sshd[812]").
	ProcID string
	// MsgID is the RFC 5424 MSGID, the type of the message.
	MsgID string
	// StructuredData holds the RFC 5424 structured data elements by id, then parameter name.
	StructuredData map[string]map[string]string
	// Text is the free-form MSG part.
	Text string
}

// Facility and severity numbers by their usual names.
const (
	severityNotice = 5
	facilityUser   = 1
)

var facilityNames = []string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
	"ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

var facilityAliases = map[string]int{
	"logaudit": 13, "logalert": 14, "console": 14, "cron2": 15, "solaris-cron": 15,
}

var severityNames = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

var severityAliases = map[string]int{
	"emergency": 0, "panic": 0, "critical": 2, "error": 3, "warn": 4, "informational": 6,
}

// FacilityName is the conventional name of a facility number ("auth", "local0"), or the number
// itself when it is out of range.
func FacilityName(f int) string {
	if f >= 0 && f < len(facilityNames) {
		return facilityNames[f]
	}
	return strconv.Itoa(f)
}

// SeverityName is the conventional name of a syslog severity number ("err", "warning").
func SeverityName(s int) string {
	if s >= 0 && s < len(severityNames) {
		return severityNames[s]
	}
	return strconv.Itoa(s)
}

// parseFacility reads a facility name, alias or number.
func parseFacility(s string) (int, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range facilityNames {
		if n == s {
			return i, true
		}
	}
	if f, ok := facilityAliases[s]; ok {
		return f, true
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(facilityNames) {
		return n, true
	}
	return 0, false
}

// parseSeverity reads a syslog severity name, alias or number.
func parseSeverity(s string) (int, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range severityNames {
		if n == s {
			return i, true
		}
	}
	if v, ok := severityAliases[s]; ok {
		return v, true
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(severityNames) {
		return n, true
	}
	return 0, false
}

// ErrNotSyslog is wrapped by ParseMessage's error when the input is neither RFC 5424 nor RFC 3164.
var ErrNotSyslog = errors.New("not a valid RFC 5424 or RFC 3164 message")

// ParseMessage reads one syslog message, RFC 5424 or RFC 3164, telling them apart by the version
// digit after the PRI. RFC 3164 timestamps carry no year and no zone: they are read in loc
// (UTC when nil) and given the year that puts them nearest before now (see inferYear).
//
// ParseMessage always returns a usable Message. When the input is not valid syslog, the error
// wraps ErrNotSyslog and the Message holds what could be read: the PRI if there is one, and the
// rest of the input as Text.
func ParseMessage(raw []byte, now time.Time, loc *time.Location) (Message, error) {
	if loc == nil {
		loc = time.UTC
	}
	raw = bytes.TrimRight(raw, "\r\n\x00")
	body, pri, hasPRI := splitPRI(raw)
	if hasPRI && isRFC5424(body) {
		m, err := parse5424(raw)
		if err == nil {
			return m, nil
		}
		if m.Format == FormatRFC5424 {
			// Partly read: keep the header fields, and the whole text for the rules to match.
			if m.Text == "" {
				m.Text = strings.TrimSpace(string(body))
			}
			return m, fmt.Errorf("syslog: %w: %w", ErrNotSyslog, err)
		}
	}
	if hasPRI {
		if m, err := parse3164(raw, now, loc); err == nil {
			return m, nil
		}
	}
	m := Message{Format: FormatUnknown, Facility: facilityUser, Severity: severityNotice}
	if hasPRI {
		m.Facility, m.Severity = pri/8, pri%8
	}
	m.Text = strings.TrimSpace(string(bytes.TrimPrefix(body, utf8BOM)))
	return m, fmt.Errorf("syslog: %w", ErrNotSyslog)
}

var utf8BOM = []byte("\xEF\xBB\xBF")

// splitPRI takes "<PRI>" off the front of a message: 1–3 digits, at most 191.
func splitPRI(raw []byte) (body []byte, pri int, ok bool) {
	if len(raw) < 3 || raw[0] != '<' {
		return raw, 0, false
	}
	end := bytes.IndexByte(raw[:min(len(raw), 5)], '>')
	if end < 2 {
		return raw, 0, false
	}
	n, err := strconv.Atoi(string(raw[1:end]))
	if err != nil || n < 0 || n > 191 || (end > 2 && raw[1] == '0') {
		return raw, 0, false
	}
	return raw[end+1:], n, true
}

// isRFC5424 reports whether the text after the PRI starts with a version number and a space.
func isRFC5424(body []byte) bool {
	i := 0
	for i < len(body) && i < 3 && body[i] >= '0' && body[i] <= '9' {
		i++
	}
	return i > 0 && body[0] != '0' && i < len(body) && body[i] == ' '
}

// parse5424 reads an RFC 5424 message in best-effort mode. With a nil error the message is
// whole; with an error and a Message of FormatRFC5424 it was partly read.
//
// The parsers are built per call: a machine keeps state between Parse calls and is not safe
// for concurrent use, and building one costs little next to the work around a message.
func parse5424(raw []byte) (m Message, err error) {
	defer recoverParse(&err)
	p := rfc5424.NewMachine(rfc5424.WithBestEffort())
	msg, err := p.Parse(raw)
	if msg == nil {
		return Message{}, errOrNotSyslog(err)
	}
	sm, ok := msg.(*rfc5424.SyslogMessage)
	if !ok || !sm.Valid() {
		return Message{}, errOrNotSyslog(err)
	}
	m = fromBase(&sm.Base, FormatRFC5424)
	if sm.StructuredData != nil {
		m.StructuredData = *sm.StructuredData
	}
	if err != nil && m.Timestamp.IsZero() && m.Hostname == "" && m.AppName == "" && m.Text == "" {
		// Nothing past the PRI was read: not RFC 5424 after all.
		return Message{}, err
	}
	return m, err
}

func parse3164(raw []byte, now time.Time, loc *time.Location) (m Message, err error) {
	defer recoverParse(&err)
	p := rfc3164.NewMachine(rfc3164.WithRFC3339(), rfc3164.WithSecondFractions(), rfc3164.WithLenientDay(),
		rfc3164.WithEmbeddedNewlines())
	msg, err := p.Parse(raw)
	if err != nil || msg == nil {
		return Message{}, errOrNotSyslog(err)
	}
	sm, ok := msg.(*rfc3164.SyslogMessage)
	if !ok || !sm.Valid() {
		return Message{}, ErrNotSyslog
	}
	m = fromBase(&sm.Base, FormatRFC3164)
	if sm.Timestamp != nil && sm.Timestamp.Year() == 0 {
		m.Timestamp = inferYear(*sm.Timestamp, now, loc)
	}
	return m, nil
}

func fromBase(b *gosyslog.Base, f Format) Message {
	m := Message{Format: f, Facility: facilityUser, Severity: severityNotice}
	if b.Facility != nil && b.Severity != nil {
		m.Facility, m.Severity = int(*b.Facility), int(*b.Severity)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	if b.Timestamp != nil {
		m.Timestamp = *b.Timestamp
	}
	m.Hostname = str(b.Hostname)
	m.AppName = str(b.Appname)
	m.ProcID = str(b.ProcID)
	m.MsgID = str(b.MsgID)
	m.Text = strings.TrimSpace(strings.TrimPrefix(str(b.Message), string(utf8BOM)))
	return m
}

func errOrNotSyslog(err error) error {
	if err == nil {
		return ErrNotSyslog
	}
	return err
}

// recoverParse turns a panic inside a third-party parser into a parse error: a message from the
// network must never take the listener down.
func recoverParse(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: parser failed: %v", ErrNotSyslog, r)
	}
}

// maxFutureSkew is how far ahead of the receiver's clock an RFC 3164 timestamp may be and still be
// taken for this year: senders' clocks run a little fast, and a message written on 1 January just
// before midnight on 31 December (receiver's time) belongs to the coming year.
const maxFutureSkew = 31 * 24 * time.Hour

// inferYear gives an RFC 3164 timestamp (month, day and time of day, read with year 0) the year
// that makes it the latest time no more than maxFutureSkew after now, in loc. "Dec 31 23:59:59"
// received on 1 January is last year's; "Jan  1 00:00:01" received on 31 December is next year's.
// A date that does not exist in a candidate year (29 February) skips that year.
func inferYear(ts, now time.Time, loc *time.Location) time.Time {
	now = now.In(loc)
	limit := now.Add(maxFutureSkew)
	for year := now.Year() + 1; year >= now.Year()-4; year-- {
		t := time.Date(year, ts.Month(), ts.Day(), ts.Hour(), ts.Minute(), ts.Second(), ts.Nanosecond(), loc)
		if t.Month() != ts.Month() || t.Day() != ts.Day() {
			continue
		}
		if !t.After(limit) {
			return t
		}
	}
	return time.Date(now.Year(), ts.Month(), ts.Day(), ts.Hour(), ts.Minute(), ts.Second(), ts.Nanosecond(), loc)
}
