package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
)

// TestBrowserIncidentLifecycle works an incident the way a responder does: sign in, open it,
// take command, add and complete a task, add a required one, fail to advance past it and see
// why, then override as commander.
func TestBrowserIncidentLifecycle(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t)
	pw := e.addUser("cora", access.RoleResponder)
	signInBrowser(t, ctx, e, "cora", pw)

	run(t, ctx, "open an incident",
		chromedp.Navigate(e.srv.URL+"/incidents/new"),
		chromedp.WaitVisible(css("#inc-title")),
		chromedp.SendKeys(css("#inc-title"), "Ransom note on the file server"),
		chromedp.SetValue(css("#inc-severity"), "critical"),
		chromedp.SetValue(css("#inc-type"), "ransomware"),
		chromedp.SendKeys(css("#inc-tags"), "fs01, encryption"),
		chromedp.Click(css(`main form button[type=submit]`)),
		chromedp.WaitVisible(css(`main[data-page="incident"]`)),
	)
	require.Contains(t, textOf(t, ctx, "h1"), "Ransom note on the file server")
	loc := value(t, ctx, "read the address", chromedp.Location())
	key := loc[strings.LastIndex(loc, "/")+1:]
	require.Equal(t, "INC-1", key)
	requireNoInjection(t, ctx, "new incident page")

	run(t, ctx, "take command",
		choose("#role-commander", "cora"),
		chromedp.Click(css(`#roles form:has(#role-commander) button`)),
	)
	waitFor(t, ctx, "the commander shows in the header", contains("#commander", "cora"))

	run(t, ctx, "add a task",
		chromedp.Click(css("#add-task summary")),
		chromedp.WaitVisible(css("#task-title")),
		chromedp.SendKeys(css("#task-title"), "Collect the ransom note"),
		chromedp.Click(css(`#add-task button[type=submit]`)),
	)
	waitFor(t, ctx, "the task is listed", contains("#tasks .tasks", "Collect the ransom note"))
	id := taskID(t, ctx, "Collect the ransom note")

	run(t, ctx, "complete the task",
		choose("#status-"+id, "done"),
		chromedp.Click(css("#task-"+id+" form button[type=submit]")),
	)
	waitFor(t, ctx, "the task shows as finished", `!!document.querySelector("#task-`+id+`.task-finished")`)

	run(t, ctx, "add a required task",
		chromedp.Click(css("#add-task summary")),
		chromedp.WaitVisible(css("#task-title")),
		chromedp.SendKeys(css("#task-title"), "Isolate the file server"),
		chromedp.Click(css("#task-required")),
		chromedp.Click(css(`#add-task button[type=submit]`)),
	)
	waitFor(t, ctx, "the exit criteria name the required task", contains("#phase .criteria", "Isolate the file server"))

	run(t, ctx, "try to advance",
		chromedp.SendKeys(css("#advance-reason"), "encryption confirmed on fs01"),
		chromedp.Click(css(`#phase form:has(#advance-to) button[type=submit]`)),
	)
	waitFor(t, ctx, "the refusal lists the open required task", contains("#phase .alert-error", "Isolate the file server"))
	require.Contains(t, textOf(t, ctx, `#phase [aria-current="step"]`), "Identification", "the incident did not move")
	requireNoInjection(t, ctx, "refused advance")

	reason := value(t, ctx, "the reason typed is kept", chromedp.Value(css("#advance-reason")))
	require.Equal(t, "encryption confirmed on fs01", reason)
	run(t, ctx, "override as commander",
		chromedp.Click(css("#advance-override")),
		chromedp.Click(css(`#phase form:has(#advance-to) button[type=submit]`)),
	)
	waitFor(t, ctx, "the incident is in containment", contains(`#phase [aria-current="step"]`, "Containment"))

	var d casework.IncidentDetail
	e.api("GET", "/api/v1/incidents/"+key, e.admin, nil, http.StatusOK, &d)
	require.Equal(t, incident.PhaseContainment, d.Phase)
	var changes []incident.PhaseChange
	e.api("GET", "/api/v1/incidents/"+key+"/phases", e.admin, nil, http.StatusOK, &changes)
	require.Len(t, changes, 1)
	require.True(t, changes[0].Override, "the override is recorded")
	require.Equal(t, "encryption confirmed on fs01", changes[0].Reason)

	run(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(css(`main[data-page="incident"]`)))
	require.Contains(t, textOf(t, ctx, "#timeline"), "exit criteria overridden")
	requireNoInjection(t, ctx, "incident page after the override")
}

// TestBrowserViewer checks that a viewer sees no control that changes anything, and that a
// form posted anyway is refused.
func TestBrowserViewer(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t)
	s := e.seed()
	pw := e.addUser("vera", access.RoleViewer)
	signInBrowser(t, ctx, e, "vera", pw)

	for _, path := range []string{"/", "/incidents", "/incidents/" + s.key, "/tasks/" + s.taskID, "/notes/" + s.noteID, "/assets", "/assets/" + s.assetID} {
		run(t, ctx, "open "+path, chromedp.Navigate(e.srv.URL+path), chromedp.WaitVisible(css("main")))
		controls := value(t, ctx, "look for write controls on "+path, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(
			"main form[method=post], main a[href$='/new'], main a[href$='/edit'], main textarea, main details.add-form"
		)).map(function (el) { return el.outerHTML.slice(0, 100); })`))
		require.Empty(t, controls, "%s shows a viewer controls that change things", path)
		requireNoInjection(t, ctx, path)
	}

	run(t, ctx, "post a form anyway",
		chromedp.Navigate(e.srv.URL+"/incidents/"+s.key),
		chromedp.WaitVisible(css("main")),
		chromedp.Evaluate[chromedp.Void](`(function () {
		  var f = document.createElement("form");
		  f.method = "post";
		  f.action = "/incidents/`+s.key+`/tasks";
		  var i = document.createElement("input");
		  i.name = "title"; i.value = "forced by a viewer";
		  f.appendChild(i);
		  document.body.appendChild(f);
		  f.submit();
		  return true;
		})()`),
		chromedp.WaitVisible(css(`main[data-page="error"]`)),
	)
	body := textOf(t, ctx, "main")
	require.Contains(t, body, "403")
	require.Contains(t, body, "Not allowed")
	var tasks []incident.Task
	e.api("GET", "/api/v1/incidents/"+s.key+"/tasks", e.admin, nil, http.StatusOK, &tasks)
	for _, task := range tasks {
		require.NotEqual(t, "forced by a viewer", task.Title, "the viewer's post changed nothing")
	}
}
