package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/richtext"
)

//go:embed templates
var templateFiles embed.FS

// pages holds one compiled template set per page: the layout and the shared partials, with the
// page's own file on top.
type pages struct {
	byName map[string]*template.Template
}

// loadPages compiles every template. A template that does not parse, or that calls a partial
// that does not exist, fails here.
func loadPages(assets *staticFiles) (*pages, error) {
	funcs := templateFuncs(assets)
	base := template.New("layout").Funcs(funcs)
	shared, err := fs.Glob(templateFiles, "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	base, err = base.ParseFS(templateFiles, append([]string{"templates/layout.html"}, shared...)...)
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	files, err := fs.Glob(templateFiles, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	pg := &pages{byName: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(templateFiles, f); err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		pg.byName[name] = t
	}
	return pg, nil
}

// Names lists the pages, for tests.
func (pg *pages) names() []string {
	out := make([]string, 0, len(pg.byName))
	for n := range pg.byName {
		out = append(out, n)
	}
	return out
}

// view is what the layout shows around every page, with the page's own data in Data.
type view struct {
	Title string
	// Nav names the section of the navigation to mark as current.
	Nav   string
	User  access.Principal
	Theme string
	Clock clock
	// Search is the text in the header's search box.
	Search string
	// Live is the incident key whose changes refresh this page ("*" for any, "" for none).
	Live string
	// Path is the current path (without the query), for forms that come back here.
	Path string
	// Page names the page template, for tests and styles.
	Page    string
	Version string
	Data    any
}

// SignedIn reports whether someone is signed in.
func (v view) SignedIn() bool { return v.User.UserID != "" }

// CanWrite reports whether the person may change incidents.
func (v view) CanWrite() bool { return v.User.Can(access.RoleResponder) }

// IsAdmin reports whether the person is an admin.
func (v view) IsAdmin() bool { return v.User.Can(access.RoleAdmin) }

// Role is the role the person acts with.
func (v view) Role() access.Role { return v.User.Effective() }

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes a page. It renders into a buffer first, so a failing template becomes an error
// page rather than half a page.
func (srv *Server) render(w http.ResponseWriter, r *http.Request, rq *request, status int, name, title string, data any) {
	t, ok := srv.pages.byName[name]
	if !ok {
		srv.log.Error("no such page template", "page", name)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	v := view{Title: title, Nav: navOf(r.URL.Path), User: rq.p, Theme: rq.theme, Clock: rq.clock,
		Path: localPath(r.URL.EscapedPath(), "/"), Page: name, Version: srv.cfg.Version, Data: data}
	if name == "error" {
		// An error page repeats nothing of the request, not even its address.
		v.Path = "/"
	}
	if live, ok := data.(interface{ LiveKey() string }); ok && srv.cfg.Events != nil {
		v.Live = live.LiveKey()
	}
	if r.URL.Path == "/search" {
		v.Search = r.URL.Query().Get("q")
	}
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer buffers.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		srv.log.Error("render page", "page", name, "err", err)
		if name != "error" {
			srv.render(w, r, rq, http.StatusInternalServerError, "error", "Something went wrong", describe(err))
			return
		}
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Cookie, HX-Request")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// navOf names the navigation section a path belongs to.
func navOf(p string) string {
	for _, s := range []string{"incidents", "assets", "playbooks", "admin", "account", "search"} {
		if p == "/"+s || strings.HasPrefix(p, "/"+s+"/") {
			return s
		}
	}
	if strings.HasPrefix(p, "/tasks/") || strings.HasPrefix(p, "/notes/") {
		return "incidents"
	}
	if p == "/" {
		return "dashboard"
	}
	return ""
}

// markdown renders Markdown that people wrote to sanitised HTML. It is the one place where
// markup is handed to a template as trusted, and only richtext's sanitised output is.
func markdown(source string) template.HTML {
	return template.HTML(richtext.Render(source))
}

func templateFuncs(assets *staticFiles) template.FuncMap {
	return template.FuncMap{
		"static":      assets.url,
		"label":       label,
		"dict":        dict,
		"add":         func(a, b int) int { return a + b },
		"join":        strings.Join,
		"inc":         func(n int) int { return n + 1 },
		"short":       shorten,
		"criticality": criticalityLabel,
		"pretty":      prettyJSON,
		"upper":       func(v any) string { return strings.ToUpper(fmt.Sprint(v)) },
	}
}

// dict builds a map from key, value pairs, to pass several values to a partial.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// label turns an enumeration value such as "account_compromise" into "Account compromise".
func label(v any) string {
	s := strings.ReplaceAll(fmt.Sprint(v), "_", " ")
	if s == "" {
		return ""
	}
	if s == "amber+strict" {
		return "AMBER+STRICT"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// prettyJSON indents a JSON document for reading; anything else is shown as it is.
func prettyJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

// shorten cuts text to n runes on one line.
func shorten(n int, s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
