package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// The browser tests drive Debian's Chromium. One browser serves the whole test binary; each
// test gets its own browser context (its own cookies), so tests can sign in as different
// people side by side.

const chromiumPath = "/usr/bin/chromium"

var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	err    error
	dir    string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dir != "" {
		_ = os.RemoveAll(browser.dir)
	}
	os.Exit(code)
}

// startBrowser starts Chromium once, on first use.
func startBrowser() (context.Context, error) {
	browser.once.Do(func() {
		browser.dir, browser.err = os.MkdirTemp("", "quell-chromium-")
		if browser.err != nil {
			return
		}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(chromiumPath),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("hide-scrollbars", true),
			chromedp.Flag("mute-audio", true),
			chromedp.UserDataDir(browser.dir),
			chromedp.WindowSize(1280, 900),
		)
		ctx, cancelBrowser := chromedp.NewContext(allocCtx)
		browser.ctx = ctx
		browser.cancel = func() { cancelBrowser(); cancelAlloc() }
		browser.err = chromedp.Do(ctx)
	})
	return browser.ctx, browser.err
}

// cspProbe records every Content-Security-Policy violation of a page in window.__csp. It is
// installed through the DevTools protocol, which the page's policy does not govern.
const cspProbe = `window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});`

// tab opens a page in a fresh browser context: no cookies, no storage.
func tab(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser tests need Chromium at %s (Debian package chromium); it is not installed", chromiumPath)
	}
	bctx, err := startBrowser()
	require.NoError(t, err, "start Chromium")
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	require.NoError(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		_, err := cdp.Call(ctx, tgt, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe})
		return err
	})))
	return ctx
}

// run runs browser actions and fails the test on the first error, naming the step.
func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	start := time.Now()
	require.NoError(t, chromedp.Do(ctx, actions...), step)
	t.Logf("%s: %s", step, time.Since(start))
}

// value runs one browser action that returns a value.
func value[T any](t *testing.T, ctx context.Context, step string, action chromedp.Action[T]) T {
	t.Helper()
	start := time.Now()
	v, err := chromedp.Run(ctx, action)
	require.NoError(t, err, step)
	t.Logf("%s: %s", step, time.Since(start))
	return v
}

// css selects the first element a CSS selector matches.
type css = chromedp.CSS

// signInBrowser signs in through the login form and waits for the dashboard.
func signInBrowser(t *testing.T, ctx context.Context, e *env, username, password string) {
	t.Helper()
	run(t, ctx, "sign in as "+username,
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.WaitVisible(css("#login-username")),
		chromedp.SendKeys(css("#login-username"), username),
		chromedp.SendKeys(css("#login-password"), password),
		chromedp.Click(css(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(css(`main[data-page="dashboard"]`)),
	)
}

// waitFor polls a JavaScript condition until it is true, within the tab's deadline.
func waitFor(t *testing.T, ctx context.Context, what, condition string) {
	t.Helper()
	value(t, ctx, "wait until "+what, chromedp.Poll[bool](condition, chromedp.WithPollingInterval(50*time.Millisecond)))
}

// pageHealth is what a page shows about injected script: the flag an injected payload sets,
// the policy violations seen, and elements no Quell page has.
type pageHealth struct {
	XSS      any      `json:"xss"`
	CSP      []string `json:"csp"`
	Injected []string `json:"injected"`
	Ready    string   `json:"ready"`
}

const healthCheck = `(function () {
  var bad = [];
  var sel = "img, svg, iframe, object, embed, math, base, link[rel=import], meta[http-equiv], form[action^='javascript' i]";
  document.querySelectorAll(sel).forEach(function (el) { bad.push(el.outerHTML.slice(0, 120)); });
  document.querySelectorAll("*").forEach(function (el) {
    for (var i = 0; i < el.attributes.length; i++) {
      var a = el.attributes[i];
      var v = a.value.trim().toLowerCase();
      if (a.name.toLowerCase().indexOf("on") === 0 || v.indexOf("javascript:") === 0) {
        bad.push(el.tagName + " " + a.name + "=" + a.value.slice(0, 80));
      }
    }
  });
  document.querySelectorAll("script").forEach(function (s) {
    if (!s.src || new URL(s.src).origin !== location.origin) { bad.push("script " + (s.src || s.textContent.slice(0, 80))); }
  });
  return {xss: window.__xss === undefined ? null : window.__xss, csp: window.__csp || [], injected: bad, ready: document.readyState};
})()`

// requireNoInjection checks that no injected script ran on the current page, that the page
// holds none of the elements and attributes a payload would bring, and that the policy had
// nothing to block (so escaping, not only the policy, kept the payload inert).
func requireNoInjection(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	waitFor(t, ctx, where+" has loaded", `document.readyState === "complete"`)
	h := value(t, ctx, "inspect "+where, chromedp.Evaluate[pageHealth](healthCheck))
	require.Nil(t, h.XSS, "%s: an injected script ran", where)
	require.Empty(t, h.Injected, "%s: injected markup", where)
	require.Empty(t, h.CSP, "%s: the Content-Security-Policy had to block something", where)
}

// choose picks an option of a select as a person does, so the page hears the change.
func choose(sel, option string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SetValue(css(sel), option),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%s).dispatchEvent(new Event("change", {bubbles: true}))`, jsString(sel))),
	)
}

// textOf reads the visible text of an element.
func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return value(t, ctx, "read "+sel, chromedp.Text(css(sel)))
}

// jsString quotes a Go string for JavaScript.
func jsString(s string) string { return fmt.Sprintf("%q", s) }

// contains builds a condition that an element's text contains a string.
func contains(sel, text string) string {
	return fmt.Sprintf(`(function(){var el=document.querySelector(%s);return !!el && el.textContent.indexOf(%s) >= 0;})()`,
		jsString(sel), jsString(text))
}

// taskID finds the id of the task with the given title on the incident page.
func taskID(t *testing.T, ctx context.Context, title string) string {
	t.Helper()
	id := value(t, ctx, "find task "+title, chromedp.Evaluate[string](fmt.Sprintf(`(function(){
	  var links = document.querySelectorAll("#tasks .task-title");
	  for (var i = 0; i < links.length; i++) { if (links[i].textContent.trim() === %s) { return links[i].closest("li").id.slice(5); } }
	  return "";
	})()`, jsString(title))))
	require.NotEmpty(t, id, "no task %q on the page", title)
	return strings.TrimSpace(id)
}

// contrastCheck lists the visible text whose contrast with its background is below WCAG AA:
// 4.5:1, or 3:1 for large text.
const contrastCheck = `(function () {
  function parse(c) {
    var m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) { return null; }
    var p = m[1].split(",").map(parseFloat);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  }
  function lum(c) {
    function f(v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function background(el) {
    for (; el; el = el.parentElement) {
      var c = parse(getComputedStyle(el).backgroundColor);
      if (c && c.a > 0.5) { return c; }
    }
    return {r: 255, g: 255, b: 255, a: 1};
  }
  var bad = [];
  document.querySelectorAll("body *").forEach(function (el) {
    var text = false;
    el.childNodes.forEach(function (n) { if (n.nodeType === 3 && n.textContent.trim()) { text = true; } });
    if (!text) { return; }
    var st = getComputedStyle(el);
    var box = el.getBoundingClientRect();
    if (st.visibility === "hidden" || box.width < 2 || box.height < 2) { return; }
    var a = lum(parse(st.color)), b = lum(background(el));
    var ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    var size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight, 10) >= 700;
    var need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) { bad.push(el.tagName.toLowerCase() + "." + el.className + " " + JSON.stringify(el.textContent.trim().slice(0, 30)) + " " + ratio.toFixed(2)); }
  });
  return bad;
})()`

// requireContrast checks the contrast of every visible text of the page.
func requireContrast(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	bad := value(t, ctx, "measure contrast on "+where, chromedp.Evaluate[[]string](contrastCheck))
	require.Empty(t, bad, "%s: text below WCAG AA contrast", where)
}
