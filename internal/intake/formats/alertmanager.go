package formats

import (
	"time"

	"github.com/quell-ir/quell/internal/alert"
)

// parseAlertmanager reads a Prometheus Alertmanager webhook message (version 4): one group of
// alerts, each firing or resolved.
//
//	title        annotations.summary, else labels.alertname
//	description  annotations.description, else annotations.message
//	severity     labels.severity read by name (critical, warning → medium, info, …); other
//	             values leave the default
//	fingerprint  Alertmanager's fingerprint (a hash of the label set), or one computed from
//	             the labels when an older Alertmanager sends none
//	source_ref   "fingerprint@startsAt", with ":resolved" for the all-clear: one firing of the
//	             alert and its resolution, so a retried notification is recognised while a
//	             later firing of the same alert is not mistaken for a retry
//	resolved     the alert's status is "resolved"
//	labels       the alert's labels
//	observables  the host of labels instance, host, hostname, node and pod_ip
func parseAlertmanager(body []byte) ([]alert.Input, error) {
	var err error
	msg, derr := decodeDocument(body, "an Alertmanager webhook message", &err)
	if derr != nil {
		return nil, derr
	}
	if v := msg.str("version"); v != "" && v != "4" {
		msg.fail("version", "must be \"4\": Quell reads version 4 of the Alertmanager webhook message, not %s", describe(v))
	}
	if !msg.has("alerts") {
		msg.fail("alerts", "is required")
	}
	groupStatus := msg.str("status")
	commonAnn := msg.obj("commonAnnotations")
	alerts := msg.objects("alerts")
	if err != nil {
		return nil, err
	}
	out := make([]alert.Input, 0, len(alerts))
	for _, a := range alerts {
		in := alertmanagerAlert(a, groupStatus, commonAnn)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	if len(out) == 0 {
		return nil, noAlerts(0, "")
	}
	return out, nil
}

func alertmanagerAlert(a *object, groupStatus string, commonAnn *object) alert.Input {
	labels := stringMap(a.obj("labels"))
	ann := stringMap(a.obj("annotations"))
	in := alert.Input{
		Source:      Alertmanager,
		Title:       firstOf(ann["summary"], labels["alertname"], commonAnn.str("summary")),
		Description: firstOf(ann["description"], ann["message"], commonAnn.str("description")),
		Severity:    severityName(labels["severity"]),
		Fingerprint: a.str("fingerprint"),
		Labels:      labels,
		OccurredAt:  a.time("startsAt"),
		Raw:         a.raw,
	}
	if blank(in.Title) {
		a.failAt(a.at("labels")+"/alertname", "is required when there is no annotations.summary")
	}
	a.time("endsAt")
	switch status := firstOf(a.str("status"), groupStatus); status {
	case "resolved":
		in.Resolved = true
	case "firing", "":
	default:
		a.fail("status", "must be \"firing\" or \"resolved\", not %s", describe(status))
	}
	if blank(in.Fingerprint) {
		in.Fingerprint = alert.ComputeFingerprint("", labels)
	}
	in.SourceRef = in.Fingerprint
	if !in.OccurredAt.IsZero() {
		in.SourceRef += "@" + in.OccurredAt.UTC().Format(time.RFC3339Nano)
	}
	if in.Resolved {
		in.SourceRef += ":resolved"
	}
	var obs observables
	obs.hostPort(labels["instance"], "")
	for _, k := range []string{"host", "hostname", "node", "nodename"} {
		obs.addr(labels[k], "")
	}
	obs.ip(labels["pod_ip"], "")
	in.Observables = obs
	return in
}

// stringMap reads an object whose members are strings (numbers and booleans are taken as
// written; an object or an array is an error). Blank values are dropped.
func stringMap(o *object) map[string]string {
	out := make(map[string]string, len(o.m))
	for _, k := range o.keys() {
		if v := o.str(k); !blank(v) {
			out[k] = v
		}
	}
	return out
}
