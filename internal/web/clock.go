package web

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Cookies of display preferences, set by the browser (static/app.js) or the theme form. They
// are not secret and carry no authority; the server only accepts the values it knows.
const (
	zoneCookie  = "quell_tz"
	themeCookie = "quell_theme"
)

// clock shows times in the person's time zone. Templates call its methods with a time.Time
// or a *time.Time (nil shows as a dash).
type clock struct {
	loc *time.Location
	now time.Time
}

var zones sync.Map // IANA name → *time.Location, loaded once each

// loadZone returns the location of an IANA zone name, or nil when it is not one.
func loadZone(name string) *time.Location {
	if name == "" || len(name) > 64 || strings.ContainsAny(name, " \\") || strings.Contains(name, "..") {
		return nil
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	zones.Store(name, loc)
	return loc
}

// clockFor returns the clock of a request: the zone its browser reported, else UTC.
func clockFor(r *http.Request) clock {
	c := clock{loc: time.UTC, now: time.Now()}
	if ck, err := r.Cookie(zoneCookie); err == nil {
		if loc := loadZone(ck.Value); loc != nil {
			c.loc = loc
		}
	}
	return c
}

func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t == nil {
			return time.Time{}, false
		}
		return *t, !t.IsZero()
	}
	return time.Time{}, false
}

// Zone is the name of the zone times are shown in.
func (c clock) Zone() string { return c.loc.String() }

// Local shows a time in the person's zone, briefly: "Today 08:15", "Yesterday 22:40",
// "Mon 2 Mar 08:15" this year, "2 Mar 2025 08:15" before. Full gives the whole of it.
func (c clock) Local(v any) string {
	t, ok := asTime(v)
	if !ok {
		return "—"
	}
	t, now := t.In(c.loc), c.now.In(c.loc)
	ty, tm, td := t.Date()
	ny, nm, nd := now.Date()
	switch {
	case ty == ny && tm == nm && td == nd:
		return "Today " + t.Format("15:04")
	case ty == ny && tm == nm && td == nd-1:
		return "Yesterday " + t.Format("15:04")
	case ty == ny:
		return t.Format("Mon 2 Jan 15:04")
	}
	return t.Format("2 Jan 2006 15:04")
}

// Full shows a time in the person's zone with the date, year and zone, such as
// "Mon 2 Mar 2026, 08:15 CET".
func (c clock) Full(v any) string {
	t, ok := asTime(v)
	if !ok {
		return "—"
	}
	return t.In(c.loc).Format("Mon 2 Jan 2006, 15:04 MST")
}

// Original shows a time in the zone it was reported in (an IANA name or an offset such as
// "+01:00"), when that differs from the person's own zone; "" otherwise.
func (c clock) Original(t time.Time, zone string) string {
	if zone == "" || zone == "Z" || zone == c.loc.String() {
		return ""
	}
	loc := loadZone(zone)
	if loc == nil {
		off, err := time.Parse("-07:00", zone)
		if err != nil {
			return ""
		}
		_, secs := off.Zone()
		loc = time.FixedZone(zone, secs)
	}
	local := t.In(loc)
	if local.Format("-07:00") == t.In(c.loc).Format("-07:00") {
		return ""
	}
	return local.Format("15:04") + " " + zone
}

// ISO is the time in RFC 3339, for the datetime attribute of <time>.
func (c clock) ISO(v any) string {
	t, ok := asTime(v)
	if !ok {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Input is the time as a datetime-local input shows it, in the person's zone.
func (c clock) Input(v any) string {
	t, ok := asTime(v)
	if !ok {
		return ""
	}
	return t.In(c.loc).Format("2006-01-02T15:04")
}

// Ago says how long ago a time was, such as "5 min ago" or "in 2 h" for a time to come.
func (c clock) Ago(v any) string {
	t, ok := asTime(v)
	if !ok {
		return "—"
	}
	d := c.now.Sub(t)
	if d < 0 {
		return "in " + span(-d)
	}
	if d < time.Minute {
		return "just now"
	}
	return span(d) + " ago"
}

// Age is how long something has been open, such as "3 d 4 h".
func (c clock) Age(v any) string {
	t, ok := asTime(v)
	if !ok {
		return "—"
	}
	return span(c.now.Sub(t))
}

// Due says when a task is due, relative to now: "due in 2 h" or "overdue 5 min".
func (c clock) Due(v any) string {
	t, ok := asTime(v)
	if !ok {
		return ""
	}
	if t.Before(c.now) {
		return "overdue " + span(c.now.Sub(t))
	}
	return "due in " + span(t.Sub(c.now))
}

// Past reports whether a time has passed.
func (c clock) Past(v any) bool {
	t, ok := asTime(v)
	return ok && t.Before(c.now)
}

func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m > 0 && h < 10 {
			return fmt.Sprintf("%d h %d min", h, m)
		}
		return fmt.Sprintf("%d h", h)
	}
	days := int(d.Hours()) / 24
	if h := int(d.Hours()) % 24; h > 0 && days < 10 {
		return fmt.Sprintf("%d d %d h", days, h)
	}
	return fmt.Sprintf("%d d", days)
}

// parseLocal reads a datetime-local value ("2006-01-02T15:04") in a zone. Empty is no time.
func parseLocal(value string, loc *time.Location) (*time.Time, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, value, loc); err == nil {
			return &t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, value); err == nil {
		return &t, nil
	}
	return nil, fmt.Errorf("is not a date and time such as 2026-03-02T08:15")
}

// themeOf returns the theme the person chose ("light" or "dark"), or "" to follow the system.
func themeOf(r *http.Request) string {
	if c, err := r.Cookie(themeCookie); err == nil && (c.Value == "light" || c.Value == "dark") {
		return c.Value
	}
	return ""
}

// setTheme stores the theme chosen with the theme button, for browsers without script (with
// script, static/app.js sets the cookie and the page does not reload).
func (srv *Server) setTheme(w http.ResponseWriter, r *http.Request, _ *request) error {
	theme := r.PostFormValue("theme")
	if theme != "light" && theme != "dark" {
		theme = ""
	}
	c := &http.Cookie{Name: themeCookie, Value: theme, Path: "/", MaxAge: 365 * 24 * 3600,
		SameSite: http.SameSiteLaxMode, Secure: srv.cfg.SecureCookies}
	if theme == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
	return seeOther(w, r, localPath(r.PostFormValue("back"), "/"))
}
