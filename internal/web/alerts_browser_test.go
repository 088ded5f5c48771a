package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
)

// screenshot saves the page as docs/screenshots/<name>.png when QUELL_UPDATE_SCREENSHOTS=1,
// whole or the first screenful.
func screenshot(t *testing.T, ctx context.Context, name string, whole bool) {
	t.Helper()
	if os.Getenv("QUELL_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	action := chromedp.CaptureScreenshot()
	if whole {
		action = chromedp.FullScreenshot(100)
	}
	png := value(t, ctx, "screenshot "+name, action)
	require.NoError(t, os.MkdirAll(screenshotDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644))
}

// TestBrowserAlertTriage works the triage queue as a responder: the queue shows the waiting
// alerts, two of them are ticked and promoted to a new incident, and the incident's timeline
// shows them.
func TestBrowserAlertTriage(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t)
	pw := e.addUser("cora", access.RoleResponder)
	var phish casework.IncidentDetail
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Credential phishing against finance", Type: incident.TypePhishing,
		Severity: incident.SeverityHigh}, http.StatusCreated, &phish)
	ins := append(alertSet(),
		alert.Input{Source: "email", Title: "Reported phishing: Invoice overdue", Severity: incident.SeverityMedium,
			Labels: map[string]string{"sender": "billing@examp1e-payments.com"}},
		alert.Input{Source: "alertmanager", Title: "Backup job failed on fs01", Severity: incident.SeverityMedium,
			Labels: map[string]string{"alertname": "BackupFailed", "instance": "fs01:9100"}},
	)
	as := e.ingest(func(i int, a *alert.Alert) {
		switch i {
		case 0:
			a.Count = 14
		case 1:
			a.Status = alert.StatusTriaged
		case 6:
			a.Status, a.IncidentID = alert.StatusTriaged, phish.ID
		}
	}, ins...)
	signInBrowser(t, ctx, e, "cora", pw)

	run(t, ctx, "a laptop screen", chromedp.EmulateViewport(1280, 800))
	run(t, ctx, "open the queue", chromedp.Navigate(e.srv.URL+"/alerts"), chromedp.WaitVisible(css("table.alerts")))
	queue := textOf(t, ctx, "#alert-results")
	require.Contains(t, queue, "ET MALWARE Cobalt Strike Beacon Observed")
	require.Contains(t, queue, phish.Key, "an alert of an incident links it")
	require.Equal(t, 8, value(t, ctx, "count the rows", chromedp.Evaluate[int](`document.querySelectorAll("table.alerts tbody tr").length`)))
	require.Equal(t, "Alerts", textOf(t, ctx, `.mainnav a[aria-current="page"]`))
	requireNoInjection(t, ctx, "alert queue")
	requireContrast(t, ctx, "alert queue")
	overflow := value(t, ctx, "measure the page width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	require.False(t, overflow, "the queue fits a laptop screen without scrolling sideways")

	run(t, ctx, "a tablet screen", chromedp.EmulateViewport(820, 1180), chromedp.Reload(), chromedp.WaitVisible(css("table.alerts")))
	overflow = value(t, ctx, "measure the page width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	require.False(t, overflow, "the queue fits a tablet; only its table scrolls sideways")
	run(t, ctx, "back to a laptop screen", chromedp.EmulateViewport(1280, 800), chromedp.Reload(), chromedp.WaitVisible(css("table.alerts")))

	run(t, ctx, "filter by source", choose("#af-silenced", "any"))
	run(t, ctx, "type a source", chromedp.SendKeys(css("#af-source"), "suricata"), chromedp.Click(css(`form.filters button[type=submit]`)))
	waitFor(t, ctx, "the queue shows suricata only", `document.querySelectorAll("table.alerts tbody tr").length === 2`)
	require.Contains(t, value(t, ctx, "read the address", chromedp.Location()), "source=suricata", "the filter is in the address")
	run(t, ctx, "back to the whole queue", chromedp.Navigate(e.srv.URL+"/alerts"), chromedp.WaitVisible(css("table.alerts")))

	run(t, ctx, "an alert's page", chromedp.Navigate(e.srv.URL+"/alerts/"+as[2].ID), chromedp.WaitVisible(css("#raw-payload")))
	requireNoInjection(t, ctx, "alert page")
	requireContrast(t, ctx, "alert page")
	run(t, ctx, "a silence from it", chromedp.Navigate(e.srv.URL+"/silences?alert="+as[2].ID), chromedp.WaitVisible(css("#new-silence")))
	require.Equal(t, "suricata", value(t, ctx, "the source is filled in", chromedp.Value(css("#m-value-0"))))
	requireContrast(t, ctx, "silences")
	run(t, ctx, "back to the queue", chromedp.Navigate(e.srv.URL+"/alerts"), chromedp.WaitVisible(css("table.alerts")))

	// Enter in a field of the triage form takes no action by accident.
	run(t, ctx, "press Enter in the incident key", chromedp.Click(css("#sel-"+as[3].ID)),
		chromedp.SendKeys(css("#tri-incident"), "INC-1\r"), chromedp.Sleep(500*time.Millisecond))
	require.True(t, strings.HasSuffix(value(t, ctx, "read the address", chromedp.Location()), "/alerts"), "still on the queue")
	require.Equal(t, alert.StatusNew, e.alertOf(as[3].ID).Status, "nothing was attached")
	run(t, ctx, "start again", chromedp.Navigate(e.srv.URL+"/alerts"), chromedp.WaitVisible(css("table.alerts")))

	run(t, ctx, "tick two alerts", chromedp.Click(css("#sel-"+as[2].ID)), chromedp.Click(css("#sel-"+as[5].ID)))
	screenshot(t, ctx, "alerts", true)
	run(t, ctx, "promote them",
		chromedp.SendKeys(css("#tri-title"), "Cobalt Strike beacon from fs01"),
		chromedp.SetValue(css("#tri-type"), "malware"),
		chromedp.Click(css(`#triage-form button[name=action][value=promote]`)),
		chromedp.WaitVisible(css(`main[data-page="incident"]`)),
	)
	loc := value(t, ctx, "read the address", chromedp.Location())
	require.True(t, strings.HasSuffix(loc, "/incidents/INC-2"), loc)
	require.Contains(t, textOf(t, ctx, "h1"), "Cobalt Strike beacon from fs01")
	timeline := textOf(t, ctx, "#timeline")
	require.Contains(t, timeline, "Alert from suricata: ET MALWARE Cobalt Strike Beacon Observed (severity high)")
	require.Contains(t, timeline, "Alert from elastic: Unusual PowerShell from svc-backup on fs01 (severity high)")
	requireNoInjection(t, ctx, "the new incident")

	run(t, ctx, "back to the queue", chromedp.Navigate(e.srv.URL+"/alerts"), chromedp.WaitVisible(css("table.alerts")))
	queue = textOf(t, ctx, "#alert-results")
	require.NotContains(t, queue, "Cobalt Strike", "promoted alerts leave the queue")
	require.Contains(t, queue, "Terminal shell in container")
	run(t, ctx, "switch to the dark theme", chromedp.Click(css("#theme-button")))
	waitFor(t, ctx, "the page is dark", `document.documentElement.getAttribute("data-theme") === "dark"`)
	requireContrast(t, ctx, "alert queue, dark")
}

// TestBrowserAlertXSSPayloadsNeverRun puts the XSS corpus into everything an alert carries
// (title, description, labels, observables, the raw payload, JSON and not) and opens every
// page that shows it, and a silence made from it. No script may run, no injected element may
// exist, and the policy must have had nothing to block.
func TestBrowserAlertXSSPayloadsNeverRun(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t)
	pw := e.addUser("cora", access.RoleResponder)
	title := `"><img src=x onerror="window.__xss='title'"><script>window.__xss="title2"</script> <svg onload="window.__xss='svg'"> xsspayload`
	labels := map[string]string{"host": `"><script>window.__xss="label"</script>`}
	for i, p := range xssCorpus {
		labels["l"+string(rune('a'+i))+`<img src=x onerror="window.__xss='key'">`] = p
	}
	rawJSON, err := json.Marshal(map[string]any{"message": xssCorpus, "html": `</code></pre><script>window.__xss="raw-json"</script>`})
	require.NoError(t, err)
	as := e.ingest(nil,
		alert.Input{Source: "generic", Title: title, Description: strings.Join(xssCorpus, "\n"), Labels: labels, Severity: incident.SeverityHigh,
			Observables: []alert.Observable{
				{Type: alert.ObsURL, Value: `javascript://x/%0Awindow.__xss='obs'`, Role: `<script>window.__xss="role"</script>`},
				{Type: alert.ObsFileName, Value: `<svg onload="window.__xss='file'">.exe`},
				{Type: alert.ObsUser, Value: `" onmouseover="window.__xss='user'`},
			},
			Raw: rawJSON},
		alert.Input{Source: "syslog", Title: "raw text " + xssCorpus[0],
			Raw: []byte(`</code></pre><script>window.__xss="raw-text"</script><img src=x onerror="window.__xss='raw-img'">`)},
	)
	signInBrowser(t, ctx, e, "cora", pw)

	pages := []string{
		"/alerts",
		"/alerts?" + url.Values{"q": {"xsspayload"}, "status": {"all"}, "silenced": {"any"}}.Encode(),
		"/alerts?" + url.Values{"observable": {`<script>window.__xss="filter"</script>`}, "source": {`"><script>window.__xss=1</script>`}}.Encode(),
		"/alerts/" + as[0].ID,
		"/alerts/" + as[1].ID,
		"/silences?alert=" + as[0].ID,
	}
	for _, p := range pages {
		run(t, ctx, "open "+p, chromedp.Navigate(e.srv.URL+p), chromedp.WaitVisible(css("main")))
		requireNoInjection(t, ctx, p)
	}

	run(t, ctx, "the alert page", chromedp.Navigate(e.srv.URL+"/alerts/"+as[0].ID), chromedp.WaitVisible(css("#raw-payload")))
	require.Contains(t, textOf(t, ctx, "h1"), `<script>window.__xss="title2"</script>`, "the title is shown as text")
	raw := textOf(t, ctx, "#raw-payload")
	require.Contains(t, raw, `"html": "\u003c/code\u003e\u003c/pre\u003e\u003cscript\u003ewindow.__xss=\"raw-json\"\u003c/script\u003e"`,
		"the JSON payload is shown indented, as text")
	require.Contains(t, textOf(t, ctx, "main"), `<svg onload="window.__xss='file'">.exe`, "observables are shown as text")
	run(t, ctx, "the text payload", chromedp.Navigate(e.srv.URL+"/alerts/"+as[1].ID), chromedp.WaitVisible(css("#raw-payload")))
	require.Equal(t, `</code></pre><script>window.__xss="raw-text"</script><img src=x onerror="window.__xss='raw-img'">`,
		textOf(t, ctx, "#raw-payload"), "the text payload is shown as it came")
	requireNoInjection(t, ctx, "text payload")

	// A silence made from the alert's host label, saved, and listed.
	run(t, ctx, "silence the host",
		chromedp.Navigate(e.srv.URL+"/silences?alert="+as[0].ID+"&by=host"),
		chromedp.WaitVisible(css("#m-value-1")),
		chromedp.SendKeys(css("#sil-reason"), `<script>window.__xss="reason"</script>`),
		chromedp.Click(css(`#new-silence button[type=submit]`)),
		// Before the silence, the page has no table of silences.
		chromedp.WaitVisible(css(`table.silences`)),
	)
	waitFor(t, ctx, "the silence is listed", contains("table.silences", `window.__xss="label"`))
	requireNoInjection(t, ctx, "silences with the payloads")
	require.Contains(t, textOf(t, ctx, "table.silences"), `<script>window.__xss="reason"</script>`)
}
