package formats

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/validation"
)

// blank reports whether s holds nothing but white space and control characters: what
// alert.Normalise would reduce to an empty string.
func blank(s string) bool {
	return strings.TrimFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || unicode.IsSpace(r) }) == ""
}

// firstOf returns the first of values that is not blank.
func firstOf(values ...string) string {
	for _, v := range values {
		if !blank(v) {
			return v
		}
	}
	return ""
}

// noAlerts is the error for a body that holds items none of which is an alert.
func noAlerts(n int, why string) error {
	if n == 0 {
		return validation.Errorf("", "the body holds no alerts")
	}
	if n == 1 {
		return validation.Errorf("", "the body holds no alert: %s", why)
	}
	return validation.Errorf("", "none of the %d items in the body is an alert: %s", n, why)
}

// severityName reads a severity as tools spell it (alert.ParseSeverity); "" when unknown, so
// that Normalise applies its default.
func severityName(s string) alert.Severity {
	if sev, ok := alert.ParseSeverity(s); ok {
		return sev
	}
	return ""
}

// Severities by rank, 0 = informational … 4 = critical.
var severityRanks = [...]alert.Severity{
	incident.SeverityInformational, incident.SeverityLow, incident.SeverityMedium,
	incident.SeverityHigh, incident.SeverityCritical,
}

// timeLayouts are the spellings of a time tools use: RFC 3339, the same with the offset
// written without a colon (Suricata, Wazuh: "-0600", "+0000"), with a space for the "T", and
// without any offset (read as UTC).
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999",
}

// parseTime reads a time as tools write it: one of timeLayouts, or a number of seconds,
// milliseconds, microseconds or nanoseconds since 1970 (told apart by size: below 1e11 it is
// seconds, and so on by factors of 1000). Blank gives the zero time.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if c := s[0]; c >= '0' && c <= '9' && !strings.ContainsAny(s, "-:T ") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("must be a time (RFC 3339, or seconds or milliseconds since 1970), not %s", describe(s))
		}
		return epochTime(f)
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, inRange(t)
		}
	}
	return time.Time{}, fmt.Errorf("must be a time (RFC 3339, or seconds or milliseconds since 1970), not %s", describe(s))
}

// inRange refuses a time whose year in UTC falls outside 1–9999, which RFC 3339 (and so
// the API and JSON) cannot write: "9999-12-31T23:59:59-23:00" is in year 10000 in UTC.
func inRange(t time.Time) error {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("must be a time in the years 1 to 9999 in UTC, not %s", t.Format(time.RFC3339Nano))
	}
	return nil
}

// epochTime reads a count since 1970 whose unit is told by its size. Whole counts are
// converted exactly; a fraction (seconds with decimals, as Splunk's _time) is kept to the
// microsecond.
func epochTime(f float64) (time.Time, error) {
	if math.IsNaN(f) || f < 0 || f >= 9e18 {
		return time.Time{}, fmt.Errorf("must be a time; %v is out of range for a count since 1970", f)
	}
	if whole := math.Trunc(f); whole == f {
		n := int64(whole)
		switch {
		case f < 1e11:
			return time.Unix(n, 0).UTC(), nil
		case f < 1e14:
			return time.UnixMilli(n).UTC(), nil
		case f < 1e17:
			return time.UnixMicro(n).UTC(), nil
		}
		return time.Unix(0, n).UTC(), nil
	}
	for _, scale := range []float64{1, 1e3, 1e6} {
		if f < 1e11*scale {
			sec, frac := math.Modf(f / scale)
			return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC(), nil
		}
	}
	return time.Unix(0, int64(f)).UTC(), nil
}

// time reads a member as a time (see parseTime); a time that cannot be read is an error.
func (o *object) time(key string) time.Time {
	t, err := parseTime(o.str(key))
	if err != nil {
		o.fail(key, "%v", err)
	}
	return t
}

// pathTime reads a dotted field (see lookup) as a time.
func (o *object) pathTime(path string) time.Time {
	_, holder, key := o.lookup(path)
	if holder == nil {
		return time.Time{}
	}
	return holder.time(key)
}

// setLabel sets a label when the value is not blank.
func setLabel(labels map[string]string, key, value string) {
	if !blank(value) {
		labels[key] = strings.TrimSpace(value)
	}
}

// flatten adds the scalar members of o to labels as prefix+key (nested objects as
// prefix+key+"."+inner, down to depth levels; arrays of scalars joined with ", "), adding at
// most limit labels. It returns how many it added.
func flatten(labels map[string]string, prefix string, o *object, depth, limit int) int {
	added := 0
	for _, k := range o.keys() {
		if added >= limit {
			break
		}
		v := o.m[k]
		if isNull(v) {
			continue
		}
		switch v[0] {
		case '{':
			if depth > 0 {
				var errp error
				kid := newObject(v, "", &errp)
				added += flatten(labels, prefix+k+".", kid, depth-1, limit-added)
			}
		case '[':
			var parts []string
			raws, _ := elements(v)
			for _, e := range raws {
				if s, ok := scalarText(e); ok && !blank(s) {
					parts = append(parts, s)
				}
			}
			if len(parts) > 0 {
				labels[prefix+k] = strings.Join(parts, ", ")
				added++
			}
		default:
			if s, _ := scalarText(v); !blank(s) {
				labels[prefix+k] = s
				added++
			}
		}
	}
	return added
}

// observables gathers the typed values of one alert. Values are checked and put in canonical
// form by alert.Normalise, which drops those that are not valid values of their type.
type observables []alert.Observable

// add appends a value of a known type, unless blank or, for a hash, all zeros (what some
// tools send for a hash they did not compute).
func (s *observables) add(t alert.ObservableType, value, role string) {
	value = strings.TrimSpace(value)
	if value == "" {
		return
	}
	if (t == alert.ObsMD5 || t == alert.ObsSHA1 || t == alert.ObsSHA256) && strings.Trim(value, "0") == "" {
		return
	}
	*s = append(*s, alert.Observable{Type: t, Value: value, Role: role})
}

// ip appends an IPv4 or IPv6 address.
func (s *observables) ip(value, role string) {
	if strings.Contains(value, ":") {
		s.add(alert.ObsIPv6, value, role)
	} else {
		s.add(alert.ObsIPv4, value, role)
	}
}

// addr appends a value that may be an address or a host name ("10.0.0.1", "web01").
func (s *observables) addr(value, role string) {
	value = strings.TrimSpace(value)
	if _, err := netip.ParseAddr(strings.Trim(value, "[]")); err == nil {
		s.ip(value, role)
		return
	}
	s.add(alert.ObsHost, value, role)
}

// hostPort appends the host of a "host:port" value (Prometheus's instance label).
func (s *observables) hostPort(value, role string) {
	if ap, err := netip.ParseAddrPort(value); err == nil {
		s.ip(ap.Addr().String(), role)
		return
	}
	if i := strings.LastIndexByte(value, ':'); i > 0 && !strings.Contains(value[:i], ":") {
		value = value[:i]
	}
	s.addr(value, role)
}

// hash appends a file hash typed by its length (MD5, SHA-1 or SHA-256).
func (s *observables) hash(value, role string) {
	value = strings.TrimSpace(value)
	switch len(value) {
	case 32:
		s.add(alert.ObsMD5, value, role)
	case 40:
		s.add(alert.ObsSHA1, value, role)
	case 64:
		s.add(alert.ObsSHA256, value, role)
	}
}

// domainOrAddr appends a name that may be a domain or an address (an HTTP host, a TLS SNI).
func (s *observables) domainOrAddr(value, role string) {
	value = strings.TrimSpace(value)
	if _, err := netip.ParseAddr(strings.Trim(value, "[]")); err == nil {
		s.ip(value, role)
		return
	}
	s.add(alert.ObsDomain, value, role)
}

// email appends an email address, without the angle brackets SMTP puts around it.
func (s *observables) email(value, role string) {
	value = strings.TrimSpace(value)
	if i := strings.IndexByte(value, '<'); i >= 0 {
		value = strings.TrimSuffix(value[i+1:], ">")
	}
	s.add(alert.ObsEmail, value, role)
}
