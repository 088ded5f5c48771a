package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/config"
)

func sessionCookie(t *testing.T, resp *http.Response, name string) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", name, resp.Header["Set-Cookie"])
	return nil
}

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.anonymous()

	resp, _ := b.get("/incidents?status=all&tag=bec")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/login?next="+url.QueryEscape("/incidents?status=all&tag=bec"), resp.Header.Get("Location"))

	resp, page := b.post("/login", url.Values{"username": {"admin"}, "password": {"not the password"}, "next": {"/incidents"}})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, page, "The user name or password is not right.")
	require.NotContains(t, page, "not the password", "a password is never shown again")
	_, unknown := b.post("/login", url.Values{"username": {"nobody"}, "password": {"not the password"}, "next": {"/incidents"}})
	require.Equal(t, strings.ReplaceAll(page, `value="admin"`, `value="nobody"`), unknown,
		"an unknown user gets the answer a wrong password gets")

	resp, _ = b.post("/login", url.Values{"username": {"ADMIN"}, "password": {adminPassword}, "next": {"/incidents?status=all&tag=bec"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/incidents?status=all&tag=bec", resp.Header.Get("Location"), "back to where the person wanted to go")
	c := sessionCookie(t, resp, auth.SessionCookie)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, c.SameSite)
	require.False(t, c.Secure, "plain HTTP")
	require.Equal(t, "/", c.Path)

	// The cookie is the API's session cookie too.
	req, err := http.NewRequest("GET", e.srv.URL+"/api/v1/me", nil)
	require.NoError(t, err)
	req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	resp, _ = b.do(req)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp, _ = b.get("/login")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "signed in: the login page sends you on")

	resp, _ = b.post("/logout", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/login", resp.Header.Get("Location"))
	require.Equal(t, -1, sessionCookie(t, resp, auth.SessionCookie).MaxAge, "the browser forgets the cookie")
	resp, _ = b.do(req)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the session ended on the server, not only in the browser")
}

func TestLoginRedirectsOnlyWithinQuell(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for next, want := range map[string]string{
		"//evil.example/":           "/",
		"https://evil.example/":     "/",
		"/\\evil.example":           "/",
		"javascript:alert(1)":       "/",
		"/assets?q=fs01":            "/assets?q=fs01",
		"/incidents/INC-1#timeline": "/incidents/INC-1",
		"":                          "/",
		"/%2F%2Fevil.example":       "/%2F%2Fevil.example",
		"/\r\nSet-Cookie: x=1":      "/",
	} {
		b := e.anonymous()
		resp, _ := b.post("/login", url.Values{"username": {"admin"}, "password": {adminPassword}, "next": {next}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, next)
		require.Equal(t, want, resp.Header.Get("Location"), "next=%q", next)
	}
}

func TestSecureCookieUnderTLS(t *testing.T) {
	t.Parallel()
	secure := true
	e := newEnvWith(t, func(c *config.Config) { c.SecureCookies = &secure })
	b := e.anonymous()
	resp, _ := b.post("/login", url.Values{"username": {"admin"}, "password": {adminPassword}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	c := sessionCookie(t, resp, "__Host-"+auth.SessionCookie)
	require.True(t, c.Secure)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, c.SameSite)
	require.Equal(t, "/", c.Path)
	require.Empty(t, c.Domain)
}
