package cli

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

func TestLoginStoresTokenPrivately(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run("correct horse\n", "login", "--server", h.api.URL()+"/", "--username", "alice", "--password-stdin")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "Logged in to "+h.api.URL()+" as alice (lead).\n", r.stdout)
	require.Contains(t, r.stderr, "Token stored in "+h.configFile())

	var req auth.TokenLoginRequest
	sent := h.api.last("POST", "/api/v1/auth/token")
	require.NoError(t, json.Unmarshal([]byte(sent.Body), &req))
	require.Equal(t, "alice", req.Username)
	require.Equal(t, "correct horse", req.Password)
	require.Equal(t, "quell-cli testhost", req.Name)
	require.Empty(t, sent.Header.Get("Authorization"))
	require.Equal(t, "quell-cli/1.0.0-test", sent.Header.Get("User-Agent"))

	b, err := os.ReadFile(h.configFile())
	require.NoError(t, err)
	var stored storedLogin
	require.NoError(t, json.Unmarshal(b, &stored))
	require.Equal(t, storedLogin{Server: h.api.URL(), Token: testSecret, TokenID: "tok1", Username: "alice"}, stored)
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(h.configFile())
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		di, err := os.Stat(filepath.Dir(h.configFile()))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o700), di.Mode().Perm())
	}

	// The stored login is used by the next command.
	r = h.run("", "incident", "list")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "Bearer "+testSecret, h.api.last("GET", "/api/v1/incidents").Header.Get("Authorization"))
}

func TestLoginPromptsAndHidesPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.console.terminal, h.console.password = true, "correct horse"
	r := h.run("alice\n", "login", "--server", h.api.URL())
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 1, h.console.reads)
	require.Contains(t, r.stderr, "Username: ")
	require.Contains(t, r.stderr, "Password: ")
	require.NotContains(t, r.stderr, "correct horse")
}

func TestLoginWithoutTerminalWarns(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run("alice\ncorrect horse\n", "login", "--server", h.api.URL())
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "warning: cannot hide the password")
	require.Zero(t, h.console.reads)
}

func TestLoginWrongPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run("wrong\n", "login", "--server", h.api.URL(), "--username", "alice", "--password-stdin")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "quell: 401 Unauthorized: wrong user name or password")
	require.NoFileExists(t, h.configFile())
}

func TestLoginWithTokenChecksIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run("", "login", "--server", h.api.URL(), "--token", "not-it")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "run `quell login` again")
	require.NoFileExists(t, h.configFile())

	r = h.run("", "login", "--server", h.api.URL(), "--token", testSecret)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 0, h.api.count("POST", "/api/v1/auth/token"))
	b, err := os.ReadFile(h.configFile())
	require.NoError(t, err)
	require.Contains(t, string(b), testSecret)
}

func TestLoginWarnsOnPlainHTTP(t *testing.T) {
	t.Parallel()
	c := &cli{stderr: &strings.Builder{}}
	c.warnPlainHTTP("http://127.0.0.1:8080")
	c.warnPlainHTTP("https://quell.example.com")
	require.Empty(t, c.stderr.(*strings.Builder).String())
	c.warnPlainHTTP("http://quell.example.com")
	require.Contains(t, c.stderr.(*strings.Builder).String(), "unencrypted")
}

func TestEnvironmentAndFlagsOverrideStoredLogin(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()

	h.env["QUELL_TOKEN"] = "from-env"
	r := h.run("", "incident", "list")
	require.Equal(t, 1, r.code)
	require.Equal(t, "Bearer from-env", h.api.last("GET", "/api/v1/incidents").Header.Get("Authorization"))

	r = h.run("", "--token", testSecret, "incident", "list")
	require.Equal(t, 0, r.code, r.stderr)

	// The stored token never goes to another server.
	delete(h.env, "QUELL_TOKEN")
	other := newFakeAPI(t)
	r = h.run("", "--server", other.URL(), "incident", "list")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "not logged in to "+other.URL())
	require.Zero(t, other.count("GET", "/api/v1/incidents"))
}

func TestLogoutRevokesAndForgets(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "logout")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "Logged out of "+h.api.URL()+".\n", r.stdout)
	require.Equal(t, 1, h.api.count("DELETE", "/api/v1/tokens/tok1"))
	require.NoFileExists(t, h.configFile())

	r = h.run("", "logout")
	require.Equal(t, 0, r.code)
	require.Equal(t, "Not logged in.\n", r.stdout)
}

func TestNoServerConfigured(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run("", "incident", "list")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "no Quell server is configured")
	require.Contains(t, r.stderr, "quell login --server URL")
}

func TestConnectionRefusedNamesServer(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := "http://" + l.Addr().String()
	require.NoError(t, l.Close())

	h := newHarness(t)
	h.env["QUELL_SERVER"], h.env["QUELL_TOKEN"] = addr, "t"
	r := h.run("", "incident", "list")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "cannot reach the Quell server at "+addr+": connection refused")
	require.Contains(t, r.stderr, "--server URL")
	require.Contains(t, r.stderr, "QUELL_SERVER")
}

func TestIncidentCreateSendsFlags(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "incident", "create", "--title", "Ransomware on FS01", "--severity", "critical", "--type", "ransomware",
		"--tag", "fileserver", "--tag", "lockbit", "--tlp", "amber+strict", "--restricted", "--field", "ticket=CHG-1234", "--summary", "encrypted")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "Created INC-3: Ransomware on FS01 (critical, P1, phase containment)\n", r.stdout)
	require.JSONEq(t, `{"title":"Ransomware on FS01","severity":"critical","type":"ransomware","summary":"encrypted",
		"tags":["fileserver","lockbit"],"tlp":"amber+strict","restricted":true,"custom_fields":{"ticket":"CHG-1234"}}`,
		h.api.last("POST", "/api/v1/incidents").Body)

	r = h.run("", "incident", "create", "--title", "x", "--severity", "urgent")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `--severity "urgent": must be one of critical, high, medium, low, informational`)

	r = h.run("", "incident", "create", "--severity", "high")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `required flag(s) "title" not set`)
}

func TestIncidentListTable(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "incident", "list", "--all", "--severity", "critical,medium", "--phase", "containment", "--phase", "identification", "--assignee", "me", "--sort", "priority")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, ""+
		"KEY    SEV       PRI  PHASE           TYPE        TITLE               AGE\n"+
		"INC-3  critical  P1   containment     ransomware  Ransomware on FS01  5h\n"+
		"INC-4  medium    P3   identification  phishing    Phishing wave       26h\n", r.stdout)
	q := h.api.last("GET", "/api/v1/incidents").Query
	require.Equal(t, []string{"page2"}, q["cursor"])
	require.Equal(t, []string{"critical", "medium"}, q["severity"])
	require.Equal(t, []string{"containment", "identification"}, q["phase"])
	require.Equal(t, []string{"me"}, q["assignee"])
	require.Equal(t, []string{"open"}, q["status"])
	require.Equal(t, []string{"priority"}, q["sort"])
	require.Empty(t, r.stderr)

	// Without --all: one page, and a hint on stderr.
	r = h.run("", "incident", "list", "--status", "all", "--limit", "1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 2, strings.Count(r.stdout, "\n"))
	require.Contains(t, r.stderr, "--cursor page2")
	q = h.api.last("GET", "/api/v1/incidents").Query
	require.NotContains(t, q, "status")
	require.Equal(t, []string{"1"}, q["limit"])
}

func TestIncidentListJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "incident", "list", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var page store.Page[incident.Incident]
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &page))
	require.Equal(t, "page2", page.Next)
	require.Equal(t, "INC-3", page.Items[0].Key)
	require.True(t, strings.HasPrefix(r.stdout, "{\n  \"items\": ["), "pretty-printed")
	require.Empty(t, r.stderr, "no hints in JSON mode")

	r = h.run("", "-o", "yaml", "incident", "list")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "must be table or json")
}

func TestIncidentShow(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "incident", "show", "INC-3")
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{
		"INC-3  Ransomware on FS01",
		"Severity:      critical (priority P1)",
		"Phase:         containment",
		"Tags:          fileserver, lockbit",
		"\n  ROLE                 USER   SINCE\n  commander            alice  2025-03-01 08:00 UTC\n  scribe               -\n",
		"\n  detected      2025-03-01 07:00 UTC\n",
		"\n  contained     -\n",
		"\n  ticket  CHG-1234\n",
		"Summary:\n  Files encrypted on \\\\fs01\\share.\n",
	} {
		require.Contains(t, r.stdout, want)
	}

	r = h.run("", "incident", "show", "INC-99")
	require.Equal(t, 1, r.code)
	require.Equal(t, "quell: 404 Not Found: no incident INC-99\n", r.stderr)
}

func TestIncidentUpdateReadsThenPatchesWithIfMatch(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "incident", "update", "INC-3", "--severity", "high", "--add-tag", "vpn", "--remove-tag", "lockbit",
		"--field", "owner=soc", "--field", "ticket=")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "Updated INC-3 (version 8).\n", r.stdout)
	patch := h.api.last("PATCH", "/api/v1/incidents/INC-3")
	require.Equal(t, `"7"`, patch.Header.Get("If-Match"))
	require.JSONEq(t, `{"severity":"high","tags":["fileserver","vpn"],"custom_fields":{"owner":"soc"}}`, patch.Body)

	r = h.run("", "incident", "update", "INC-3")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "nothing to change")
}

func TestPhaseBlockedExplainsOverride(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "incident", "phase", "INC-3", "investigation", "--reason", "contained")
	require.Equal(t, 1, r.code)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, "quell: INC-3: 409 Conflict: required tasks are open (INC-3)\n")
	require.Contains(t, r.stderr, "Required tasks still open (1):")
	require.Regexp(t, `01JTASK1\s+containment\s+todo\s+bob\s+Isolate FS01`, r.stderr)
	require.Contains(t, r.stderr, "--override")
	require.JSONEq(t, `{"to":"investigation","reason":"contained"}`, h.api.last("POST", "/api/v1/incidents/INC-3/phase").Body)

	r = h.run("", "incident", "phase", "INC-3", "investigation", "--reason", "contained", "--override")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "INC-3 is now in phase investigation; the override was recorded.\n", r.stdout)

	r = h.run("", "incident", "phase", "INC-3", "done", "--reason", "x")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `phase "done": must be one of identification`)
}

func TestIncidentClose(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "incident", "close", "INC-3", "--resolution", "false_positive", "--reason", "red team")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "INC-3 is now in phase closed (false_positive).\n", r.stdout)
	require.JSONEq(t, `{"to":"closed","reason":"red team","resolution":"false_positive"}`, h.api.last("POST", "/api/v1/incidents/INC-3/phase").Body)

	r = h.run("", "incident", "close", "INC-3", "--reason", "x")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `"resolution" not set`)
}

func TestIncidentAssign(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "incident", "assign", "INC-3", "scribe", "bob")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "INC-3: scribe is bob.\n", r.stdout)
	require.JSONEq(t, `{"user":"bob"}`, h.api.last("PUT", "/api/v1/incidents/INC-3/roles/scribe").Body)

	r = h.run("", "incident", "assign", "INC-3", "scribe", "--remove")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 1, h.api.count("DELETE", "/api/v1/incidents/INC-3/roles/scribe"))

	r = h.run("", "incident", "assign", "INC-3", "scribe")
	require.Equal(t, 2, r.code)
	r = h.run("", "incident", "assign", "INC-3", "janitor", "bob")
	require.Equal(t, 2, r.code)
}

func TestIncidentCreateJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t).loggedIn()
	r := h.run("", "-o", "json", "incident", "create", "--title", "x", "--severity", "low")
	require.Equal(t, 0, r.code, r.stderr)
	var d casework.IncidentDetail
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &d))
	require.Equal(t, "INC-3", d.Key)
	require.Equal(t, "alice", d.Assignments[0].Username)
}

func TestUserGroupIsShared(t *testing.T) {
	t.Parallel()
	root := NewRoot("dev", &strings.Builder{}, &strings.Builder{})
	user := UserCommand(root)
	require.NotNil(t, user)
	var names []string
	for _, c := range user.Commands() {
		names = append(names, c.Name())
	}
	require.Subset(t, names, []string{"list", "show", "add", "update", "disable"})

	ran := false
	user.AddCommand(&cobra.Command{Use: "create", RunE: func(*cobra.Command, []string) error { ran = true; return nil }})
	root.SetArgs([]string{"user", "create"})
	require.Equal(t, 0, Execute(t.Context(), root))
	require.True(t, ran)
	require.Nil(t, UserCommand(&cobra.Command{Use: "other"}))

	audit := AuditCommand(root)
	require.NotNil(t, audit)
	audit.AddCommand(&cobra.Command{Use: "verify", RunE: func(*cobra.Command, []string) error { return nil }})
	root.SetArgs([]string{"audit", "verify"})
	require.Equal(t, 0, Execute(t.Context(), root))
}
