package formats

import (
	"strings"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/incident"
)

// parseFalco reads Falco's JSON output (json_output: true; the http_output and program_output
// bodies) and what falcosidekick forwards (the same fields and a uuid): one event, events one
// per line, or a JSON array of them.
//
//	title        rule
//	description  output
//	severity     priority: Emergency, Alert, Critical → critical; Error → high;
//	             Warning → medium; Notice → low; Informational, Debug → informational
//	source_ref   uuid (falcosidekick), when present
//	fingerprint  rule with hostname and k8s.ns.name: the same rule firing again on the same
//	             host (or namespace) is one alert
//	labels       rule, priority, source, hostname, tags and every output field
//	observables  hostname, user.name, the addresses of the connection (fd.cip source,
//	             fd.sip destination, fd.rip, fd.lip), fd.sip.name and the file of fd.name
func parseFalco(body []byte) ([]alert.Input, error) {
	items, err := splitItems(body)
	if err != nil {
		return nil, err
	}
	out := make([]alert.Input, 0, len(items))
	for _, it := range items {
		var err error
		in := falcoAlert(newObject(it.raw, it.ptr, &err))
		if err != nil {
			return nil, err
		}
		in.Raw = it.raw
		out = append(out, in)
	}
	if len(out) == 0 {
		return nil, noAlerts(0, "")
	}
	return out, nil
}

func falcoAlert(o *object) alert.Input {
	fields := o.obj("output_fields")
	rule := o.str("rule")
	if blank(rule) {
		o.fail("rule", "is required")
	}
	host := firstOf(o.str("hostname"), fields.str("hostname"))
	in := alert.Input{
		Source:      Falco,
		SourceRef:   o.str("uuid"),
		Title:       rule,
		Description: o.str("output"),
		Severity:    falcoSeverity(o.str("priority")),
		OccurredAt:  o.time("time"),
		Labels:      map[string]string{},
	}
	in.Fingerprint = alert.ComputeFingerprint("falco:"+rule, map[string]string{
		"host": host, "namespace": fields.str("k8s.ns.name"),
	})
	l := in.Labels
	flatten(l, "", fields, 0, 48)
	setLabel(l, "rule", rule)
	setLabel(l, "priority", o.str("priority"))
	setLabel(l, "source", o.str("source"))
	setLabel(l, "hostname", host)
	setLabel(l, "tags", strings.Join(o.strs("tags"), ", "))

	var obs observables
	obs.addr(host, "")
	obs.add(alert.ObsUser, fields.str("user.name"), "")
	obs.ip(fields.str("fd.cip"), "source")
	obs.ip(fields.str("fd.sip"), "destination")
	obs.ip(fields.str("fd.rip"), "remote")
	obs.ip(fields.str("fd.lip"), "local")
	if name := fields.str("fd.name"); strings.HasPrefix(name, "/") {
		obs.add(alert.ObsFileName, name, "")
	}
	obs.add(alert.ObsDomain, fields.str("fd.sip.name"), "destination")
	in.Observables = obs
	return in
}

// falcoSeverity maps a Falco priority (syslog's levels) onto Quell's scale; "" when unknown.
func falcoSeverity(priority string) alert.Severity {
	switch strings.ToLower(strings.TrimSpace(priority)) {
	case "emergency", "alert", "critical":
		return incident.SeverityCritical
	case "error":
		return incident.SeverityHigh
	case "warning":
		return incident.SeverityMedium
	case "notice":
		return incident.SeverityLow
	case "informational", "info", "debug":
		return incident.SeverityInformational
	}
	return ""
}
