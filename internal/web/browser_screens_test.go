package web_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// screenshotDir is where the README's screenshots live, from this package's directory.
const screenshotDir = "../../docs/screenshots"

// TestBrowserScreens shows the main screens on a realistic data set, checks them in the
// browser, and switches the theme. With QUELL_UPDATE_SCREENSHOTS=1 it also writes the
// screenshots of the README to docs/screenshots (CI leaves them alone).
func TestBrowserScreens(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t)
	key, pw := e.demo()
	update := os.Getenv("QUELL_UPDATE_SCREENSHOTS") == "1"
	// shoot saves the page as it is, whole or (for long pages) the first screenful.
	shoot := func(name string, whole bool) {
		t.Helper()
		if !update {
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

	run(t, ctx, "a laptop screen", chromedp.EmulateViewport(1280, 800))
	signInBrowser(t, ctx, e, "cora", pw)
	// The demo's overdue tasks: one added by hand, and those of the playbooks applied when the
	// incidents were opened (due from detection, hours ago).
	require.Regexp(t, `[1-9]`, textOf(t, ctx, "#overdue-h"), "the overdue tasks are counted")
	require.Contains(t, textOf(t, ctx, "#nocmd-h"), "1", "the incident without a commander is counted")
	requireNoInjection(t, ctx, "dashboard")
	requireContrast(t, ctx, "dashboard")
	shoot("dashboard", true)

	run(t, ctx, "the incident list", chromedp.Navigate(e.srv.URL+"/incidents"), chromedp.WaitVisible(css("table.incidents")))
	require.Contains(t, textOf(t, ctx, "#incident-results"), "Ransomware on the finance file server")
	require.NotContains(t, textOf(t, ctx, "#incident-results"), "Source code copied", "a restricted incident stays hidden from non-members")
	requireNoInjection(t, ctx, "incident list")
	requireContrast(t, ctx, "incident list")
	shoot("incidents", true)

	run(t, ctx, "the incident page", chromedp.EmulateViewport(1280, 1000), chromedp.Navigate(e.srv.URL+"/incidents/"+key),
		chromedp.WaitVisible(css("#phase")))
	requireNoInjection(t, ctx, "incident page")
	requireContrast(t, ctx, "incident page")
	shoot("incident", false)

	run(t, ctx, "switch to the dark theme", chromedp.Click(css("#theme-button")))
	waitFor(t, ctx, "the page is dark", `document.documentElement.getAttribute("data-theme") === "dark"`)
	run(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(css("#phase")))
	require.Equal(t, "dark", value(t, ctx, "the theme is kept", chromedp.Evaluate[string](`document.documentElement.getAttribute("data-theme")`)))
	requireNoInjection(t, ctx, "incident page, dark")
	requireContrast(t, ctx, "incident page, dark")
	run(t, ctx, "the dashboard, dark", chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(css("#dashboard")))
	requireContrast(t, ctx, "dashboard, dark")
	run(t, ctx, "the incident list, dark", chromedp.Navigate(e.srv.URL+"/incidents"), chromedp.WaitVisible(css("table.incidents")))
	requireContrast(t, ctx, "incident list, dark")
	run(t, ctx, "the incident page again", chromedp.Navigate(e.srv.URL+"/incidents/"+key), chromedp.WaitVisible(css("#phase")))
	shoot("incident-dark", false)

	run(t, ctx, "a tablet screen", chromedp.EmulateViewport(820, 1180), chromedp.Reload(), chromedp.WaitVisible(css("#phase")))
	overflow := value(t, ctx, "measure the page width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	require.False(t, overflow, "the incident page fits a tablet without scrolling sideways")
	run(t, ctx, "back to light", chromedp.Click(css("#theme-button")))
	waitFor(t, ctx, "the page is light", `document.documentElement.getAttribute("data-theme") === "light"`)
}
