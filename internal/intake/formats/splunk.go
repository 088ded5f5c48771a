package formats

import (
	"encoding/json"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/incident"
)

// parseSplunk reads the body of Splunk's webhook alert action: one triggered alert, with the
// search id (sid), the saved search's name, app and owner, a link to the results and the first
// result row ("result").
//
//	title        search_name; for an ad hoc search (search_name null) the result's title,
//	             else "Splunk search <sid>"
//	description  the result's description or message field
//	severity     the result's severity or urgency field, by name (informational … critical)
//	             or as Splunk's alert severity number: 1–2 informational, 3 medium, 4–5 high,
//	             6 critical
//	source_ref   sid
//	fingerprint  app, search name and the result's host, src, dest and user fields: the same
//	             search finding the same thing again is one alert
//	labels       app, owner, search_name, and the result's fields as "result.<field>"
//	observables  the result's address, host, user, URL, domain, file and hash fields, by
//	             their common (CIM) names
func parseSplunk(body []byte) ([]alert.Input, error) {
	var err error
	msg, derr := decodeDocument(body, "a Splunk webhook alert", &err)
	if derr != nil {
		return nil, derr
	}
	sid, name, app := msg.str("sid"), msg.str("search_name"), msg.str("app")
	result := msg.obj("result")
	title := firstOf(name, result.str("title"), result.str("search_name"), result.str("rule_name"))
	if blank(title) && !blank(sid) {
		title = "Splunk search " + sid
	}
	if blank(title) {
		msg.fail("search_name", "is required (or sid)")
	}
	in := alert.Input{
		Source:      Splunk,
		SourceRef:   sid,
		Title:       title,
		Description: firstOf(result.str("description"), result.str("message")),
		Labels:      map[string]string{},
		OccurredAt:  result.time("_time"),
		Raw:         msg.raw,
	}
	for _, key := range []string{"severity", "urgency"} {
		if sev := splunkSeverity(result.str(key)); sev != "" {
			in.Severity = sev
			break
		}
	}
	in.Fingerprint = alert.ComputeFingerprint("splunk:"+app+"/"+firstOf(name, title), map[string]string{
		"host": result.str("host"), "src": result.str("src"), "dest": result.str("dest"), "user": result.str("user"),
	})
	setLabel(in.Labels, "app", app)
	setLabel(in.Labels, "owner", msg.str("owner"))
	setLabel(in.Labels, "search_name", name)
	flatten(in.Labels, "result.", &object{m: withoutInternal(result.m), errp: &err}, 1, 48)

	var obs observables
	for _, k := range []string{"src", "src_ip", "source_ip", "src_host"} {
		obs.addr(result.str(k), "source")
	}
	for _, k := range []string{"dest", "dest_ip", "destination_ip", "dest_host"} {
		obs.addr(result.str(k), "destination")
	}
	for _, k := range []string{"host", "hostname", "dvc", "dvc_host"} {
		obs.addr(result.str(k), "")
	}
	obs.add(alert.ObsUser, result.str("user"), "")
	obs.add(alert.ObsUser, result.str("src_user"), "source")
	obs.add(alert.ObsUser, result.str("dest_user"), "destination")
	obs.add(alert.ObsURL, result.str("url"), "")
	for _, k := range []string{"domain", "query", "dest_domain"} {
		obs.add(alert.ObsDomain, result.str(k), "")
	}
	obs.add(alert.ObsFileName, result.str("file_name"), "")
	for _, k := range []string{"file_hash", "md5", "sha1", "sha256"} {
		obs.hash(result.str(k), "")
	}
	obs.email(result.str("sender"), "sender")
	obs.email(result.str("recipient"), "recipient")
	in.Observables = obs
	if err != nil {
		return nil, err
	}
	return []alert.Input{in}, nil
}

// splunkSeverity reads a severity by name, or Splunk's alert severity number (1 debug,
// 2 info, 3 warn, 4 error, 5 severe, 6 fatal).
func splunkSeverity(s string) alert.Severity {
	switch s {
	case "1", "2":
		return incident.SeverityInformational
	case "3":
		return incident.SeverityMedium
	case "4", "5":
		return incident.SeverityHigh
	case "6":
		return incident.SeverityCritical
	}
	return severityName(s)
}

// withoutInternal drops Splunk's internal fields (those starting with "_", such as _raw,
// _time, _cd) that make poor labels.
func withoutInternal(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		if len(k) > 0 && k[0] != '_' {
			out[k] = v
		}
	}
	return out
}
