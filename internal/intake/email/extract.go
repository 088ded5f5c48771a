package email

import (
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/net/html"

	"github.com/jhillyerd/enmime/v2"

	"github.com/quell-ir/quell/internal/alert"
)

// addresses reads the email addresses of an address header value ("Name <a@b>, c@d"), falling
// back to finding address-shaped text when the value is not well-formed, as in phishing it often
// is not. Names are returned beside the addresses where the value had them.
func addresses(value string) (addrs, names []string) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, nil
	}
	if list, err := enmime.ParseAddressList(value); err == nil {
		for _, a := range list {
			if o, ok := alert.NewObservable(alert.ObsEmail, a.Address, ""); ok {
				addrs = append(addrs, o.Value)
				names = append(names, a.Name)
			}
		}
		if len(addrs) > 0 {
			return addrs, names
		}
	}
	for _, o := range alert.Extract(value) {
		if o.Type == alert.ObsEmail {
			addrs = append(addrs, o.Value)
			names = append(names, "")
		}
	}
	return addrs, names
}

// domainOf is the domain of an email address.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

// receivedIPs finds the addresses in a Received header value: "from mx.example (mx.example
// [203.0.113.5])", "[IPv6:2001:db8::1]" and the like, in the order they appear.
func receivedIPs(value string) []netip.Addr {
	value = ipv6Tag.ReplaceAllString(value, " ")
	var out []netip.Addr
	for _, tok := range strings.FieldsFunc(value, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F' || r == '.' || r == ':')
	}) {
		if !strings.Contains(tok, ".") && strings.Count(tok, ":") < 2 {
			continue
		}
		a, err := netip.ParseAddr(tok)
		if err != nil {
			a, err = netip.ParseAddr(strings.TrimRight(tok, ".:")) // "helo=10.0.0.1."
		}
		if err == nil {
			out = append(out, a.Unmap())
		}
	}
	return out
}

var ipv6Tag = regexp.MustCompile(`(?i)ipv6:`)

// authResults reads the spf, dkim, dmarc and arc verdicts of an Authentication-Results header
// value (RFC 8601): "mx.example; spf=pass smtp.mailfrom=…; dkim=fail …; dmarc=fail …".
// The first verdict of each method is kept.
func authResults(value string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(value, ";") {
		m := authMethod.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			continue
		}
		method := strings.ToLower(m[1])
		if _, seen := out[method]; !seen {
			out[method] = strings.ToLower(m[2])
		}
	}
	return out
}

var authMethod = regexp.MustCompile(`(?i)^(spf|dkim|dmarc|arc)\s*=\s*([a-z]+)`)

// link is a URL or mailto address found in a message body.
type link struct {
	url   string // absolute http(s)/ftp URL, refanged
	email string // from a mailto: link
}

// htmlLinks reads the targets of links and forms in an HTML body: a and area href, form action,
// button formaction and iframe src. Relative, script, data and cid targets are left out.
func htmlLinks(doc string) []link {
	var out []link
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			var want string
			switch string(name) {
			case "a", "area":
				want = "href"
			case "form":
				want = "action"
			case "button", "input":
				want = "formaction"
			case "iframe":
				want = "src"
			default:
				continue
			}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == want {
					if l, ok := parseLink(string(v)); ok {
						out = append(out, l)
					}
				}
			}
		}
	}
}

// parseLink reads one link target.
func parseLink(target string) (link, bool) {
	target = alert.Refang(strings.TrimSpace(target))
	if target == "" {
		return link{}, false
	}
	if rest, ok := cutPrefixFold(target, "mailto:"); ok {
		addr, _, _ := strings.Cut(rest, "?")
		if decoded, err := url.PathUnescape(addr); err == nil {
			addr = decoded
		}
		if as, _ := addresses(addr); len(as) > 0 {
			return link{email: as[0]}, true
		}
		return link{}, false
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return link{}, false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ftp":
		return link{url: target}, true
	}
	return link{}, false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// urlHost types the host of a URL: an address or a domain.
func urlHost(raw, role string) (alert.Observable, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return alert.Observable{}, false
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		return alert.NewObservable(ipType(a), a.String(), role)
	}
	return alert.NewObservable(alert.ObsDomain, host, role)
}

func ipType(a netip.Addr) alert.ObservableType {
	if a.Unmap().Is4() {
		return alert.ObsIPv4
	}
	return alert.ObsIPv6
}

// forwarded is the header block a mail program writes above a message it forwards inline.
type forwarded struct {
	from, replyTo, to, subject, date string
	// offset is where the block starts in the text.
	offset int
}

// Header names of forwarded blocks, as mail programs write them in a few languages.
var forwardKeys = map[string]string{
	"from": "from", "von": "from", "de": "from", "van": "from", "da": "from", "från": "from", "fra": "from",
	"reply-to": "reply_to", "antwort an": "reply_to", "répondre à": "reply_to", "responder a": "reply_to",
	"to": "to", "an": "to", "à": "to", "a": "to", "para": "to", "aan": "to", "till": "to", "til": "to",
	"cc": "cc", "kopie": "cc",
	"subject": "subject", "betreff": "subject", "objet": "subject", "asunto": "subject", "onderwerp": "subject",
	"oggetto": "subject", "ämne": "subject", "emne": "subject",
	"date": "date", "sent": "date", "gesendet": "date", "datum": "date", "envoyé": "date", "enviado": "date",
	"verzonden": "date", "data": "date", "inviato": "date", "skickat": "date", "sendt": "date",
}

var forwardLine = regexp.MustCompile(`^([\p{L}][\p{L} -]{0,20}?)\s*:\s*(.*)$`)

// findForwarded finds the first block of header lines in a body that names a sender and a
// subject or date: "From: … / Sent: … / To: … / Subject: …" in any order, maybe quoted with
// "> " or bolded with "*". At most one blank line may sit between its lines, and a wrapped To
// or Cc line may run on.
func findForwarded(text string) (forwarded, bool) {
	lines := strings.Split(text, "\n") // a CR before the LF goes with the line's space
	offset := 0
	offsets := make([]int, len(lines))
	for i, l := range lines {
		offsets[i] = offset
		offset += len(l) + 1
	}
	for i := 0; i < len(lines); i++ {
		key, _ := forwardHeader(lines[i])
		if key == "" {
			continue
		}
		f := forwarded{offset: offsets[i]}
		seen := map[string]bool{}
		last, blanks := "", 0
		for j := i; j < len(lines) && j < i+40; j++ {
			k, v := forwardHeader(lines[j])
			if k == "" {
				if strings.TrimSpace(strings.TrimLeft(lines[j], "> \t")) == "" {
					if blanks++; blanks > 1 {
						break
					}
					continue
				}
				if last == "to" || last == "cc" {
					continue // a wrapped address list
				}
				break
			}
			blanks = 0
			last = k
			if seen[k] {
				break // a second block starts
			}
			seen[k] = true
			switch k {
			case "from":
				f.from = v
			case "reply_to":
				f.replyTo = v
			case "to":
				f.to = v
			case "subject":
				f.subject = v
			case "date":
				f.date = v
			}
		}
		if seen["from"] && (seen["subject"] || seen["date"]) {
			return f, true
		}
	}
	return forwarded{}, false
}

// forwardHeader reads one line of a forwarded block: its canonical key and value.
func forwardHeader(line string) (key, value string) {
	line = strings.TrimSpace(strings.TrimLeft(line, "> \t"))
	line = strings.TrimLeft(line, "*")
	m := forwardLine.FindStringSubmatch(line)
	if m == nil {
		return "", ""
	}
	k, ok := forwardKeys[strings.ToLower(strings.TrimRight(m[1], "* "))]
	if !ok {
		return "", ""
	}
	return k, strings.TrimSpace(strings.Trim(m[2], "* "))
}

// forwardPrefix matches the "Fwd:", "FW:", "WG:", "TR:", "RV:", "I:", "Doorst:" mail programs put
// before a forwarded message's subject, repeated.
var forwardPrefix = regexp.MustCompile(`(?i)^\s*(?:(?:fwd?|fw|wg|tr|rv|enc|i|doorst|vs|vb)\s*:\s*)+`)

// stripForwardPrefix takes the forwarding prefixes off a subject.
func stripForwardPrefix(subject string) (string, bool) {
	loc := forwardPrefix.FindStringIndex(subject)
	if loc == nil {
		return subject, false
	}
	return strings.TrimSpace(subject[loc[1]:]), true
}

// parseDate reads an RFC 5322 date, as in a Date header.
func parseDate(s string) (time.Time, bool) {
	d, err := mail.ParseDate(strings.TrimSpace(s))
	return d, err == nil
}

// separatorLine matches the lines mail programs write above a forwarded block: rules of dashes
// or underscores, "Forwarded message", "Original Message", "Begin forwarded message:".
var separatorLine = regexp.MustCompile(`(?i)^[\s>*]*(?:[-_=]{3,}.*|.*(?:forwarded|original message|weitergeleitet|transféré|reenviado|doorgestuurd).*)$`)

// trimSeparators takes the separator lines and blank lines off the end of a reporter's note.
func trimSeparators(note string) string {
	lines := strings.Split(strings.ReplaceAll(note, "\r\n", "\n"), "\n")
	for len(lines) > 0 {
		l := strings.TrimSpace(lines[len(lines)-1])
		if l != "" && !separatorLine.MatchString(l) {
			break
		}
		lines = lines[:len(lines)-1]
	}
	return strings.TrimRight(strings.Join(lines, "\n"), " \t")
}
