package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/netip"
	"net/textproto"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/incident"
)

// Source is the alert source of every alert this package makes.
const Source = "email"

// ErrUnusable is wrapped by ParseReport's error when the input holds nothing to report: no
// bytes, or bytes that are neither a mail message nor text.
var ErrUnusable = errors.New("email: no report in the message")

const (
	// maxAttachedMessages bounds how many attached messages of one report are read.
	maxAttachedMessages = 10
	// maxScan bounds how much of each body is searched for indicators.
	maxScan = 2 << 20
	// maxExcerpt bounds the suspect's text and the reporter's note in the description.
	maxExcerpt = 4 << 10
)

// message is one mail message as far as it could be read.
type message struct {
	header   textproto.MIMEHeader
	text     string
	html     string
	files    []file
	attached [][]byte // the raw bytes of attached messages (message/rfc822 parts, .eml files)
	problems []string // what went wrong while reading it
}

type file struct {
	name    string
	content []byte
}

func (m *message) get(name string) string {
	return strings.TrimSpace(enmime.DecodeRFC2047(m.header.Get(name)))
}

// readMessage reads a message with enmime; when that fails it falls back to the headers
// net/mail can read, and then to the bytes as plain text. It fails only for input that is not
// text at all.
func readMessage(raw []byte) (*message, error) {
	env, err := readEnvelope(raw)
	if err == nil && hasMailHeaders(env.Root.Header) {
		m := &message{header: env.Root.Header, text: env.Text, html: env.HTML}
		for _, e := range env.Errors {
			m.problems = append(m.problems, e.Error())
		}
		for _, p := range env.Root.DepthMatchAll(func(*enmime.Part) bool { return true }) {
			if p == env.Root {
				continue
			}
			switch {
			case isMessage(p):
				m.attached = append(m.attached, p.Content)
			case p.FileName != "" || (p.Disposition == "attachment" && !strings.HasPrefix(p.ContentType, "multipart/")):
				m.files = append(m.files, file{name: p.FileName, content: p.Content})
			}
		}
		return m, nil
	}
	var problems []string
	if err != nil {
		problems = append(problems, "MIME: "+err.Error())
		if msg, merr := mail.ReadMessage(bytes.NewReader(raw)); merr == nil && hasMailHeaders(textproto.MIMEHeader(msg.Header)) {
			body, _ := io.ReadAll(msg.Body)
			return &message{header: textproto.MIMEHeader(msg.Header), text: string(body), problems: problems}, nil
		}
	}
	if !isText(raw) {
		return nil, fmt.Errorf("%w: it is neither a mail message nor text", ErrUnusable)
	}
	// Without one header a mail message has, the bytes are text a user typed, even where a
	// lenient parser read "Note: see this link" as a header.
	problems = append(problems, "no mail headers")
	return &message{header: textproto.MIMEHeader{}, text: string(raw), problems: problems}, nil
}

// mailHeaders are fields of which a mail message has at least one.
var mailHeaders = []string{"From", "To", "Cc", "Subject", "Date", "Message-Id", "Mime-Version", "Content-Type",
	"Received", "Return-Path", "Reply-To", "Sender", "Resent-From", "Delivered-To", "Authentication-Results"}

func hasMailHeaders(h textproto.MIMEHeader) bool {
	for _, k := range mailHeaders {
		if _, ok := h[k]; ok {
			return true
		}
	}
	return false
}

// readEnvelope is enmime's parser, with a panic inside it taken as a parse error: a message from
// the network must never take the listener down.
func readEnvelope(raw []byte) (env *enmime.Envelope, err error) {
	defer func() {
		if r := recover(); r != nil {
			env, err = nil, fmt.Errorf("parser failed: %v", r)
		}
	}()
	p := enmime.NewParser(enmime.MaxStoredPartErrors(20))
	env, err = p.ReadEnvelope(bytes.NewReader(raw))
	if err == nil && (env == nil || env.Root == nil) {
		err = errors.New("no message")
	}
	return env, err
}

// isMessage reports whether a part is an attached mail message.
func isMessage(p *enmime.Part) bool {
	switch strings.ToLower(p.ContentType) {
	case "message/rfc822", "message/global":
		return true
	}
	return strings.HasSuffix(strings.ToLower(p.FileName), ".eml")
}

// isText reports whether bytes read as text: mostly printable, no NUL.
func isText(b []byte) bool {
	b = b[:min(len(b), 8<<10)]
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	total, bad := len(b), 0
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 || r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			bad++
		}
		b = b[n:]
	}
	return bad*10 <= total // at most one byte in ten is not text
}

// suspect is the reported message: the headers that matter and its content.
type suspect struct {
	from, fromNames, replyTo, returnPath []string
	subject, messageID, date             string
	received                             []string
	auth                                 map[string]string
	originatingIP                        string
	text, html                           string
	files                                []file
}

func suspectOf(m *message) suspect {
	s := suspect{
		subject:   m.get("Subject"),
		messageID: strings.Trim(m.get("Message-Id"), "<> "),
		date:      m.get("Date"),
		received:  m.header.Values("Received"),
		text:      m.text,
		html:      m.html,
		files:     m.files,
		auth:      map[string]string{},
	}
	s.from, s.fromNames = addresses(m.get("From"))
	s.replyTo, _ = addresses(m.get("Reply-To"))
	s.returnPath, _ = addresses(m.get("Return-Path"))
	// The topmost Authentication-Results is the one the receiving organisation added.
	if ar := m.header.Values("Authentication-Results"); len(ar) > 0 {
		s.auth = authResults(enmime.DecodeRFC2047(ar[0]))
	}
	if _, ok := s.auth["spf"]; !ok {
		if spf := strings.Fields(strings.ToLower(m.get("Received-Spf"))); len(spf) > 0 {
			s.auth["spf"] = strings.Trim(spf[0], "();")
		}
	}
	s.originatingIP = strings.Trim(m.get("X-Originating-Ip"), "[] ")
	return s
}

// How the suspect message was found in the report.
const (
	fromAttachment = "attachment"     // attached as message/rfc822 or .eml
	fromInline     = "inline"         // forwarded inline, headers from the forwarded block
	fromReport     = "report"         // the report is the suspect message itself (redirected)
	fromUnknown    = "inline_unknown" // forwarded inline, but no forwarded block was found
)

// ParseReport reads a phishing report: a message a user forwarded to the report address, and
// envelopeFrom, the SMTP MAIL FROM it came with.
//
// The suspect message is the first attached message (message/rfc822, or a file named .eml);
// further attached messages (up to ten) add their indicators to the same alert and are counted in
// the attached_messages label. Without an attached message the report was forwarded inline: the
// suspect's headers are read from the block a mail program writes above a forwarded message
// ("From: … Subject: …"), and its body and attachments are the report's. A report with neither an
// attached message, a forwarded block nor a forwarding prefix in its subject ("Fwd:", "FW:") is
// taken to be the suspect message itself, redirected or sent straight to the report address.
//
// A message that cannot be read whole still gives an alert with what could be read and a
// parse_error label. The error wraps ErrUnusable when there is nothing to report at all.
func ParseReport(raw []byte, envelopeFrom string) (alert.Input, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return alert.Input{}, fmt.Errorf("%w: the message is empty", ErrUnusable)
	}
	outer, err := readMessage(raw)
	if err != nil {
		return alert.Input{}, err
	}
	b := newBuilder()
	problems := outer.problems

	// Who reported it.
	reporters, _ := addresses(envelopeFrom)
	envFrom := ""
	if len(reporters) > 0 {
		envFrom = reporters[0]
	}
	outerFrom, _ := addresses(outer.get("From"))
	resentFrom, _ := addresses(outer.get("Resent-From"))

	// What was reported.
	var suspects []suspect
	how, note := fromReport, ""
	switch {
	case len(outer.attached) > 0:
		how, note = fromAttachment, outer.text
		for i, a := range outer.attached[:min(len(outer.attached), maxAttachedMessages)] {
			m, err := readMessage(a)
			if err != nil {
				problems = append(problems, fmt.Sprintf("attached message %d: %v", i+1, err))
				continue
			}
			for _, p := range m.problems {
				problems = append(problems, fmt.Sprintf("attached message %d: %s", i+1, p))
			}
			suspects = append(suspects, suspectOf(m))
		}
		reporters = append(reporters, outerFrom...)
	default:
		s := suspectOf(outer)
		subject, forwardedSubject := stripForwardPrefix(s.subject)
		if f, ok := findForwarded(outer.text); ok {
			how, note = fromInline, trimSeparators(outer.text[:f.offset])
			s = suspect{subject: f.subject, date: f.date, text: outer.text[f.offset:], html: outer.html,
				files: outer.files, auth: map[string]string{}}
			s.from, s.fromNames = addresses(f.from)
			s.replyTo, _ = addresses(f.replyTo)
			if s.subject == "" {
				s.subject = subject
			}
			reporters = append(reporters, outerFrom...)
		} else if len(resentFrom) > 0 {
			reporters = append(reporters, resentFrom...)
		} else if forwardedSubject {
			how = fromUnknown
			s = suspect{subject: subject, text: outer.text, html: outer.html, files: outer.files, auth: map[string]string{}}
			reporters = append(reporters, outerFrom...)
		}
		suspects = append(suspects, s)
	}
	if len(suspects) == 0 {
		// Every attached message was unreadable: report what the report itself says.
		suspects = append(suspects, suspect{subject: outer.get("Subject"), text: outer.text, html: outer.html,
			auth: map[string]string{}})
	}
	primary := suspects[0]

	for _, s := range suspects {
		b.addresses(s.from, "sender", true)
		b.addresses(s.replyTo, "reply_to", true)
		b.addresses(s.returnPath, "return_path", true)
	}
	b.addresses(reporters, "reporter", false)
	for _, s := range suspects {
		for _, r := range s.received {
			for _, a := range receivedIPs(r) {
				b.add(ipType(a), a.String(), "received")
			}
		}
		if a, ok := parseAddr(s.originatingIP); ok {
			b.add(ipType(a), a.String(), "received")
		}
	}
	nFiles := 0
	for _, s := range suspects {
		for _, f := range s.files {
			nFiles++
			b.add(alert.ObsFileName, f.name, "attachment")
			sum := sha256.Sum256(f.content)
			b.add(alert.ObsSHA256, hex.EncodeToString(sum[:]), "attachment")
		}
	}
	nLinks := 0
	for _, s := range suspects {
		nLinks += b.body(s.text, s.html)
	}

	labels := map[string]string{"suspect_source": how}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			labels[k] = v
		}
	}
	set("reporter", first(reporters))
	set("envelope_from", envFrom)
	set("sender", first(primary.from))
	set("sender_name", first(primary.fromNames))
	set("reply_to", first(primary.replyTo))
	set("return_path", first(primary.returnPath))
	set("subject", primary.subject)
	set("message_id", primary.messageID)
	set("date", primary.date)
	set("report_subject", outer.get("Subject"))
	set("report_message_id", strings.Trim(outer.get("Message-Id"), "<> "))
	for _, k := range []string{"spf", "dkim", "dmarc", "arc"} {
		set("auth_"+k, primary.auth[k])
	}
	if len(suspects) > 1 || len(outer.attached) > 1 {
		set("attached_messages", strconv.Itoa(len(outer.attached)))
	}
	if nFiles > 0 {
		set("attachments", strconv.Itoa(nFiles))
	}
	if nLinks > 0 {
		set("links", strconv.Itoa(nLinks))
	}
	if len(problems) > 0 {
		set("parse_error", strings.Join(problems, "; "))
	}

	subject := primary.subject
	if subject == "" {
		subject = "(no subject)"
	}
	// The report's own Message-ID makes a relay's retry of the same report idempotent; reports
	// of the same suspect message by different people are different reports, and fold into one
	// alert through the fingerprint instead, each counted.
	in := alert.Input{
		Source:      Source,
		SourceRef:   labels["report_message_id"],
		Title:       "Phishing report: " + subject,
		Description: describe(how, reporters, primary, note, labels),
		Severity:    incident.SeverityMedium,
		Labels:      labels,
		Observables: b.obs,
		Raw:         raw,
	}
	in.Fingerprint = fingerprint(primary)
	if t, ok := parseDate(primary.date); ok {
		in.OccurredAt = t
	}
	return in, nil
}

// fingerprint keys the alert on the suspect message, so that the reports of many users about
// one message fold into one alert: its Message-ID, else its sender and subject.
func fingerprint(s suspect) string {
	key := ""
	switch {
	case s.messageID != "":
		key = "message-id\x00" + strings.ToLower(s.messageID)
	case len(s.from) > 0 || s.subject != "":
		key = "sender-subject\x00" + first(s.from) + "\x00" + s.subject
	default:
		return "" // computed from the title and labels on intake
	}
	sum := sha256.Sum256([]byte(key))
	return "phish:" + hex.EncodeToString(sum[:16])
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// describe writes the alert's description: who reported what, and excerpts to read.
func describe(how string, reporters []string, s suspect, note string, labels map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Phishing report from %s", orUnknown(first(reporters)))
	switch how {
	case fromAttachment:
		b.WriteString(" (suspect message attached).\n")
	case fromInline:
		b.WriteString(" (suspect message forwarded inline).\n")
	case fromUnknown:
		b.WriteString(" (forwarded inline; the original headers were not found).\n")
	default:
		b.WriteString(" (the report is the suspect message itself).\n")
	}
	for _, f := range []struct{ name, value string }{
		{"From", strings.Join(s.from, ", ")}, {"Reply-To", strings.Join(s.replyTo, ", ")},
		{"Return-Path", strings.Join(s.returnPath, ", ")}, {"Subject", s.subject}, {"Date", s.date},
		{"Message-ID", s.messageID},
	} {
		if f.value != "" {
			fmt.Fprintf(&b, "%s: %s\n", f.name, f.value)
		}
	}
	if len(s.auth) > 0 {
		b.WriteString("Authentication:")
		for _, k := range []string{"spf", "dkim", "dmarc", "arc"} {
			if v := s.auth[k]; v != "" {
				fmt.Fprintf(&b, " %s=%s", k, v)
			}
		}
		b.WriteString("\n")
	}
	if p := labels["parse_error"]; p != "" {
		fmt.Fprintf(&b, "The message could not be read whole: %s\n", p)
	}
	if note = strings.TrimSpace(note); note != "" {
		fmt.Fprintf(&b, "\nThe reporter wrote:\n%s\n", excerpt(note))
	}
	if text := strings.TrimSpace(s.text); text != "" {
		fmt.Fprintf(&b, "\nThe suspect message reads:\n%s\n", excerpt(text))
	}
	return b.String()
}

func excerpt(s string) string {
	if len(s) <= maxExcerpt {
		return s
	}
	n := maxExcerpt
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + " […]"
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown sender"
	}
	return s
}

// builder collects observables without duplicates; the first role given to a value is kept.
type builder struct {
	obs  []alert.Observable
	seen map[[2]string]bool
}

func newBuilder() *builder { return &builder{seen: map[[2]string]bool{}} }

func (b *builder) add(t alert.ObservableType, value, role string) {
	o, ok := alert.NewObservable(t, value, role)
	if !ok || len(b.obs) >= alert.MaxObservables {
		return
	}
	key := [2]string{string(o.Type), o.Value}
	if b.seen[key] {
		return
	}
	b.seen[key] = true
	b.obs = append(b.obs, o)
}

// addresses adds email addresses, and with domains their domains, under one role.
func (b *builder) addresses(addrs []string, role string, domains bool) {
	for _, a := range addrs {
		b.add(alert.ObsEmail, a, role)
		if domains {
			b.add(alert.ObsDomain, domainOf(a), role)
		}
	}
}

// body adds the indicators of a message body: links (HTML targets and URLs in the text, with
// their hosts) as "link", and the addresses and domains the text names as "body". It returns
// how many distinct links it found.
func (b *builder) body(text, htmlBody string) int {
	links := map[string]bool{}
	addLink := func(l link) {
		switch {
		case l.email != "":
			b.add(alert.ObsEmail, l.email, "link")
		case l.url != "":
			if o, ok := alert.NewObservable(alert.ObsURL, l.url, "link"); ok {
				links[o.Value] = true
			}
			b.add(alert.ObsURL, l.url, "link")
			if h, ok := urlHost(l.url, "link"); ok {
				b.add(h.Type, h.Value, h.Role)
			}
		}
	}
	for _, l := range htmlLinks(htmlBody[:min(len(htmlBody), maxScan)]) {
		addLink(l)
	}
	// The text goes to alert.Extract in small pieces: its cost grows with the length of the text
	// times the number of links in it.
	text = text[:min(len(text), maxScan)]
	for len(text) > 0 && len(b.obs) < alert.MaxObservables {
		var piece string
		piece, text = cutPiece(text, scanPiece)
		for _, o := range alert.Extract(piece) {
			switch o.Type {
			case alert.ObsURL:
				addLink(link{url: o.Value})
			case alert.ObsEmail, alert.ObsDomain, alert.ObsIPv4, alert.ObsIPv6:
				b.add(o.Type, o.Value, "body")
			}
		}
	}
	return len(links)
}

// scanPiece is the size of the pieces of text searched for indicators at a time.
const scanPiece = 4 << 10

// cutPiece cuts about size bytes off the front of s, at the last line end or space, so that no
// link is cut in two (unless one is longer than size).
func cutPiece(s string, size int) (piece, rest string) {
	if len(s) <= size {
		return s, ""
	}
	cut := strings.LastIndexAny(s[:size], "\n \t")
	if cut <= 0 {
		cut = size
	}
	return s[:cut+1], s[cut+1:]
}

// parseAddr reads an IP address, bracketed or not.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.Trim(s, "[] "))
	return a.Unmap(), err == nil
}
