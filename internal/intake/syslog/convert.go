package syslog

import (
	"bytes"
	"net/netip"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/incident"
)

// Source is the alert source of every alert this package makes.
const Source = "syslog"

// MapSeverity maps a syslog severity to an alert severity: emerg, alert and crit are critical,
// err is high, warning medium, notice low, info and debug informational.
func MapSeverity(s int) alert.Severity {
	switch {
	case s <= 2:
		return incident.SeverityCritical
	case s == 3:
		return incident.SeverityHigh
	case s == 4:
		return incident.SeverityMedium
	case s == 5:
		return incident.SeverityLow
	default:
		return incident.SeverityInformational
	}
}

// decide runs the rules on a message and, when the first rule that matches is not a drop rule,
// makes the alert. peer is the sender's address, the host when the message names none.
func decide(rules []*compiledRule, m *Message, raw []byte, peer string) (alert.Input, bool) {
	host := m.Hostname
	if host == "" {
		host = peer
	}
	subject := *m
	subject.Hostname = host
	var rule *compiledRule
	var groups map[string]string
	for _, c := range rules {
		if ok, g := c.match(&subject); ok {
			rule, groups = c, g
			break
		}
	}
	if rule == nil || rule.drop {
		return alert.Input{}, false
	}
	value := func(name string) string {
		switch name {
		case "host":
			return host
		case "program":
			return m.AppName
		case "message":
			return m.Text
		case "facility":
			return FacilityName(m.Facility)
		case "severity":
			return SeverityName(m.Severity)
		case "procid":
			return m.ProcID
		case "msgid":
			return m.MsgID
		case "rule":
			return rule.name
		}
		return groups[name]
	}
	in := alert.Input{
		Source:      Source,
		Title:       rule.title.render(value, alert.MaxTitleLen),
		Description: rule.description.render(value, alert.MaxDescriptionLen),
		Severity:    rule.severity,
		OccurredAt:  m.Timestamp,
		Raw:         bytes.Clone(raw),
		Labels: map[string]string{
			"host":            host,
			"facility":        FacilityName(m.Facility),
			"syslog_severity": SeverityName(m.Severity),
			"syslog_format":   string(m.Format),
			"rule":            rule.name,
		},
	}
	if in.Severity == "" {
		in.Severity = MapSeverity(m.Severity)
	}
	for k, v := range map[string]string{"program": m.AppName, "procid": m.ProcID, "msgid": m.MsgID, "peer": peer} {
		if v != "" {
			in.Labels[k] = v
		}
	}
	for _, k := range rule.labelKeys {
		if v := rule.labels[k].render(value, alert.MaxLabelValueLen); v != "" {
			in.Labels[k] = v
		}
	}
	if !rule.finger.empty() {
		in.Fingerprint = rule.finger.render(value, alert.MaxFingerprintLen)
	}
	if in.Fingerprint == "" {
		in.Fingerprint = alert.ComputeFingerprint(in.Title, map[string]string{
			"rule": rule.name, "host": host, "program": m.AppName,
		})
	}
	if o, ok := hostObservable(host); ok {
		in.Observables = append(in.Observables, o)
	}
	for _, ob := range rule.observables {
		if o, ok := alert.NewObservable(ob.typ, ob.value.render(value, alert.MaxObservableLen), ob.role); ok {
			in.Observables = append(in.Observables, o)
		}
	}
	return in, true
}

// hostObservable types the host a message came from: an address when it is one, else a host name.
func hostObservable(host string) (alert.Observable, bool) {
	if addr, err := netip.ParseAddr(host); err == nil {
		t := alert.ObsIPv6
		if addr.Unmap().Is4() {
			t = alert.ObsIPv4
		}
		return alert.NewObservable(t, host, "")
	}
	return alert.NewObservable(alert.ObsHost, host, "")
}
