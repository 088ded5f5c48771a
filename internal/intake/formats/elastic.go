package formats

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/incident"
)

// parseElastic reads Elastic Security alert documents and the bodies Kibana's webhook
// connector sends for them. A body may be:
//
//   - one alert document, an array of them, or newline-delimited documents; field names may be
//     flat and dotted ("kibana.alert.rule.name"), nested objects, or a mix;
//   - a search hit ({"_id", "_index", "_source"} or "fields"), or a whole search response
//     ({"hits": {"hits": [...]}});
//   - a webhook connector body whose template puts the alerts in an array under "alerts",
//     "context.alerts", "alerts.new.data" or "alerts.all.data"; the rule variables beside
//     it ("rule.name", "rule.id", "rule.tags", "date") fill in what the alerts lack.
//
// Legacy 7.x "signal.*" fields are read where the 8.x "kibana.alert.*" field is absent.
//
//	title        kibana.alert.rule.name (signal.rule.name, rule.name)
//	description  kibana.alert.reason, else the rule's description
//	severity     kibana.alert.severity (low, medium, high, critical); else the risk score:
//	             0–21 low, 22–47 medium, 48–73 high, 74–100 critical
//	source_ref   kibana.alert.uuid, else the document's _id
//	fingerprint  the rule's id with host.name and user.name: the same rule firing again on
//	             the same host for the same user is one alert
//	resolved     kibana.alert.status is "recovered"
func parseElastic(body []byte) ([]alert.Input, error) {
	items, err := splitItems(body)
	if err != nil {
		return nil, err
	}
	var out []alert.Input
	for _, it := range items {
		var err error
		docs := elasticDocs(newObject(it.raw, it.ptr, &err), elasticEnvelope{}, 0)
		for _, d := range docs {
			in := elasticAlert(d)
			if err != nil {
				return nil, err
			}
			out = append(out, in)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, noAlerts(0, "")
	}
	return out, nil
}

// elasticEnvelope is what a webhook connector body says about the rule beside its alerts.
type elasticEnvelope struct {
	ruleName, ruleID, date string
	tags                   []string
}

// elasticDoc is one alert document with what surrounds it.
type elasticDoc struct {
	doc      *object
	raw      json.RawMessage
	id, idx  string
	envelope elasticEnvelope
}

// elasticAlertArrays are where webhook connector templates put the alerts of an action.
var elasticAlertArrays = []string{"alerts", "context.alerts", "alerts.new.data", "alerts.all.data"}

// elasticDocs finds the alert documents in o: o itself, or those o wraps.
func elasticDocs(o *object, env elasticEnvelope, depth int) []elasticDoc {
	if depth > 4 {
		o.failAt(o.ptr, "is nested too deeply in search responses and alert arrays")
		return nil
	}
	if isObject(o.m["hits"]) && o.obj("hits").has("hits") {
		var docs []elasticDoc
		for _, h := range o.obj("hits").objects("hits") {
			docs = append(docs, elasticDocs(h, env, depth+1)...)
		}
		return docs
	}
	for _, path := range elasticAlertArrays {
		v, holder, key := o.lookup(path)
		if v == nil || v[0] != '[' {
			continue
		}
		env := elasticEnvelope{
			ruleName: firstOf(o.pathStr("rule.name"), env.ruleName),
			ruleID:   firstOf(o.pathStr("rule.id"), env.ruleID),
			date:     firstOf(o.pathStr("date"), env.date),
			tags:     o.pathStrs("rule.tags"),
		}
		var docs []elasticDoc
		for _, a := range holder.objects(key) {
			docs = append(docs, elasticDocs(a, env, depth+1)...)
		}
		return docs
	}
	d := elasticDoc{doc: o, raw: o.raw, envelope: env}
	if isObject(o.m["_source"]) || isObject(o.m["fields"]) {
		d.id, d.idx = o.str("_id"), o.str("_index")
		if isObject(o.m["_source"]) {
			d.doc = o.obj("_source")
		} else {
			d.doc = o.obj("fields")
		}
	}
	return []elasticDoc{d}
}

func elasticAlert(d elasticDoc) alert.Input {
	o := d.doc
	get := o.pathStr
	title := firstOf(get("kibana.alert.rule.name"), get("signal.rule.name"), get("rule.name"), d.envelope.ruleName)
	if blank(title) {
		o.fail("kibana.alert.rule.name", "is required (or signal.rule.name, or rule.name)")
	}
	in := alert.Input{
		Source: Elastic,
		Title:  title,
		Description: firstOf(get("kibana.alert.reason"), get("signal.reason"),
			get("kibana.alert.rule.description"), get("signal.rule.description"), get("rule.description")),
		SourceRef: firstOf(get("kibana.alert.uuid"), d.id),
		Labels:    map[string]string{},
		Raw:       d.raw,
		Resolved:  get("kibana.alert.status") == "recovered",
	}
	in.Severity = severityName(firstOf(get("kibana.alert.severity"), get("signal.rule.severity"),
		get("kibana.alert.rule.parameters.severity")))
	if in.Severity == "" {
		for _, path := range []string{"kibana.alert.risk_score", "signal.rule.risk_score", "kibana.alert.rule.parameters.risk_score"} {
			if s := get(path); s != "" {
				if score, err := strconv.ParseFloat(s, 64); err == nil {
					in.Severity = riskSeverity(score)
					break
				}
			}
		}
	}
	if t := o.pathTime("@timestamp"); !t.IsZero() {
		in.OccurredAt = t
	} else if t := o.pathTime("kibana.alert.original_time"); !t.IsZero() {
		in.OccurredAt = t
	} else if d.envelope.date != "" {
		in.OccurredAt, _ = parseTime(d.envelope.date)
	}

	ruleID := firstOf(get("kibana.alert.rule.uuid"), get("signal.rule.id"), get("rule.uuid"), get("rule.id"), d.envelope.ruleID)
	host, user := firstOf(get("host.name"), get("host.hostname")), get("user.name")
	in.Fingerprint = alert.ComputeFingerprint("elastic:"+firstOf(ruleID, title), map[string]string{"host": host, "user": user})

	l := in.Labels
	setLabel(l, "rule.id", ruleID)
	setLabel(l, "rule.rule_id", firstOf(get("kibana.alert.rule.rule_id"), get("signal.rule.rule_id")))
	setLabel(l, "rule.type", firstOf(get("kibana.alert.rule.type"), get("signal.rule.type"), get("kibana.alert.rule.rule_type_id")))
	setLabel(l, "workflow_status", firstOf(get("kibana.alert.workflow_status"), get("signal.status")))
	setLabel(l, "status", get("kibana.alert.status"))
	setLabel(l, "risk_score", firstOf(get("kibana.alert.risk_score"), get("signal.rule.risk_score")))
	tags := o.pathStrs("kibana.alert.rule.tags")
	if len(tags) == 0 {
		tags = d.envelope.tags
	}
	setLabel(l, "tags", strings.Join(tags, ", "))
	setLabel(l, "host.name", host)
	setLabel(l, "user.name", user)
	setLabel(l, "process.name", get("process.name"))
	setLabel(l, "process.command_line", get("process.command_line"))
	setLabel(l, "event.action", get("event.action"))
	setLabel(l, "event.category", strings.Join(o.pathStrs("event.category"), ", "))
	setLabel(l, "event.dataset", get("event.dataset"))
	setLabel(l, "index", d.idx)
	tactics, techniques := elasticThreat(o)
	setLabel(l, "mitre.tactic", strings.Join(tactics, ", "))
	setLabel(l, "mitre.technique", strings.Join(techniques, ", "))

	var obs observables
	obs.add(alert.ObsHost, host, "")
	for _, ip := range o.pathStrs("host.ip") {
		obs.ip(ip, "")
	}
	obs.add(alert.ObsUser, user, "")
	obs.add(alert.ObsEmail, get("user.email"), "")
	obs.ip(get("source.ip"), "source")
	obs.ip(get("destination.ip"), "destination")
	obs.add(alert.ObsDomain, get("source.domain"), "source")
	obs.add(alert.ObsDomain, get("destination.domain"), "destination")
	obs.add(alert.ObsDomain, get("dns.question.name"), "")
	obs.add(alert.ObsURL, firstOf(get("url.full"), get("url.original")), "")
	obs.add(alert.ObsFileName, get("file.name"), "")
	obs.add(alert.ObsFileName, get("process.name"), "")
	for _, prefix := range []string{"file.hash.", "process.hash.", "process.parent.hash."} {
		obs.add(alert.ObsMD5, get(prefix+"md5"), "")
		obs.add(alert.ObsSHA1, get(prefix+"sha1"), "")
		obs.add(alert.ObsSHA256, get(prefix+"sha256"), "")
	}
	for _, addr := range o.pathStrs("email.from.address") {
		obs.add(alert.ObsEmail, addr, "sender")
	}
	for _, addr := range o.pathStrs("email.to.address") {
		obs.add(alert.ObsEmail, addr, "recipient")
	}
	in.Observables = obs
	return in
}

// elasticThreat reads the ATT&CK tactics and techniques of the rule (kibana.alert.rule.threat,
// signal.rule.threat): a list of {framework, tactic: {id, name}, technique: [{id, name}]}.
func elasticThreat(o *object) (tactics, techniques []string) {
	for _, path := range []string{"kibana.alert.rule.threat", "signal.rule.threat"} {
		v, holder, key := o.lookup(path)
		if v == nil || v[0] != '[' {
			continue
		}
		for _, t := range holder.objects(key) {
			if tactic := t.obj("tactic"); tactic.m != nil {
				tactics = append(tactics, firstOf(tactic.str("id"), tactic.str("name")))
			}
			for _, tech := range t.objects("technique") {
				techniques = append(techniques, firstOf(tech.str("id"), tech.str("name")))
			}
		}
		break
	}
	return tactics, techniques
}

// riskSeverity maps an Elastic risk score (0–100) onto the severity whose default score band
// it falls in.
func riskSeverity(score float64) alert.Severity {
	switch {
	case score < 22:
		return incident.SeverityLow
	case score < 48:
		return incident.SeverityMedium
	case score < 74:
		return incident.SeverityHigh
	}
	return incident.SeverityCritical
}
