package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// tokenPattern matches an intake token.
var tokenPattern = regexp.MustCompile(`quelli_[A-Za-z0-9_-]{20,}`)

// postIntake sends an alert payload to an intake address as the tool would, and requires it to
// be taken (202: committed).
func postIntake(t *testing.T, e *env, address, authorization, body string) {
	t.Helper()
	req, err := http.NewRequest("POST", address, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "POST %s: %s", address, data)
}

// TestIntakeSourcesPage creates intake sources as an admin: the token and the configuration
// with the token are shown once; the list shows the configuration with a placeholder, built
// from the page's own address; revoking a source takes its configuration away.
func TestIntakeSourcesPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin", adminPassword)
	base := e.srv.URL

	page := admin.page("/admin/intake")
	requireSafeMarkup(t, "/admin/intake", page)
	require.Contains(t, page, "No intake sources yet.")
	require.Contains(t, page, `<a href="/admin/intake" aria-current="page">Intake sources</a>`)
	host := strings.TrimPrefix(base, "http://")
	host = host[:strings.LastIndex(host, ":")]
	require.Contains(t, page, html.EscapeString(`action(type="omfwd" target="`+host+`" port="514"`), "the rsyslog configuration")
	require.Contains(t, page, "The syslog listener has its own address and port")

	// Alertmanager: the shown-once panel has the token, in the field and in the receiver.
	resp, page := admin.post("/admin/intake", url.Values{"name": {"prod-alertmanager"}, "format": {"alertmanager"}},
		"X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https")
	require.Equal(t, http.StatusCreated, resp.StatusCode, page)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	requireSafeMarkup(t, "created source", page)
	token := tokenPattern.FindString(page)
	require.NotEmpty(t, token)
	require.Contains(t, page, `id="new-intake-token" class="token-secret" type="text" readonly value="`+token+`"`)
	created := page[strings.Index(page, `id="created-h"`):strings.Index(page, `id="sources-h"`)]
	require.Contains(t, created, "      - url: "+base+"/api/v1/intake/alertmanager\n")
	require.Contains(t, created, "            credentials: "+token+"</code>")
	require.NotContains(t, page, "evil.example", "forwarding headers are not trusted")
	list := page[strings.Index(page, `id="sources-h"`):]
	require.NotContains(t, list, token, "the list never shows the token")
	require.Contains(t, list, "credentials: &lt;token&gt;")

	page = admin.page("/admin/intake")
	require.NotContains(t, page, token, "the token is shown only once")
	require.Equal(t, 1, strings.Count(page, "quelli_"), "only the prefix of the token is shown")
	require.Contains(t, page, "prod-alertmanager")
	require.Contains(t, page, "Prometheus Alertmanager")
	require.Contains(t, page, "<span class=\"muted\">never</span>", "not used yet")

	// The receiver works: Alertmanager's post, to its address with its credentials, is taken.
	amURL := regexp.MustCompile(`- url: (\S+)`).FindStringSubmatch(created)[1]
	postIntake(t, e, amURL, "Bearer "+token, `{"version": "4", "status": "firing", "receiver": "quell", "alerts": [{"status": "firing",
		"labels": {"alertname": "DiskAlmostFull", "instance": "db01:9100", "severity": "warning"},
		"annotations": {"summary": "Disk almost full on db01"}, "startsAt": "2026-03-02T08:15:00Z", "fingerprint": "c0ffee"}]}`)

	// Splunk: the token goes in the address, in the shown-once panel only.
	_, page = admin.post("/admin/intake", url.Values{"name": {"splunk-es"}, "format": {"splunk"}})
	token = tokenPattern.FindString(page)
	created = page[strings.Index(page, `id="created-h"`):strings.Index(page, `id="sources-h"`)]
	require.Contains(t, created, base+"/api/v1/intake/splunk?token="+token)
	require.Contains(t, admin.page("/admin/intake"), base+"/api/v1/intake/splunk?token=&lt;token&gt;")
	splunkURL := regexp.MustCompile(`<code>(\S+)</code>`).FindStringSubmatch(created)[1]
	postIntake(t, e, html.UnescapeString(splunkURL), "", `{"sid": "scheduler__admin_search_RMD5", "search_name": "Brute force against VPN",
		"app": "search", "result": {"host": "vpn01", "src": "198.51.100.23", "count": "120"}}`)

	queue := admin.page("/alerts")
	require.Contains(t, queue, "Disk almost full on db01", "the Alertmanager configuration shown works")
	require.Contains(t, queue, "Brute force against VPN", "the Splunk address shown works")
	require.NotContains(t, admin.page("/admin/intake"), `<dt>Last used</dt><dd><span class="muted">never</span>`, "both sources were used")

	// Every other format's configuration, as the list shows it.
	want := map[string][]string{
		"wazuh":       {"&lt;integration&gt;", "&lt;hook_url&gt;" + base + "/api/v1/intake/wazuh&lt;/hook_url&gt;", "&lt;api_key&gt;&lt;token&gt;&lt;/api_key&gt;"},
		"suricata":    {"/var/log/suricata/eve.json", "URI            /api/v1/intake/suricata", "Header         Authorization Bearer &lt;token&gt;", "json_lines"},
		"falco":       {"webhook:\n  address: " + base + "/api/v1/intake/falco", "customHeaders:\n    Authorization: Bearer &lt;token&gt;"},
		"elastic":     {"URL:     " + base + "/api/v1/intake/elastic", "Headers: Authorization: Bearer &lt;token&gt;"},
		"defender":    {"POST " + base + "/api/v1/intake/defender\nAuthorization: Bearer &lt;token&gt;"},
		"crowdstrike": {"POST " + base + "/api/v1/intake/crowdstrike\nAuthorization: Bearer &lt;token&gt;"},
		"generic":     {"curl -X POST " + base + "/api/v1/intake/generic", "Authorization: Bearer &lt;token&gt;"},
		"quell":       {"curl -X POST " + base + "/api/v1/alerts", "Authorization: Bearer &lt;token&gt;"},
	}
	for format := range want {
		if format == "generic" {
			continue // a generic source needs a mapping, checked by the intake engine
		}
		resp, page := admin.post("/admin/intake", url.Values{"name": {format + "-one"}, "format": {format}})
		require.Equal(t, http.StatusCreated, resp.StatusCode, format)
		token := tokenPattern.FindString(page)
		created := page[strings.Index(page, `id="created-h"`):strings.Index(page, `id="sources-h"`)]
		require.Contains(t, created, token, "%s: the shown-once configuration has the token", format)
	}
	page = admin.page("/admin/intake")
	require.Empty(t, tokenPattern.FindAllString(page, -1), "no token on the list")
	for format, parts := range want {
		if format == "generic" {
			continue
		}
		src := page[strings.Index(page, ">"+format+"-one</h3>"):]
		src = src[:strings.Index(src, "</li>")]
		for _, part := range parts {
			require.Contains(t, src, part, format)
		}
	}

	// Mistakes.
	resp, page = admin.post("/admin/intake", url.Values{"name": {"prod-alertmanager"}, "format": {"alertmanager"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, fieldError(t, page, "src-name"), "An intake source of this name exists")
	require.Empty(t, tokenPattern.FindAllString(page, -1))
	_, page = admin.post("/admin/intake", url.Values{"name": {"<b>bad</b>"}, "format": {"alertmanager"}})
	require.Contains(t, fieldError(t, page, "src-name"), "Must be 1–64 letters")
	require.Contains(t, page, `value="&lt;b&gt;bad&lt;/b&gt;"`, "what was typed is kept, escaped")
	_, page = admin.post("/admin/intake", url.Values{"name": {"other"}, "format": {"nagios"}})
	require.Contains(t, fieldError(t, page, "src-format"), "Must be one of")
	require.NotContains(t, page, "nagios")
	resp, page = admin.post("/admin/intake", url.Values{"name": {"other"}, "format": {"falco"}, "mapping": {"title: rule"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode, "a mapping typed for another format is not sent with it")
	require.Contains(t, page, `>falco-one</h3>`)
	require.Contains(t, page, `>other</h3>`)

	// Revoking: the source stays listed, marked, without its configuration.
	id := regexp.MustCompile(`<li class="source" id="src-([0-9A-Z]+)">\s*<div class="source-head">\s*<h3>prod-alertmanager</h3>`).FindStringSubmatch(admin.page("/admin/intake"))
	require.NotNil(t, id)
	resp, _ = admin.post("/admin/intake/"+id[1]+"/revoke", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	page = admin.page("/admin/intake")
	src := page[strings.Index(page, `id="src-`+id[1]+`"`):]
	src = src[:strings.Index(src, "</li>")]
	require.Contains(t, src, "Revoked")
	require.NotContains(t, src, "webhook_configs")
	require.NotContains(t, src, "/revoke")
	resp, _ = admin.post("/admin/intake/01NOSUCHSOURCE/revoke", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}
