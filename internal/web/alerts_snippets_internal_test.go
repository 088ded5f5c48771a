package web

import (
	"crypto/tls"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
)

// TestSetupSnippets checks the configuration of every format: it sends to the page's own
// address, and carries the token given, or the placeholder, and nothing else.
func TestSetupSnippets(t *testing.T) {
	t.Parallel()
	const base = "https://quell.example.org:8443"
	const token = "quelli_TESTTOKENTESTTOKENTESTTOKEN"
	for _, format := range append(append([]string{}, alert.Formats...), "syslog") {
		withToken := setupFor(format, base, token)
		placeholder := setupFor(format, base, tokenPlaceholder)
		require.NotEmpty(t, withToken.Text, format)
		require.NotEmpty(t, withToken.Where, format)
		require.NotContains(t, placeholder.Text, "quelli_", format)
		require.NotContains(t, placeholder.Note, "quelli_", format)
		if format == "syslog" {
			require.Contains(t, withToken.Text, `target="quell.example.org"`)
			require.NotContains(t, withToken.Text, token, "syslog takes no token")
			continue
		}
		require.Contains(t, withToken.Text, token, format)
		require.Contains(t, placeholder.Text, tokenPlaceholder, format)
		require.Equal(t, withToken.Text, strings.ReplaceAll(placeholder.Text, tokenPlaceholder, token), "%s: the token is all that differs", format)
		if format == "suricata" {
			require.Contains(t, withToken.Text, "Host           quell.example.org\n    Port           8443\n")
			require.Contains(t, withToken.Text, "tls            On")
			continue
		}
		if format == alert.FormatQuell {
			require.Contains(t, withToken.Text, base+"/api/v1/alerts ")
			continue
		}
		require.Contains(t, withToken.Text, base+"/api/v1/intake/"+format, format)
	}
	require.Contains(t, setupFor("splunk", base, token).Text, base+"/api/v1/intake/splunk?token="+token)
	require.Contains(t, setupFor("alertmanager", base, token).Text, "http_config:\n          authorization:\n            type: Bearer\n            credentials: "+token)
	require.Contains(t, setupFor("wazuh", base, token).Text, "<api_key>"+token+"</api_key>")
	require.Contains(t, setupFor("falco", base, token).Text, "Authorization: Bearer "+token)
	require.Empty(t, setupFor("nagios", base, token).Text)

	host, port, on := hostPort("http://[2001:db8::1]:8080")
	require.Equal(t, []string{"2001:db8::1", "8080", "Off"}, []string{host, port, on})
	host, port, on = hostPort("https://quell.example")
	require.Equal(t, []string{"quell.example", "443", "On"}, []string{host, port, on})
}

// TestBaseURL checks where the configuration snippets point: the request's own scheme and
// host, never a forwarding header, and a stand-in for a Host that is not a host name.
func TestBaseURL(t *testing.T) {
	t.Parallel()
	srv := &Server{}
	r := httptest.NewRequest("GET", "http://quell.example:8080/admin/intake", nil)
	r.Header.Set("X-Forwarded-Host", "evil.example")
	r.Header.Set("X-Forwarded-Proto", "https")
	require.Equal(t, "http://quell.example:8080", srv.baseURL(r))
	r.TLS = &tls.ConnectionState{}
	require.Equal(t, "https://quell.example:8080", srv.baseURL(r))
	r.TLS = nil
	srv.cfg.SecureCookies = true
	require.Equal(t, "https://quell.example:8080", srv.baseURL(r), "behind a TLS proxy, as the configuration says")
	for _, bad := range []string{`evil"><script>`, "a b", "", "quell.example/path", "x:y:z"} {
		r.Host = bad
		require.Equal(t, "https://quell.example", srv.baseURL(r), "%q", bad)
	}
	r.Host = "[2001:db8::1]:8443"
	require.Equal(t, "https://[2001:db8::1]:8443", srv.baseURL(r))
}
