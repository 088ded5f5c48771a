package alert

import (
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// ObservableType says what an observable's value is.
type ObservableType string

// Observable types.
const (
	ObsIPv4     ObservableType = "ipv4"
	ObsIPv6     ObservableType = "ipv6"
	ObsDomain   ObservableType = "domain"
	ObsURL      ObservableType = "url"
	ObsEmail    ObservableType = "email"
	ObsMD5      ObservableType = "md5"
	ObsSHA1     ObservableType = "sha1"
	ObsSHA256   ObservableType = "sha256"
	ObsFileName ObservableType = "file_name"
	ObsUser     ObservableType = "user"
	ObsHost     ObservableType = "host"
	ObsCVE      ObservableType = "cve"
)

// ObservableTypes lists every observable type.
var ObservableTypes = []ObservableType{ObsIPv4, ObsIPv6, ObsDomain, ObsURL, ObsEmail, ObsMD5, ObsSHA1,
	ObsSHA256, ObsFileName, ObsUser, ObsHost, ObsCVE}

// Valid reports whether t is a known observable type.
func (t ObservableType) Valid() bool { return slices.Contains(ObservableTypes, t) }

// Observable is one typed value an alert carries: an address, a domain, a hash, a user.
type Observable struct {
	Type  ObservableType `json:"type"`
	Value string         `json:"value"`
	// Role says what part the value played when the source says so: "source", "destination",
	// "sender", "reply_to", "attachment", "received" and so on. Empty when unknown.
	Role string `json:"role,omitempty"`
}

// NewObservable types and canonicalises a value whose type is known; ok is false when the value
// is not a valid value of that type. Addresses are written in canonical form, domains, emails and
// hashes in lower case.
func NewObservable(t ObservableType, value, role string) (Observable, bool) {
	v := strings.TrimSpace(value)
	if v == "" || len(v) > MaxObservableLen || !t.Valid() {
		return Observable{}, false
	}
	switch t {
	case ObsIPv4, ObsIPv6:
		addr, err := netip.ParseAddr(strings.Trim(v, "[]"))
		if err != nil {
			return Observable{}, false
		}
		addr = addr.Unmap().WithZone("")
		if addr.Is4() {
			t = ObsIPv4
		} else {
			t = ObsIPv6
		}
		v = addr.String()
	case ObsDomain, ObsHost:
		v = strings.TrimSuffix(strings.ToLower(v), ".")
		if t == ObsDomain && !isDomain(v) {
			return Observable{}, false
		}
	case ObsEmail:
		v = strings.ToLower(v)
		if !emailPattern.MatchString(v) || emailPattern.FindString(v) != v {
			return Observable{}, false
		}
	case ObsMD5, ObsSHA1, ObsSHA256:
		v = strings.ToLower(v)
		want := map[ObservableType]int{ObsMD5: 32, ObsSHA1: 40, ObsSHA256: 64}[t]
		if len(v) != want || strings.Trim(v, "0123456789abcdef") != "" {
			return Observable{}, false
		}
	case ObsURL:
		u, err := url.Parse(v)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return Observable{}, false
		}
	case ObsCVE:
		v = strings.ToUpper(v)
		if !cvePattern.MatchString(v) || cvePattern.FindString(v) != v {
			return Observable{}, false
		}
	}
	return Observable{Type: t, Value: v, Role: cut(strings.TrimSpace(role), 64)}, true
}

var (
	urlPattern    = regexp.MustCompile(`(?i)\b(?:https?|hxxps?|ftp)://[^\s<>"'` + "`" + `\\]+`)
	emailPattern  = regexp.MustCompile(`(?i)[a-z0-9._%+-]{1,64}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}`)
	ipv6Pattern   = regexp.MustCompile(`(?i)(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})`)
	domainPattern = regexp.MustCompile(`(?i)\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]\b`)
	cvePattern    = regexp.MustCompile(`(?i)\bCVE-\d{4}-\d{4,7}\b`)
)

// fileExtensions are endings that make a dotted word a file name rather than a domain, even
// where the ending is also a country's top-level domain (.sh, .py, .pl, .rs, .md).
var fileExtensions = map[string]bool{
	"exe": true, "dll": true, "sys": true, "bat": true, "cmd": true, "ps1": true, "psm1": true, "vbs": true,
	"js": true, "jse": true, "hta": true, "lnk": true, "scr": true, "msi": true, "jar": true, "py": true,
	"sh": true, "pl": true, "rb": true, "php": true, "asp": true, "aspx": true, "jsp": true, "txt": true,
	"log": true, "csv": true, "json": true, "xml": true, "yml": true, "yaml": true, "ini": true, "conf": true,
	"cfg": true, "doc": true, "docx": true, "docm": true, "xls": true, "xlsx": true, "xlsm": true, "ppt": true,
	"pptx": true, "pdf": true, "rtf": true, "zip": true, "rar": true, "7z": true, "gz": true, "tgz": true,
	"tar": true, "iso": true, "img": true, "png": true, "jpg": true, "jpeg": true, "gif": true, "bmp": true,
	"html": true, "htm": true, "tmp": true, "dat": true, "bin": true, "so": true, "md": true, "rs": true,
	"go": true, "c": true, "h": true, "java": true, "class": true, "pem": true, "key": true, "crt": true,
	"eml": true, "msg": true, "one": true, "svg": true, "db": true, "bak": true, "old": true, "local": true,
	"internal": true, "lan": true, "localdomain": true, "arpa": true,
}

// isDomain reports whether v looks like a public domain name: dotted labels, an alphabetic last
// label that is not a common file extension.
func isDomain(v string) bool {
	if len(v) > 253 || domainPattern.FindString(v) != v {
		return false
	}
	tld := v[strings.LastIndexByte(v, '.')+1:]
	if fileExtensions[tld] || len(tld) < 2 {
		return false
	}
	for _, r := range tld {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// Refang undoes the usual defanging of indicators in reports: hxxp → http, [.] (.) {.} → ".",
// [@] [at] → "@", [:] → ":".
func Refang(s string) string {
	if !strings.ContainsAny(s, "[({") && !strings.Contains(strings.ToLower(s), "hxxp") {
		return s
	}
	r := strings.NewReplacer("[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "(dot)", ".",
		"[@]", "@", "[at]", "@", "(at)", "@", "[:]", ":", "[://]", "://",
		"hxxps://", "https://", "hxxp://", "http://", "HXXPS://", "https://", "HXXP://", "http://")
	return r.Replace(s)
}

// Extract finds the observables in free text: URLs, email addresses, IPv4 and IPv6 addresses,
// domains, MD5/SHA-1/SHA-256 hashes and CVE ids. Defanged indicators are refanged first. Domains
// inside URLs and email addresses are reported as domains too. The result has no duplicates:
// URLs, email addresses, IPv6 addresses and CVE ids first, then IPv4 addresses, hashes and
// domains in the order they appear.
//
// It runs on every alert's text at intake, so it avoids regular expressions where a scan will
// do: one pass over the words of the text finds addresses, hashes and domains.
func Extract(text string) []Observable {
	if text == "" {
		return nil
	}
	text = Refang(text)
	var out []Observable
	seen := map[Observable]bool{}
	add := func(t ObservableType, v string) {
		if o, ok := NewObservable(t, v, ""); ok && !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	// Spans already claimed by a URL or an email are not scanned again for bare domains.
	rest := text
	if strings.Contains(text, "://") {
		spans := urlPattern.FindAllStringIndex(text, -1)
		for _, sp := range spans {
			m := strings.TrimRight(text[sp[0]:sp[1]], ".,;:!?)]}'\"")
			add(ObsURL, m)
			if u, err := url.Parse(m); err == nil {
				host := u.Hostname()
				if addr, err := netip.ParseAddr(host); err == nil {
					if addr.Is4() {
						add(ObsIPv4, host)
					} else {
						add(ObsIPv6, host)
					}
				} else {
					add(ObsDomain, host)
				}
			}
		}
		rest = blank(rest, spans)
	}
	if strings.IndexByte(rest, '@') >= 0 {
		spans := emailPattern.FindAllStringIndex(rest, -1)
		for _, sp := range spans {
			m := rest[sp[0]:sp[1]]
			add(ObsEmail, m)
			add(ObsDomain, m[strings.LastIndexByte(m, '@')+1:])
		}
		rest = blank(rest, spans)
	}
	if strings.Count(rest, ":") >= 2 {
		for _, m := range ipv6Pattern.FindAllString(rest, -1) {
			if strings.Count(m, ":") >= 2 && strings.ContainsAny(m, "0123456789abcdefABCDEF") {
				if addr, err := netip.ParseAddr(m); err == nil && addr.Is6() && !addr.Is4In6() {
					add(ObsIPv6, m)
				}
			}
		}
	}
	if strings.Contains(rest, "CVE-") || strings.Contains(rest, "cve-") {
		for _, m := range cvePattern.FindAllString(rest, -1) {
			add(ObsCVE, m)
		}
	}
	for _, word := range strings.FieldsFunc(rest, notWordRune) {
		word = strings.Trim(word, ".-")
		switch {
		case len(word) < 4:
		case isIPv4Like(word):
			add(ObsIPv4, word)
		case (len(word) == 32 || len(word) == 40 || len(word) == 64) && isHex(word):
			add(map[int]ObservableType{32: ObsMD5, 40: ObsSHA1, 64: ObsSHA256}[len(word)], word)
		case strings.IndexByte(word, '.') > 0:
			add(ObsDomain, word)
		}
	}
	return out
}

// blank replaces the spans of s with spaces, in one pass, so that what they matched is not
// matched again as something else.
func blank(s string, spans [][]int) string {
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp[0]])
		b.WriteByte(' ')
		last = sp[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// notWordRune splits text into the words that can be addresses, hashes or domains.
func notWordRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-')
}

// isIPv4Like reports whether w is four dot-separated groups of one to three digits.
func isIPv4Like(w string) bool {
	dots, digits := 0, 0
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c >= '0' && c <= '9':
			digits++
			if digits > 3 {
				return false
			}
		case c == '.':
			if digits == 0 {
				return false
			}
			dots, digits = dots+1, 0
		default:
			return false
		}
	}
	return dots == 3 && digits > 0
}

func isHex(w string) bool {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// collectObservables merges the observables a parser gave with those found in the alert's text
// and label values, without duplicates, at most MaxObservables.
func collectObservables(given []Observable, a Alert) []Observable {
	out := make([]Observable, 0, len(given))
	seen := map[[2]string]bool{}
	add := func(o Observable) {
		key := [2]string{string(o.Type), o.Value}
		if len(out) < MaxObservables && !seen[key] {
			seen[key] = true
			out = append(out, o)
		}
	}
	for _, g := range given {
		if o, ok := NewObservable(g.Type, g.Value, g.Role); ok {
			add(o)
		}
	}
	for _, o := range Extract(a.Title) {
		add(o)
	}
	for _, o := range Extract(a.Description) {
		add(o)
	}
	keys := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, o := range Extract(a.Labels[k]) {
			add(o)
		}
	}
	return out
}
