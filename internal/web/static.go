package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"time"
)

// The static files are embedded in the binary: our stylesheet and script, and htmx (the npm
// package htmx.org, vendored as its one distributed file, with its licence beside it).
//
//go:embed static
var staticDir embed.FS

// staticFile is one embedded file with the hash that versions its URL.
type staticFile struct {
	body        []byte
	contentType string
	hash        string
}

type staticFiles struct {
	byName map[string]staticFile
}

var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".txt": "text/plain; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
	".ico": "image/x-icon",
}

func loadStatic() (*staticFiles, error) {
	sf := &staticFiles{byName: map[string]staticFile{}}
	err := fs.WalkDir(staticDir, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticDir.ReadFile(p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return fmt.Errorf("web: static file %s: no content type for its extension", p)
		}
		sum := sha256.Sum256(body)
		sf.byName[path.Base(p)] = staticFile{body: body, contentType: ct, hash: hex.EncodeToString(sum[:6])}
		return nil
	})
	return sf, err
}

// url is the versioned address of a static file, which browsers may cache for good: a new
// build with a changed file has a new address. A template naming a missing file fails.
func (sf *staticFiles) url(name string) (string, error) {
	f, ok := sf.byName[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + name + "?v=" + f.hash, nil
}

// static serves an embedded file. With the current version in the address it may be cached
// for a year; otherwise the browser revalidates it by its ETag.
func (srv *Server) static(w http.ResponseWriter, r *http.Request, _ *request) error {
	f, ok := srv.assets.byName[r.PathValue("file")]
	if !ok {
		return errNoPage
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", `"`+f.hash+`"`)
	if r.URL.Query().Get("v") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	return nil
}
