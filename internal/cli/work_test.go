package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests must not depend on the machine's zone database

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/auth"
)

func TestTaskAddWithRelativeDue(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "task", "add", "INC-3", "--phase", "containment", "--title", "Isolate FS01", "--required",
		"--assignee", "bob", "--role", "technical_lead", "--due", "2h")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "Added task 01JTASK1 to INC-3: Isolate FS01\n", r.stdout)
	require.JSONEq(t, `{"phase":"containment","title":"Isolate FS01","required":true,"assignee":"bob",
		"role":"technical_lead","due_at":"2025-03-01T14:00:00Z"}`, h.api.last("POST", "/api/v1/incidents/INC-3/tasks").Body)

	r = h.run("", "task", "add", "INC-3", "--phase", "containment", "--title", "x", "--due", "tomorrow")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "use a delay such as 30m")
}

func TestParseDue(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"90m":                       "2025-03-01T13:30:00Z",
		"3d":                        "2025-03-04T12:00:00Z",
		"2025-03-02T09:00:00+01:00": "2025-03-02T08:00:00Z",
	} {
		got, err := parseDue(in, testNow)
		require.NoError(t, err, in)
		require.Equal(t, want, got.UTC().Format(time.RFC3339), in)
	}
	for _, bad := range []string{"", "-2h", "0d", "soon"} {
		_, err := parseDue(bad, testNow)
		require.Error(t, err, bad)
	}
}

func TestTaskListAndMine(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "task", "list", "INC-3")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, ""+
		"ID        PHASE        STATUS  REQ  ASSIGNEE  DUE                             TITLE\n"+
		"01JTASK1  containment  todo    yes  bob       2025-03-01 11:00 UTC (overdue)  Isolate FS01\n", r.stdout)

	r = h.run("", "task", "mine", "--overdue")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "INCIDENT")
	q := h.api.last("GET", "/api/v1/tasks").Query
	require.Equal(t, []string{"me"}, q["assignee"])
	require.Equal(t, []string{"todo", "in_progress", "blocked"}, q["status"])
	require.Equal(t, []string{"true"}, q["overdue"])
}

func TestTaskUpdateAndDone(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "task", "update", "01JTASK1", "--status", "in_progress", "--assignee", "", "--clear-due")
	require.Equal(t, 0, r.code, r.stderr)
	patch := h.api.last("PATCH", "/api/v1/tasks/01JTASK1")
	require.Equal(t, `"2"`, patch.Header.Get("If-Match"))
	require.JSONEq(t, `{"status":"in_progress","assignee":"","clear_due":true}`, patch.Body)

	r = h.run("", "task", "done", "01JTASK1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "Task 01JTASK1 is done: Isolate FS01\n", r.stdout)
	require.JSONEq(t, `{"status":"done"}`, h.api.last("PATCH", "/api/v1/tasks/01JTASK1").Body)

	r = h.run("", "task", "done", "--skip", "01JTASK1", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, `"status": "skipped"`)
}

func TestNoteAddSources(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "note", "add", "INC-3", "--body", "Called the **ISP**")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "Added note 01JNOTE1 to INC-3.\n", r.stdout)
	require.JSONEq(t, `{"body":"Called the **ISP**"}`, h.api.last("POST", "/api/v1/incidents/INC-3/notes").Body)

	r = h.run("line one\nline two\n", "note", "add", "INC-3", "-")
	require.Equal(t, 0, r.code, r.stderr)
	require.JSONEq(t, `{"body":"line one\nline two\n"}`, h.api.last("POST", "/api/v1/incidents/INC-3/notes").Body)

	file := filepath.Join(t.TempDir(), "findings.md")
	require.NoError(t, os.WriteFile(file, []byte("# Findings\n"), 0o600))
	r = h.run("", "note", "add", "INC-3", "--file", file)
	require.Equal(t, 0, r.code, r.stderr)
	require.JSONEq(t, `{"body":"# Findings\n"}`, h.api.last("POST", "/api/v1/incidents/INC-3/notes").Body)

	r = h.run("", "note", "add", "INC-3")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "exactly one of --body TEXT, --file FILE or -")
	r = h.run("x", "note", "add", "INC-3", "--body", "x", "-")
	require.Equal(t, 2, r.code)
}

func TestNoteListCleansTerminalControls(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "note", "list", "INC-3")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "── 01JNOTE1 by user:u1 at 2025-03-01 12:00 UTC\nCalled the ISP.\n[2JBlock in place.\n", r.stdout)
	require.NotContains(t, r.stdout, "\x1b")
}

func TestTimelineAddBackdatedInZone(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "timeline", "add", "INC-3", "--text", "User reported the e-mail", "--at", "2025-03-01 09:12",
		"--zone", "Europe/Paris", "--technique", "T1566", "--flag")
	require.Equal(t, 0, r.code, r.stderr)
	require.JSONEq(t, `{"event_at":"2025-03-01T09:12:00+01:00","event_zone":"Europe/Paris","text":"User reported the e-mail",
		"technique":"T1566","flagged":true}`, h.api.last("POST", "/api/v1/incidents/INC-3/timeline").Body)
	require.Equal(t, "Added timeline entry 01JENTRY to INC-3 at 2025-03-01 12:00 UTC (13:00 Europe/Paris).\n", r.stdout)

	r = h.run("", "timeline", "add", "INC-3", "--text", "x", "--at", "2025-03-01T08:00:00Z", "--kind", "action")
	require.Equal(t, 0, r.code, r.stderr)
	require.JSONEq(t, `{"event_at":"2025-03-01T08:00:00Z","text":"x","kind":"action"}`, h.api.last("POST", "/api/v1/incidents/INC-3/timeline").Body)

	r = h.run("", "timeline", "add", "INC-3", "--text", "x", "--at", "09:12")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "RFC 3339")
}

func TestTokenCreateShowsSecretOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "token", "create", "--name", "ci", "--scope", "read", "--expires-days", "30")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "qk_new_secret_shown_once\n")
	require.Contains(t, r.stderr, "only time the token's secret is shown")
	require.NotContains(t, r.stderr, "qk_new_secret_shown_once")
	var req auth.NewToken
	require.NoError(t, json.Unmarshal([]byte(h.api.last("POST", "/api/v1/tokens").Body), &req))
	require.Equal(t, auth.NewToken{Name: "ci", Scope: "read", ExpiresInDays: 30}, req)

	r = h.run("", "token", "create", "--name", "ci", "--scope", "root")
	require.Equal(t, 2, r.code)

	r = h.run("", "token", "list")
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `tok1\s+laptop\s+write\s+qk_live\s+2025-02-27 12:00 UTC\s+active`, r.stdout)
}

func TestFieldErrorsAreListed(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("pw\n", "user", "add", "--username", "bob", "--role", "responder", "--email", "nope", "--password-stdin")
	require.Equal(t, 1, r.code)
	require.Equal(t, "quell: 422 Unprocessable Entity: the request has invalid fields\n  /username: is taken\n  /email: is not an e-mail address\n", r.stderr)
}

func TestUserDisableReadsVersion(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "user", "disable", "bob")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "Updated user bob (disabled).\n", r.stdout)
	patch := h.api.last("PATCH", "/api/v1/users/u2")
	require.Equal(t, `"3"`, patch.Header.Get("If-Match"))
	require.JSONEq(t, `{"disabled":true}`, patch.Body)
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run("", "completion", "bash")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "bash completion")
	require.Contains(t, r.stdout, "__start_quell")

	r = h.run("", "__complete", "incident", "create", "--severity", "")
	require.Equal(t, 0, r.code, r.stderr)
	require.True(t, strings.HasPrefix(r.stdout, "critical\nhigh\nmedium\nlow\ninformational\n:4\n"), r.stdout)

	r = h.run("", "__complete", "incident", "phase", "INC-3", "")
	require.Contains(t, r.stdout, "containment\n")

	r = h.run("", "__complete", "incident", "list", "--phase", "containment,re")
	require.Contains(t, r.stdout, "containment,response\ncontainment,recovery\ncontainment,review\n")

	r = h.run("", "__complete", "token", "create", "--scope", "")
	require.True(t, strings.HasPrefix(r.stdout, "read\nwrite\nadmin\n"), r.stdout)
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run("", "incident", "show")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "accepts 1 arg(s), received 0")
	require.Contains(t, r.stderr, "Run 'quell incident show --help' for usage.")

	r = h.run("", "incident", "lst")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `unknown command "lst" for "quell incident"; did you mean list?`)

	r = h.run("", "incident")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "Available Commands:")

	r = h.run("", "incident", "list", "--bogus")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "unknown flag: --bogus")
}

func TestStoredLoginReadableByOthersWarns(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	require.NoError(t, os.Chmod(h.configFile(), 0o644))
	r := h.run("", "incident", "list")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "can be read by other users")
}

func TestAuditAndSearch(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "audit", "list", "--incident", "INC-3")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 3, strings.Count(r.stdout, "\n"))
	require.Contains(t, r.stderr, "--after 2")
	require.Equal(t, []string{"INC-3"}, h.api.last("GET", "/api/v1/audit").Query["incident"])

	r = h.run("", "audit", "list", "--all")
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `3\s+2025-03-01 12:00 UTC\s+alice\s+incident.phase\s+incident:01JINC3\s+01JINC3`, r.stdout)
	require.Equal(t, []string{"2"}, h.api.last("GET", "/api/v1/audit").Query["after"])
	require.Empty(t, r.stderr)

	r = h.run("", "search", "mimikatz", "fs01", "--limit", "5")
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `INC-3\s+note\s+Ransomware on FS01\s+ran mimikatz on fs01`, r.stdout)
	q := h.api.last("GET", "/api/v1/search").Query
	require.Equal(t, []string{"mimikatz fs01"}, q["q"])
	require.Equal(t, []string{"5"}, q["limit"])
}

func TestAssets(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "asset", "add", "--kind", "host", "--name", "fs01", "--criticality", "4", "--id", "ip=10.0.0.5", "--id", "fqdn=fs01.corp.example")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "Added asset 01JASSET: fs01 (host).\n", r.stdout)
	require.JSONEq(t, `{"kind":"host","name":"fs01","criticality":4,
		"identifiers":[{"type":"ip","value":"10.0.0.5"},{"type":"fqdn","value":"fs01.corp.example"}]}`, h.api.last("POST", "/api/v1/assets").Body)

	r = h.run("", "asset", "add", "--kind", "host", "--name", "x", "--id", "serial=1")
	require.Equal(t, 2, r.code)

	r = h.run("", "asset", "update", "01JASSET", "--criticality", "3", "--owner", "infra")
	require.Equal(t, 0, r.code, r.stderr)
	patch := h.api.last("PATCH", "/api/v1/assets/01JASSET")
	require.Equal(t, `"5"`, patch.Header.Get("If-Match"))
	require.JSONEq(t, `{"criticality":3,"owner":"infra"}`, patch.Body)

	r = h.run("", "asset", "show", "01JASSET")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "Identifiers:   ip=10.0.0.5\n")
	require.Regexp(t, `\n  INC-3\s+contained\s+2025-03-01 12:00 UTC\n`, r.stdout)

	r = h.run("", "asset", "link", "INC-3", "01JASSET", "--status", "compromised", "--note", "beaconing")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "INC-3: asset fs01 is compromised.\n", r.stdout)
	require.JSONEq(t, `{"status":"compromised","note":"beaconing"}`, h.api.last("PUT", "/api/v1/incidents/INC-3/assets/01JASSET").Body)

	r = h.run("", "asset", "unlink", "INC-3", "01JASSET")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 1, h.api.count("DELETE", "/api/v1/incidents/INC-3/assets/01JASSET"))
}
