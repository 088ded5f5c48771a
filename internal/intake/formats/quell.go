package formats

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/validation"
)

// quellFields are the members of an alert in Quell's own schema, in the order messages list
// them.
var quellFields = []string{"source", "source_ref", "fingerprint", "title", "description", "severity",
	"labels", "observables", "occurred_at", "resolved", "raw"}

// observableFields are the members of an observable in Quell's own schema.
var observableFields = []string{"type", "value", "role"}

// DecodeQuell reads Quell's own alert schema: one JSON object or a JSON array of them. The
// members of an alert are those of alert.Input as JSON:
//
//	source       required; the sending tool, such as "nagios" or "my-scanner"
//	title        required
//	source_ref, fingerprint, description   strings
//	severity     critical, high, medium, low or informational (or a name ParseSeverity knows)
//	labels       an object of strings
//	observables  an array of {"type", "value", "role"}; type is one of alert.ObservableTypes
//	occurred_at  an RFC 3339 time
//	resolved     true for the all-clear of an earlier alert with the same fingerprint
//	raw          the original payload, kept with the alert: a string is kept as its text,
//	             any other JSON value as its JSON; without it, the alert's own JSON is kept
//
// Unknown members are refused, so that a misspelt field does not pass unnoticed. The source
// and title are checked to be present; their form and every limit are left to
// alert.Normalise.
func DecodeQuell(body []byte) ([]alert.Input, error) {
	body, start := cleanBody(body)
	if start == len(body) {
		return nil, validation.Errorf("", "the body is empty")
	}
	if err := validJSON(body); err != nil {
		return nil, err
	}
	value := bytes.TrimRight(body[start:], " \t\r\n")
	var items []item
	switch value[0] {
	case '[':
		raws, _ := elements(value)
		for i, r := range raws {
			items = append(items, item{raw: r, ptr: "/" + strconv.Itoa(i)})
		}
	case '{':
		items = []item{{raw: value}}
	default:
		return nil, validation.Errorf("", "the body must be an alert (a JSON object) or an array of alerts, not %s", kindOf(value))
	}
	if len(items) == 0 {
		return nil, noAlerts(0, "")
	}
	out := make([]alert.Input, 0, len(items))
	for _, it := range items {
		var err error
		in := quellAlert(newObject(it.raw, it.ptr, &err))
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

func quellAlert(o *object) alert.Input {
	for _, k := range o.keys() {
		if !slices.Contains(quellFields, k) {
			o.fail(k, "is not a field of an alert; the fields are %s", strings.Join(quellFields, ", "))
		}
	}
	in := alert.Input{
		Source:      o.text("source"),
		SourceRef:   o.text("source_ref"),
		Fingerprint: o.text("fingerprint"),
		Title:       o.text("title"),
		Description: o.text("description"),
		Resolved:    o.flag("resolved"),
		Raw:         o.raw,
	}
	if blank(in.Source) {
		o.fail("source", "is required")
	}
	if blank(in.Title) {
		o.fail("title", "is required")
	}
	if sev := o.text("severity"); sev != "" {
		if _, ok := alert.ParseSeverity(sev); !ok {
			o.fail("severity", "must be one of critical, high, medium, low, informational, not %s", describe(sev))
		}
		in.Severity = alert.Severity(sev)
	}
	if ts := o.text("occurred_at"); ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			o.fail("occurred_at", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z, not %s", describe(ts))
		} else if err := inRange(t); err != nil {
			o.fail("occurred_at", "%v", err)
		}
		in.OccurredAt = t
	}
	if v := o.m["labels"]; !isNull(v) {
		labels := o.obj("labels")
		in.Labels = make(map[string]string, len(labels.m))
		for _, k := range labels.keys() {
			in.Labels[k] = labels.text(k)
		}
	}
	for _, ob := range o.objects("observables") {
		for _, k := range ob.keys() {
			if !slices.Contains(observableFields, k) {
				ob.fail(k, "is not a field of an observable; the fields are %s", strings.Join(observableFields, ", "))
			}
		}
		t := alert.ObservableType(ob.text("type"))
		if !t.Valid() {
			ob.fail("type", "must be one of %s, not %s", observableTypeList(), describe(string(t)))
		}
		value := ob.text("value")
		if blank(value) {
			ob.fail("value", "is required")
		}
		in.Observables = append(in.Observables, alert.Observable{Type: t, Value: value, Role: ob.text("role")})
	}
	if v := o.m["raw"]; !isNull(v) {
		if v[0] == '"' {
			s, _ := scalarText(v)
			in.Raw = []byte(s)
		} else {
			in.Raw = v
		}
	}
	return in
}

// text reads a member that must be a JSON string (absent and null give "").
func (o *object) text(key string) string {
	v := o.m[key]
	if isNull(v) {
		return ""
	}
	if v[0] != '"' {
		o.fail(key, "must be a string, not %s", kindOf(v))
		return ""
	}
	s, _ := scalarText(v)
	return s
}

// flag reads a member that must be a JSON boolean (absent and null give false).
func (o *object) flag(key string) bool {
	v := o.m[key]
	if isNull(v) {
		return false
	}
	if v[0] != 't' && v[0] != 'f' {
		o.fail(key, "must be true or false, not %s", kindOf(v))
		return false
	}
	return v[0] == 't'
}

func observableTypeList() string {
	names := make([]string, len(alert.ObservableTypes))
	for i, t := range alert.ObservableTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}
