package formats

import (
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/incident"
)

// parseCrowdStrike reads CrowdStrike Falcon streaming API events ({"metadata": {...},
// "event": {...}}): one event, events one per line, or a JSON array. Detection summaries
// (metadata.eventType DetectionSummaryEvent, or EppDetectionSummaryEvent) are taken; the other
// event types (audit, authentication, remote response, …) are skipped.
//
//	title        event.DetectName (event.Name)
//	description  event.DetectDescription (event.Description)
//	severity     event.SeverityName by name; else event.Severity, 1–5 as informational, low,
//	             medium, high, critical, or on the 1–100 scale: below 20 informational,
//	             20–39 low, 40–59 medium, 60–79 high, 80 and above critical
//	source_ref   event.CompositeId, else event.DetectId
//	fingerprint  the same id: Falcon already gathers the behaviours of a detection into one
//	             detection, which later events update
//	occurred_at  metadata.eventCreationTime (milliseconds since 1970), else
//	             event.ProcessStartTime
//	labels       tactic, technique, objective, scenario, sensor id, computer name, user name,
//	             file path, command line, pattern disposition, stream offset
//	observables  ComputerName, UserName, LocalIP, the file's name and hashes, the IOC of the
//	             detection, network accesses (remote addresses) and DNS requests
func parseCrowdStrike(body []byte) ([]alert.Input, error) {
	items, err := splitItems(body)
	if err != nil {
		return nil, err
	}
	out := make([]alert.Input, 0, len(items))
	for _, it := range items {
		var err error
		in, ok := crowdStrikeDetection(newObject(it.raw, it.ptr, &err))
		if err != nil {
			return nil, err
		}
		if ok {
			in.Raw = it.raw
			out = append(out, in)
		}
	}
	if len(out) == 0 {
		return nil, noAlerts(len(items), "Falcon detections have metadata.eventType \"DetectionSummaryEvent\"")
	}
	return out, nil
}

func crowdStrikeDetection(o *object) (alert.Input, bool) {
	meta := o.obj("metadata")
	switch meta.str("eventType") {
	case "DetectionSummaryEvent", "EppDetectionSummaryEvent":
	default:
		return alert.Input{}, false
	}
	if !o.has("event") {
		o.fail("event", "is required in a detection summary event")
		return alert.Input{}, false
	}
	e := o.obj("event")
	title := firstOf(e.str("DetectName"), e.str("Name"))
	if blank(title) {
		e.fail("DetectName", "is required")
	}
	id := firstOf(e.str("CompositeId"), e.str("DetectId"))
	host := firstOf(e.str("ComputerName"), e.str("Hostname"))
	in := alert.Input{
		Source:      CrowdStrike,
		SourceRef:   id,
		Fingerprint: id,
		Title:       title,
		Description: firstOf(e.str("DetectDescription"), e.str("Description")),
		Severity:    severityName(e.str("SeverityName")),
		Labels:      map[string]string{},
	}
	if in.Severity == "" {
		if n, ok := e.num("Severity"); ok {
			in.Severity = crowdStrikeSeverity(n)
		}
	}
	if in.Fingerprint == "" {
		in.Fingerprint = alert.ComputeFingerprint("crowdstrike:"+title, map[string]string{"host": host})
	}
	if t := meta.time("eventCreationTime"); !t.IsZero() {
		in.OccurredAt = t
	} else {
		in.OccurredAt = e.time("ProcessStartTime")
	}
	for _, kv := range [...][2]string{
		{"tactic", e.str("Tactic")}, {"technique", e.str("Technique")}, {"objective", e.str("Objective")},
		{"scenario", e.str("Scenario")}, {"sensor_id", e.str("SensorId")}, {"computer_name", host},
		{"user_name", e.str("UserName")}, {"file_path", e.str("FilePath")},
		{"command_line", e.str("CommandLine")}, {"pattern_disposition", e.str("PatternDispositionDescription")},
		{"severity_name", e.str("SeverityName")}, {"offset", meta.str("offset")},
	} {
		setLabel(in.Labels, kv[0], kv[1])
	}

	var obs observables
	obs.add(alert.ObsHost, host, "")
	obs.add(alert.ObsUser, e.str("UserName"), "")
	obs.ip(e.str("LocalIP"), "")
	obs.add(alert.ObsFileName, e.str("FileName"), "")
	obs.add(alert.ObsMD5, e.str("MD5String"), "")
	obs.add(alert.ObsSHA1, e.str("SHA1String"), "")
	obs.add(alert.ObsSHA256, e.str("SHA256String"), "")
	crowdStrikeIOC(&obs, e.str("IOCType"), e.str("IOCValue"))
	for _, n := range e.objects("NetworkAccesses") {
		obs.ip(n.str("RemoteAddress"), "remote")
	}
	for _, d := range e.objects("DnsRequests") {
		obs.add(alert.ObsDomain, d.str("DomainName"), "")
	}
	in.Observables = obs
	return in, true
}

// crowdStrikeIOC adds the indicator a detection names (IOCType, IOCValue).
func crowdStrikeIOC(obs *observables, kind, value string) {
	switch kind {
	case "hash_md5", "hash_sha1", "hash_sha256":
		obs.hash(value, "")
	case "domain":
		obs.add(alert.ObsDomain, value, "")
	case "ipv4", "ipv6":
		obs.ip(value, "")
	case "filename":
		obs.add(alert.ObsFileName, value, "")
	}
}

// crowdStrikeSeverity maps Falcon's severity number onto Quell's scale: the 1–5 scale of
// detection summaries, or the 1–100 scale of newer alerts.
func crowdStrikeSeverity(n float64) alert.Severity {
	if n >= 1 && n <= 5 {
		return severityRanks[int(n)-1]
	}
	switch {
	case n < 1:
		return ""
	case n < 20:
		return incident.SeverityInformational
	case n < 40:
		return incident.SeverityLow
	case n < 60:
		return incident.SeverityMedium
	case n < 80:
		return incident.SeverityHigh
	}
	return incident.SeverityCritical
}
