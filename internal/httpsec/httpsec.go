// Package httpsec holds the HTTP security settings every Quell transport shares: the
// Content-Security-Policy and the other headers that go on every response, whether it is a
// JSON document, a page, a static file, an error or a redirect.
package httpsec

import "net/http"

// ContentSecurityPolicy allows nothing to load or run but what Quell serves itself: no inline
// script, no inline style, no plugins, no framing, and forms only post back to Quell.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// SetHeaders sets the security headers every response carries.
func SetHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
}

// Headers wraps a handler so every response it writes carries the security headers.
func Headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetHeaders(w.Header())
		next.ServeHTTP(w, r)
	})
}
