package httpsec

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHeadersOnEveryAnswer(t *testing.T) {
	t.Parallel()
	h := Headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		http.Error(w, "no", http.StatusTeapot)
	}))
	for _, path := range []string{"/", "/away"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		require.Equal(t, ContentSecurityPolicy, rec.Header().Get("Content-Security-Policy"), path)
		require.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"), path)
		require.Equal(t, "DENY", rec.Header().Get("X-Frame-Options"), path)
	}
	require.NotContains(t, ContentSecurityPolicy, "unsafe-inline")
	require.NotContains(t, ContentSecurityPolicy, "unsafe-eval")
}
