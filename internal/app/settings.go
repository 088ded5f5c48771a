package app

import (
	"fmt"
	"strconv"

	"github.com/quell-ir/quell/internal/config"
	"github.com/quell-ir/quell/internal/web"
)

// settingsOf lists the server's settings for the web UI's read-only settings page. Secrets
// (the admin password) are left out.
func settingsOf(cfg config.Config) []web.Setting {
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	tls := "off"
	if cfg.TLSEnabled() {
		tls = "on (" + cfg.TLS.Cert + ")"
	}
	return []web.Setting{
		{Name: "data", Value: cfg.Data, Help: "The data directory; the database is " + DatabaseFile + " inside it."},
		{Name: "listen", Value: cfg.Listen, Help: "The address the server listens on."},
		{Name: "tls", Value: tls, Help: "Whether Quell serves TLS itself."},
		{Name: "secure_cookies", Value: onOff(cfg.Secure()), Help: "Session cookies are Secure with the __Host- prefix."},
		{Name: "session_ttl", Value: cfg.SessionTTL.String(), Help: "How long an idle browser session lives."},
		{Name: "max_body_bytes", Value: strconv.FormatInt(cfg.MaxBodyBytes, 10), Help: "The largest request body accepted."},
		{Name: "shutdown_timeout", Value: cfg.ShutdownTimeout.String(), Help: "How long requests and jobs get to finish on stop."},
		{Name: "log", Value: fmt.Sprintf("%s, %s", cfg.Log.Level, cfg.Log.Format), Help: "Log level and format."},
		{Name: "admin.user", Value: cfg.Admin.User, Help: "The first admin, created on the first start only."},
		{Name: "allow_unsafe_sync", Value: onOff(cfg.AllowUnsafeSync), Help: "When on, the last writes before a power failure may be lost."},
	}
}
