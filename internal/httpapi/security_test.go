package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/httpapi"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

func loginCookie(t *testing.T, e *env, name string, body string) *http.Cookie {
	t.Helper()
	resp, data := e.request("POST", "/api/v1/auth/login", "", body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", data)
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", name, resp.Header["Set-Cookie"])
	return nil
}

func TestSessionCookieAndCrossOriginProtection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := loginCookie(t, e, httpapi.SessionCookie, `{"username":"ADMIN","password":"`+adminPassword+`"}`)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, c.SameSite)
	require.False(t, c.Secure, "plain HTTP: no Secure flag")
	cookie := c.Name + "=" + c.Value

	resp, data := e.request("GET", "/api/v1/me", "", nil, "Cookie", cookie)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", data)
	require.Contains(t, string(data), `"username":"admin"`)
	require.Contains(t, string(data), `"multi_org":false`)

	body := `{"title":"from the browser","severity":"low"}`
	resp, data = e.request("POST", "/api/v1/incidents", "", body, "Cookie", cookie, "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "%s", data)
	resp, _ = e.request("POST", "/api/v1/incidents", "", body, "Cookie", cookie, "Origin", "https://evil.example")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, data = e.request("POST", "/api/v1/incidents", "", body, "Cookie", cookie, "Sec-Fetch-Site", "same-origin")
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", data)

	resp, _ = e.request("POST", "/api/v1/auth/logout", "", nil, "Cookie", cookie, "Sec-Fetch-Site", "same-origin")
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, _ = e.request("GET", "/api/v1/me", "", nil, "Cookie", cookie)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the session ended on the server, not only in the browser")
}

func TestSecureCookieOverTLS(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, auth.Options{}, httpapi.Config{SecureCookies: true})
	c := loginCookie(t, e, "__Host-"+httpapi.SessionCookie, `{"username":"admin","password":"`+adminPassword+`"}`)
	require.True(t, c.Secure)
	require.True(t, c.HttpOnly)
	require.Equal(t, "/", c.Path)
	require.Empty(t, c.Domain)
}

func TestLoginSameAnswerAndRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, auth.Options{MaxFailuresPerAccount: 3, MaxFailuresPerAddress: 1000}, httpapi.Config{})
	r1, unknown := e.request("POST", "/api/v1/auth/login", "", `{"username":"nobody","password":"whatever-password"}`)
	r2, wrong := e.request("POST", "/api/v1/auth/login", "", `{"username":"admin","password":"whatever-password"}`)
	require.Equal(t, http.StatusUnauthorized, r1.StatusCode)
	require.Equal(t, r1.StatusCode, r2.StatusCode)
	strip := func(b []byte) string { return strings.ReplaceAll(string(b), "nobody", "admin") }
	require.Equal(t, strip(unknown), strip(wrong), "unknown users and wrong passwords get the same answer")

	for range 2 {
		resp, _ := e.request("POST", "/api/v1/auth/login", "", `{"username":"admin","password":"whatever-password"}`)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	resp, data := e.request("POST", "/api/v1/auth/login", "", `{"username":"admin","password":"`+adminPassword+`"}`)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "even the right password waits once the account is locked: %s", data)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	// Another account from the same address is not locked.
	_, tok := e.addUser("rick", access.RoleResponder)
	require.NotEmpty(t, tok)
}

func TestTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var read auth.CreatedToken
	e.call("POST", "/api/v1/tokens", e.admin, auth.NewToken{Name: "dashboards", Scope: access.ScopeRead, ExpiresInDays: 30}, http.StatusCreated, &read)
	require.True(t, strings.HasPrefix(read.Secret, auth.TokenPrefix))
	require.NotNil(t, read.ExpiresAt)

	e.call("GET", "/api/v1/incidents", read.Secret, nil, http.StatusOK, nil)
	resp, _ := e.request("POST", "/api/v1/incidents", read.Secret, `{"title":"x","severity":"low"}`)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "a read token never writes, whoever owns it")

	_, raw := e.request("GET", "/api/v1/tokens", e.admin, nil)
	require.NotContains(t, string(raw), read.Secret, "the list never shows a secret")
	require.NotContains(t, string(raw), auth.HashSecret(read.Secret), "nor its hash")
	var toks []access.Token
	e.call("GET", "/api/v1/tokens", e.admin, nil, http.StatusOK, &toks)
	i := slices.IndexFunc(toks, func(t access.Token) bool { return t.ID == read.ID })
	require.GreaterOrEqual(t, i, 0)
	require.NotNil(t, toks[i].LastUsedAt, "last use is recorded")
	require.True(t, strings.HasPrefix(read.Secret, toks[i].Prefix))

	e.call("DELETE", "/api/v1/tokens/"+read.ID, e.admin, nil, http.StatusNoContent, nil)
	resp, _ = e.request("GET", "/api/v1/incidents", read.Secret, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, `Bearer realm="quell"`, resp.Header.Get("WWW-Authenticate"))
	resp, _ = e.request("GET", "/api/v1/incidents", "quell_not-a-real-token", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// A viewer cannot mint a write token.
	_, vera := e.addUser("vera", access.RoleViewer)
	resp, _ = e.request("POST", "/api/v1/tokens", vera, auth.NewToken{Name: "x", Scope: access.ScopeWrite})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestBadRequestsAreClear(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, auth.Options{}, httpapi.Config{MaxBodyBytes: 4096})
	cases := []struct {
		body    string
		ctype   string
		status  int
		pointer string
	}{
		{`{"title":"x","severity":"urgent"}`, "application/json", 400, "/severity"},
		{`{"title":"x","severity":"low","colour":"red"}`, "application/json", 400, "/colour"},
		{`{"title":42,"severity":"low"}`, "application/json", 400, "/title"},
		{`{"title":"x","severity":"low","tags":["a b"]}`, "application/json", 400, "/tags/0"},
		{`{"title":"x","severity":"low","occurred_at":"yesterday"}`, "application/json", 400, ""},
		{`{"title":"x"`, "application/json", 400, ""},
		{`{"title":"x","severity":"low"} {}`, "application/json", 400, ""},
		{`title=x`, "application/x-www-form-urlencoded", 415, ""},
		{`{"title":"` + strings.Repeat("x", 5000) + `","severity":"low"}`, "application/json", 413, ""},
	}
	for _, c := range cases {
		resp, data := e.request("POST", "/api/v1/incidents", e.admin, c.body, "Content-Type", c.ctype)
		require.Equal(t, c.status, resp.StatusCode, "%s: %s", c.body, data)
		require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
		p := problem(t, data)
		require.Equal(t, c.status, p.Status)
		require.NotEmpty(t, p.Detail)
		if c.pointer != "" {
			require.Equal(t, c.pointer, p.Errors[0].Pointer, "%s", data)
		}
	}
	resp, data := e.request("GET", "/api/v1/incidents?severity=urgent", e.admin, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, "severity", problem(t, data).Errors[0].Parameter)
	resp, _ = e.request("GET", "/api/v1/incidents?cursor=garbage", e.admin, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestRestrictedIncidentsAndOrganisations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, rick := e.addUser("rick", access.RoleResponder)
	_, nora := e.addUser("nora", access.RoleResponder)
	var secret casework.IncidentDetail
	e.call("POST", "/api/v1/incidents", rick, casework.NewIncident{Title: "Insider exfiltration by a payroll clerk",
		Severity: incident.SeverityHigh, Type: incident.TypeInsider, Restricted: true}, http.StatusCreated, &secret)
	e.call("POST", "/api/v1/incidents/"+secret.Key+"/notes", rick, casework.NewNote{Body: "payroll export to personal mail"}, http.StatusCreated, nil)
	e.call("POST", "/api/v1/incidents", rick, casework.NewIncident{Title: "Phishing wave", Severity: incident.SeverityLow}, http.StatusCreated, nil)

	count := func(token, query string) int {
		var page store.Page[incident.Incident]
		e.call("GET", "/api/v1/incidents"+query, token, nil, http.StatusOK, &page)
		return len(page.Items)
	}
	require.Equal(t, 2, count(rick, ""))
	require.Equal(t, 1, count(nora, ""), "a non-member does not see the restricted incident")
	require.Equal(t, 0, count(nora, "?q=payroll"))
	var hits []store.SearchHit
	e.call("GET", "/api/v1/search?q=payroll", nora, nil, http.StatusOK, &hits)
	require.Empty(t, hits)
	resp, _ := e.request("GET", "/api/v1/incidents/"+secret.Key, nora, nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, 2, count(e.admin, ""), "admins see every incident")

	// The creator gives nora need-to-know access; now she sees it.
	e.call("PUT", "/api/v1/incidents/"+secret.Key+"/roles/commander", e.admin, casework.RoleRequest{User: "rick"}, http.StatusOK, nil)
	e.call("PUT", "/api/v1/incidents/"+secret.Key+"/members/nora", rick, nil, http.StatusNoContent, nil)
	require.Equal(t, 2, count(nora, ""))
	e.call("GET", "/api/v1/search?q=payroll", nora, nil, http.StatusOK, &hits)
	require.NotEmpty(t, hits)

	// Another organisation sees none of this one's data, and its own keys start at INC-1.
	e.call("POST", "/api/v1/orgs", e.admin, auth.NewOrg{Slug: "acme", Name: "ACME"}, http.StatusCreated, nil)
	_, err := e.auth.CreateUserDirect(e.ctx, "acme", auth.NewUser{Username: "ana", Password: "ana-password-123", Role: access.RoleAdmin})
	require.NoError(t, err)
	ana := e.tokenFor("ana", "ana-password-123", access.ScopeAdmin)
	require.Equal(t, 0, count(ana, ""))
	e.call("GET", "/api/v1/search?q=payroll", ana, nil, http.StatusOK, &hits)
	require.Empty(t, hits)
	resp, _ = e.request("GET", "/api/v1/incidents/"+secret.ID, ana, nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	var own casework.IncidentDetail
	e.call("POST", "/api/v1/incidents", ana, casework.NewIncident{Title: "ACME outage", Severity: incident.SeverityLow}, http.StatusCreated, &own)
	require.Equal(t, "INC-1", own.Key)
	var me auth.Me
	e.call("GET", "/api/v1/me", e.admin, nil, http.StatusOK, &me)
	require.True(t, me.MultiOrg)
	require.Len(t, me.Memberships, 2)
}

func TestSwitchOrganisationInSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.call("POST", "/api/v1/orgs", e.admin, auth.NewOrg{Slug: "acme", Name: "ACME"}, http.StatusCreated, nil)
	c := loginCookie(t, e, httpapi.SessionCookie, `{"username":"admin","password":"`+adminPassword+`"}`)
	cookie := c.Name + "=" + c.Value
	resp, data := e.request("POST", "/api/v1/incidents", "", `{"title":"default org","severity":"low"}`, "Cookie", cookie)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", data)

	resp, data = e.request("POST", "/api/v1/me/org", "", `{"org":"acme"}`, "Cookie", cookie)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", data)
	require.Contains(t, string(data), `"org_slug":"acme"`)
	var page store.Page[incident.Incident]
	resp, data = e.request("GET", "/api/v1/incidents", "", nil, "Cookie", cookie)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.Unmarshal(data, &page))
	require.Empty(t, page.Items, "after switching, the session reads the other organisation")

	resp, _ = e.request("POST", "/api/v1/me/org", "", `{"org":"nowhere"}`, "Cookie", cookie)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = e.request("POST", "/api/v1/me/org", e.admin, `{"org":"acme"}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "a token belongs to one organisation")
}

func TestMetricsCountRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.call("GET", "/api/v1/incidents", e.admin, nil, http.StatusOK, nil)
	resp, data := e.request("GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(data), `quell_http_requests_total{code="200",route="GET /api/v1/incidents"} 1`)
	require.Contains(t, string(data), `quell_http_request_duration_seconds_bucket{route="GET /api/v1/incidents"`)
}
