package formats

import (
	"strings"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/incident"
)

// parseWazuh reads Wazuh alerts as the integrator hands them to an integration (one alert
// object), or as alerts.json holds them (newline-delimited), or a JSON array of them.
//
//	title        rule.description
//	description  full_log
//	severity     rule.level: 0–3 informational, 4–6 low, 7–11 medium, 12–14 high, 15 critical
//	source_ref   id (the manager's alert id)
//	fingerprint  rule.id with agent.id (and syscheck.path for file integrity alerts): the same
//	             rule firing again on the same agent is one alert
//	labels       rule id, level, groups and ATT&CK ids; agent id, name and address; manager,
//	             decoder, location; the decoded data fields as "data.<field>"
//	observables  agent.name, agent.ip, data.srcip/dstip, data.srcuser/dstuser, the file and
//	             hashes of a file integrity (syscheck) alert
func parseWazuh(body []byte) ([]alert.Input, error) {
	items, err := splitItems(body)
	if err != nil {
		return nil, err
	}
	out := make([]alert.Input, 0, len(items))
	for _, it := range items {
		var err error
		in := wazuhAlert(newObject(it.raw, it.ptr, &err))
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

func wazuhAlert(o *object) alert.Input {
	if !o.has("rule") {
		o.fail("rule", "is required")
	}
	rule, agent, data, sys := o.obj("rule"), o.obj("agent"), o.obj("data"), o.obj("syscheck")
	in := alert.Input{
		Source:      Wazuh,
		SourceRef:   o.str("id"),
		Title:       rule.str("description"),
		Description: o.str("full_log"),
		OccurredAt:  o.time("timestamp"),
		Labels:      map[string]string{},
	}
	if blank(in.Title) {
		rule.fail("description", "is required")
	}
	if level, ok := rule.num("level"); ok {
		in.Severity = wazuhSeverity(level)
	}
	ruleID, agentID := rule.str("id"), agent.str("id")
	in.Fingerprint = alert.ComputeFingerprint("wazuh:"+firstOf(ruleID, in.Title), map[string]string{
		"agent": firstOf(agentID, agent.str("name")), "path": sys.str("path"),
	})

	l := in.Labels
	setLabel(l, "rule.id", ruleID)
	setLabel(l, "rule.level", rule.str("level"))
	setLabel(l, "rule.groups", strings.Join(rule.strs("groups"), ", "))
	mitre := rule.obj("mitre")
	setLabel(l, "mitre.id", strings.Join(mitre.strs("id"), ", "))
	setLabel(l, "mitre.tactic", strings.Join(mitre.strs("tactic"), ", "))
	setLabel(l, "mitre.technique", strings.Join(mitre.strs("technique"), ", "))
	setLabel(l, "agent.id", agentID)
	setLabel(l, "agent.name", agent.str("name"))
	setLabel(l, "agent.ip", agent.str("ip"))
	setLabel(l, "manager", o.obj("manager").str("name"))
	setLabel(l, "decoder", o.obj("decoder").str("name"))
	setLabel(l, "location", o.str("location"))
	setLabel(l, "syscheck.path", sys.str("path"))
	setLabel(l, "syscheck.event", sys.str("event"))
	flatten(l, "data.", data, 3, 32)

	var obs observables
	obs.add(alert.ObsHost, agent.str("name"), "")
	obs.ip(agent.str("ip"), "")
	obs.ip(data.str("srcip"), "source")
	obs.ip(data.str("dstip"), "destination")
	obs.add(alert.ObsUser, data.str("srcuser"), "source")
	obs.add(alert.ObsUser, data.str("dstuser"), "destination")
	obs.add(alert.ObsUser, data.str("user"), "")
	obs.add(alert.ObsURL, data.str("url"), "")
	if path := sys.str("path"); path != "" {
		obs.add(alert.ObsFileName, path, "")
		for _, h := range []string{"md5_after", "sha1_after", "sha256_after"} {
			obs.hash(sys.str(h), "")
		}
	}
	in.Observables = obs
	return in
}

// wazuhSeverity maps a Wazuh rule level (0–15) onto Quell's scale.
func wazuhSeverity(level float64) alert.Severity {
	switch {
	case level < 4:
		return incident.SeverityInformational
	case level < 7:
		return incident.SeverityLow
	case level < 12:
		return incident.SeverityMedium
	case level < 15:
		return incident.SeverityHigh
	}
	return incident.SeverityCritical
}
