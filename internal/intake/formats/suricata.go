package formats

import (
	"net"
	"strings"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/incident"
)

// parseSuricata reads Suricata EVE events: one object, newline-delimited objects (eve.json) or
// a JSON array. Only events with event_type "alert" are taken; the others (flow, dns, http,
// stats, …) are skipped.
//
//	title        alert.signature
//	severity     alert.severity 1 → high, 2 → medium, 3 → low, 4 and above → informational
//	fingerprint  "gid:signature_id" (the rule, whatever its revision, addresses or ports), so
//	             repeats of a signature fold into one alert
//	source_ref   "flow_id/gid:signature_id@timestamp": the one event, so a retried post of it
//	             is recognised
//	observables  src_ip (source), dest_ip (destination), http.hostname, tls.sni and DNS
//	             query names, the URL of an HTTP request, SMTP and email addresses, file names
//	             and hashes of fileinfo and files
func parseSuricata(body []byte) ([]alert.Input, error) {
	items, err := splitItems(body)
	if err != nil {
		return nil, err
	}
	out := make([]alert.Input, 0, len(items))
	for _, it := range items {
		var err error
		in, ok := suricataAlert(newObject(it.raw, it.ptr, &err))
		if err != nil {
			return nil, err
		}
		if ok {
			in.Raw = it.raw
			out = append(out, in)
		}
	}
	if len(out) == 0 {
		return nil, noAlerts(len(items), `Suricata alerts have event_type "alert"`)
	}
	return out, nil
}

func suricataAlert(o *object) (alert.Input, bool) {
	switch o.str("event_type") {
	case "alert":
	case "":
		if !o.has("alert") {
			return alert.Input{}, false
		}
	default:
		return alert.Input{}, false
	}
	if !o.has("alert") {
		o.fail("alert", "is required in an event of type alert")
		return alert.Input{}, false
	}
	a := o.obj("alert")
	sig := a.str("signature")
	if blank(sig) {
		a.fail("signature", "is required")
	}
	gid := firstOf(a.str("gid"), "1")
	sid := a.str("signature_id")
	in := alert.Input{
		Source:     Suricata,
		Title:      sig,
		OccurredAt: o.time("timestamp"),
		Labels:     make(map[string]string, 16),
	}
	if sev, ok := a.num("severity"); ok {
		in.Severity = suricataSeverity(sev)
		setLabel(in.Labels, "severity", a.str("severity"))
	}
	if sid != "" {
		in.Fingerprint = gid + ":" + sid
	} else {
		in.Fingerprint = alert.ComputeFingerprint(sig, nil)
	}
	if flow := o.str("flow_id"); flow != "" {
		in.SourceRef = flow + "/" + gid + ":" + sid + "@" + o.str("timestamp")
	}

	src, dst := o.str("src_ip"), o.str("dest_ip")
	sport, dport := o.str("src_port"), o.str("dest_port")
	proto, category, action := o.str("proto"), a.str("category"), a.str("action")
	for _, kv := range [...][2]string{
		{"gid", gid}, {"signature_id", sid}, {"rev", a.str("rev")}, {"category", category},
		{"action", action}, {"proto", proto}, {"src_port", sport}, {"dest_port", dport},
		{"app_proto", o.str("app_proto")}, {"in_iface", o.str("in_iface")}, {"direction", o.str("direction")},
	} {
		setLabel(in.Labels, kv[0], kv[1])
	}
	flatten(in.Labels, "metadata.", a.obj("metadata"), 0, 16)
	in.Description = suricataDescription(category, proto, src, sport, dst, dport, action)

	var obs observables
	obs.ip(src, "source")
	obs.ip(dst, "destination")

	if http := o.obj("http"); http.m != nil {
		host, url := http.str("hostname"), http.str("url")
		obs.domainOrAddr(host, "destination")
		if host != "" && strings.HasPrefix(url, "/") {
			obs.add(alert.ObsURL, "http://"+host+url, "destination")
		} else if strings.Contains(url, "://") {
			obs.add(alert.ObsURL, url, "destination")
		}
		setLabel(in.Labels, "http.hostname", host)
		setLabel(in.Labels, "http.url", url)
		setLabel(in.Labels, "http.method", http.str("http_method"))
		setLabel(in.Labels, "http.user_agent", http.str("http_user_agent"))
		setLabel(in.Labels, "http.status", http.str("status"))
	}
	if tls := o.obj("tls"); tls.m != nil {
		obs.domainOrAddr(tls.str("sni"), "destination")
		setLabel(in.Labels, "tls.sni", tls.str("sni"))
		setLabel(in.Labels, "tls.subject", tls.str("subject"))
		setLabel(in.Labels, "tls.version", tls.str("version"))
	}
	if dns := o.obj("dns"); dns.m != nil {
		obs.add(alert.ObsDomain, dns.str("rrname"), "")
		for _, key := range []string{"query", "queries"} {
			for _, q := range dns.objects(key) {
				obs.add(alert.ObsDomain, q.str("rrname"), "")
			}
		}
	}
	if smtp := o.obj("smtp"); smtp.m != nil {
		obs.email(smtp.str("mail_from"), "sender")
		for _, to := range smtp.strs("rcpt_to") {
			obs.email(to, "recipient")
		}
	}
	if email := o.obj("email"); email.m != nil {
		obs.email(email.str("from"), "sender")
		for _, to := range email.strs("to") {
			obs.email(to, "recipient")
		}
	}
	files := o.objects("files")
	if fi := o.obj("fileinfo"); fi.m != nil {
		files = append(files, fi)
	}
	for _, f := range files {
		obs.add(alert.ObsFileName, f.str("filename"), "")
		for _, h := range []string{"md5", "sha1", "sha256"} {
			obs.hash(f.str(h), "")
		}
	}
	in.Observables = obs
	return in, true
}

// suricataSeverity maps a rule's priority (1 is the most severe) onto Quell's scale.
func suricataSeverity(n float64) alert.Severity {
	switch {
	case n < 1:
		return ""
	case n < 2:
		return incident.SeverityHigh
	case n < 3:
		return incident.SeverityMedium
	case n < 4:
		return incident.SeverityLow
	}
	return incident.SeverityInformational
}

// suricataDescription says in one line what was seen between which endpoints:
// "Attempted Information Leak: TCP 8.42.77.171:49678 → 138.68.3.71:22 (allowed)".
func suricataDescription(category, proto, src, sport, dst, dport, action string) string {
	endpoint := func(ip, port string) string {
		if port == "" {
			return ip
		}
		return net.JoinHostPort(ip, port)
	}
	var b strings.Builder
	if category != "" {
		b.WriteString(category)
		b.WriteString(": ")
	}
	if proto != "" {
		b.WriteString(proto)
		b.WriteByte(' ')
	}
	if src != "" || dst != "" {
		b.WriteString(endpoint(src, sport))
		b.WriteString(" → ")
		b.WriteString(endpoint(dst, dport))
	}
	if action != "" {
		b.WriteString(" (")
		b.WriteString(action)
		b.WriteByte(')')
	}
	return strings.TrimSpace(b.String())
}
