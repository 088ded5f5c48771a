// Package richtext renders the Markdown that responders write (notes, task descriptions) to
// HTML that is safe to put in a page: raw HTML in the source is dropped, and the output passes
// an allow-list sanitiser, so script, event handlers and javascript: links never survive.
package richtext

import (
	"bytes"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var (
	markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))
	policy   = newPolicy()
)

func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowURLSchemes("http", "https", "mailto")
	return p
}

// Render converts Markdown to sanitised HTML. It never fails: text that cannot be parsed as
// Markdown is still escaped.
func Render(source string) string {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(source), &buf); err != nil {
		return policy.Sanitize("<pre>" + bluemonday.StrictPolicy().Sanitize(source) + "</pre>")
	}
	return policy.Sanitize(buf.String())
}
