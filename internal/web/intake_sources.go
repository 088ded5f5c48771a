package web

import (
	"net"
	"net/http"
	"regexp"
	"strings"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/casework"
)

// Intake sources, for admins: the tools that send alerts, each with its token, and the
// configuration each tool needs, ready to copy. A new source's token is shown once, on the
// answer to the form that created it; everywhere else the configuration says <token>.

// tokenPlaceholder stands for a source's token wherever the token itself is not shown.
const tokenPlaceholder = "<token>"

// toolNames names the tool behind each format.
var toolNames = map[string]string{
	alert.FormatQuell: "Quell's own schema",
	"alertmanager":    "Prometheus Alertmanager",
	"elastic":         "Elastic Security (Kibana)",
	"splunk":          "Splunk",
	"wazuh":           "Wazuh",
	"suricata":        "Suricata",
	"falco":           "Falco (falcosidekick)",
	"defender":        "Microsoft Defender",
	"crowdstrike":     "CrowdStrike Falcon",
	"generic":         "Any JSON, with a mapping",
	"syslog":          "Syslog (rsyslog)",
}

// sourceView is an intake source with the configuration its tool needs.
type sourceView struct {
	alert.IntakeSource
	Setup snippet
}

// createdSource is a source just created: its token and its configuration with the token in
// it, shown this once.
type createdSource struct {
	casework.CreatedIntakeSource
	Setup snippet
}

type intakePage struct {
	Sources []sourceView
	Form    *form
	Formats []string
	Created *createdSource
	// Syslog is the configuration of rsyslog, which needs no source.
	Syslog snippet
}

// Tool names the tool behind a format.
func (intakePage) Tool(format string) string {
	if n, ok := toolNames[format]; ok {
		return n
	}
	return format
}

var hostPattern = regexp.MustCompile(`^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$`)

// baseURL is the address this page was asked for, scheme and host, for the configuration
// snippets. The scheme is https under TLS or when the session cookie is marked Secure behind a
// TLS proxy; the host is the request's own Host. Forwarding headers are not trusted.
func (srv *Server) baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || srv.cfg.SecureCookies {
		scheme = "https"
	}
	host := r.Host
	if !hostPattern.MatchString(host) {
		host = "quell.example"
	}
	return scheme + "://" + host
}

func (srv *Server) loadIntake(r *http.Request, rq *request) (*intakePage, error) {
	sources, err := srv.cases.ListIntakeSources(r.Context(), rq.p)
	if err != nil {
		return nil, err
	}
	base := srv.baseURL(r)
	ip := &intakePage{Formats: alert.Formats, Form: newForm(nil).set("format", "alertmanager"), Syslog: setupFor("syslog", base, "")}
	for _, s := range sources {
		v := sourceView{IntakeSource: s}
		if s.Active() {
			v.Setup = setupFor(s.Format, base, tokenPlaceholder)
		}
		ip.Sources = append(ip.Sources, v)
	}
	return ip, nil
}

func (srv *Server) intakeList(w http.ResponseWriter, r *http.Request, rq *request) error {
	ip, err := srv.loadIntake(r, rq)
	if err != nil {
		return err
	}
	srv.render(w, r, rq, http.StatusOK, "intake", "Intake sources", ip)
	return nil
}

// createIntakeSource registers a source and shows its token once, on this response only: it
// is never stored, and the page is not cached.
func (srv *Server) createIntakeSource(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	pf := r.PostForm
	req := casework.NewIntakeSource{Name: pf.Get("name"), Format: pf.Get("format")}
	if req.Format == "generic" {
		req.Mapping = pf.Get("mapping")
	}
	created, err := srv.cases.CreateIntakeSource(r.Context(), rq.p, req)
	ip, lerr := srv.loadIntake(r, rq)
	if lerr != nil {
		return lerr
	}
	if err == nil {
		ip.Created = &createdSource{CreatedIntakeSource: created, Setup: setupFor(created.Format, srv.baseURL(r), created.Token)}
		srv.render(w, r, rq, http.StatusCreated, "intake", "Intake sources", ip)
		return nil
	}
	ip.Form = newForm(pf)
	if !ip.Form.reject(err, fieldsOf("name", "format", "mapping")) {
		return err
	}
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "intake", "Intake sources", ip)
	return nil
}

func (srv *Server) revokeIntakeSource(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	if _, err := srv.cases.GetIntakeSource(r.Context(), rq.p, id); err != nil {
		return err
	}
	if err := srv.cases.RevokeIntakeSource(r.Context(), rq.p, id); err != nil {
		return err
	}
	return seeOther(w, r, "/admin/intake#src-"+id)
}

// snippet is the configuration a tool needs to send its alerts to Quell.
type snippet struct {
	// Where says where the text goes.
	Where string
	Text  string
	// Note explains what the reader has to know or change.
	Note string
}

// setupFor builds the configuration of a format's tool for the Quell at base, with token (or
// the placeholder) where the tool sends it.
func setupFor(format, base, token string) snippet {
	intake := base + "/api/v1/intake/" + format
	bearer := "Authorization: Bearer " + token
	switch format {
	case "alertmanager":
		return snippet{Where: "alertmanager.yml", Text: lines(
			"receivers:",
			"  - name: quell",
			"    webhook_configs:",
			"      - url: "+intake,
			"        send_resolved: true",
			"        http_config:",
			"          authorization:",
			"            type: Bearer",
			"            credentials: "+token,
		), Note: "Send a route to the receiver (route: receiver: quell, or a child route). Resolved notifications resolve the alert in Quell."}
	case "splunk":
		return snippet{Where: "the alert's Trigger Actions → Add Actions → Webhook → URL", Text: intake + "?token=" + token,
			Note: "Splunk's webhook cannot set headers, so the token travels in the address, where Splunk's users and logs can see it. If it leaks, revoke the source and make a new one."}
	case "wazuh":
		return snippet{Where: "/var/ossec/etc/ossec.conf on the Wazuh manager", Text: lines(
			"<integration>",
			"  <name>custom-quell</name>",
			"  <hook_url>"+intake+"</hook_url>",
			"  <api_key>"+token+"</api_key>",
			"  <level>7</level>",
			"  <alert_format>json</alert_format>",
			"</integration>",
		), Note: "custom-quell is the integration script in /var/ossec/integrations: it posts the alert's JSON to hook_url with the header “Authorization: Bearer <api_key>”. Restart the manager afterwards; level 7 sends the alerts of rule level 7 and above."}
	case "suricata":
		host, port, tls := hostPort(base)
		return snippet{Where: "fluent-bit.conf on the sensor (Fluent Bit ships eve.json)", Text: lines(
			"[INPUT]",
			"    Name    tail",
			"    Path    /var/log/suricata/eve.json",
			"    Parser  json",
			"    Tag     suricata",
			"",
			"[FILTER]",
			"    Name    grep",
			"    Match   suricata",
			"    Regex   event_type ^alert$",
			"",
			"[OUTPUT]",
			"    Name           http",
			"    Match          suricata",
			"    Host           "+host,
			"    Port           "+port,
			"    URI            /api/v1/intake/suricata",
			"    Format         json_lines",
			"    json_date_key  false",
			"    Header         Authorization Bearer "+token,
			"    tls            "+tls,
			"",
			"# To try it by hand with the last events:",
			"# tail -n 100 /var/log/suricata/eve.json | curl -X POST "+intake+" \\",
			"#   -H '"+bearer+"' -H 'Content-Type: application/json' --data-binary @-",
		), Note: "Vector or any shipper with an HTTP output works the same way: post the lines of eve.json, one event per line, with the Authorization header. Events other than alerts are skipped."}
	case "falco":
		return snippet{Where: "falcosidekick's config.yaml", Text: lines(
			"webhook:",
			"  address: "+intake,
			"  method: POST",
			"  minimumpriority: warning",
			"  customHeaders:",
			"    Authorization: Bearer "+token,
		)}
	case "elastic":
		return snippet{Where: "Kibana → Stack Management → Connectors → Webhook", Text: lines(
			"Method:  POST",
			"URL:     "+intake,
			"Headers: Authorization: Bearer "+token,
			"         Content-Type: application/json",
			"",
			"Body of the rule's action:",
			`{"rule": {"name": "{{rule.name}}", "id": "{{rule.id}}"}, "date": "{{date}}", "alerts": {{{context.alerts}}}}`,
		), Note: "Leave the connector's own authentication off: the token goes in the header. Recovered alerts resolve the alert in Quell."}
	case "defender", "crowdstrike":
		what := "alerts of the Microsoft Graph security API (alerts_v2): one alert, an array, or a list response"
		where := "an HTTP action of a Logic App or Sentinel playbook, or a script reading /security/alerts_v2"
		if format == "crowdstrike" {
			what = "Falcon streaming API events (detection summaries): one event, one per line, or an array"
			where = "a Falcon Fusion workflow's webhook action, or the forwarder that reads the event stream"
		}
		return snippet{Where: where, Text: lines(
			"POST "+intake,
			bearer,
			"Content-Type: application/json",
		), Note: "The body: " + what + "."}
	case "generic":
		return snippet{Where: "any tool or script that can post JSON", Text: lines(
			"curl -X POST "+intake+" \\",
			"  -H '"+bearer+"' \\",
			"  -H 'Content-Type: application/json' \\",
			"  --data @alert.json",
		), Note: "The source's mapping reads the fields of the JSON."}
	case alert.FormatQuell:
		return snippet{Where: "any tool or script that can post JSON", Text: lines(
			"curl -X POST "+base+"/api/v1/alerts \\",
			"  -H '"+bearer+"' \\",
			"  -H 'Content-Type: application/json' \\",
			`  --data '{"source": "my-tool", "title": "Disk almost full on db01", "severity": "medium", "labels": {"host": "db01"}}'`,
		), Note: "One alert or an array of them; docs/intake.md describes the fields."}
	case "syslog":
		host, _, _ := hostPort(base)
		return snippet{Where: "/etc/rsyslog.d/60-quell.conf on the sending host", Text: lines(
			`action(type="omfwd" target="`+host+`" port="514" protocol="tcp"`,
			`       template="RSYSLOG_SyslogProtocol23Format"`,
			`       queue.type="LinkedList" queue.size="10000" action.resumeRetryCount="-1")`,
		), Note: "The syslog listener has its own address and port, set in Quell's configuration; they are not the web address. Put them in target and port. Syslog needs no token: the listener's rules decide which messages become alerts."}
	}
	return snippet{}
}

// hostPort splits a base address into the host, the port (the scheme's when none is given)
// and whether it is TLS ("On" or "Off"), as shipper configurations want them.
func hostPort(base string) (host, port, tls string) {
	scheme, rest, _ := strings.Cut(base, "://")
	port, tls = "80", "Off"
	if scheme == "https" {
		port, tls = "443", "On"
	}
	if h, p, err := net.SplitHostPort(rest); err == nil {
		return h, p, tls
	}
	return strings.Trim(rest, "[]"), port, tls
}

func lines(ls ...string) string { return strings.Join(ls, "\n") }
