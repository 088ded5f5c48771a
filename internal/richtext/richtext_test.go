package richtext

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRenderKeepsMarkdown(t *testing.T) {
	t.Parallel()
	out := Render("# Scope\n\n- **web01** isolated\n- see [ticket](https://example.org/t/1)")
	require.Contains(t, out, "<h1")
	require.Contains(t, out, "<strong>web01</strong>")
	require.Contains(t, out, `href="https://example.org/t/1"`)
	require.Contains(t, out, `rel="nofollow noreferrer noopener"`)
}

func TestRenderStripsActiveContent(t *testing.T) {
	t.Parallel()
	payloads := []string{
		`<script>window.__xss=1</script>`,
		`[click](javascript:window.__xss=1)`,
		`<img src=x onerror="window.__xss=1">`,
		`<svg onload="window.__xss=1"><script>window.__xss=1</script></svg>`,
		`<a href="javascript:window.__xss=1">x</a>`,
		`<iframe src="javascript:window.__xss=1"></iframe>`,
		`[x](JaVaScRiPt:window.__xss=1)`,
		`<div style="background:url(javascript:window.__xss=1)">x</div>`,
	}
	for _, p := range payloads {
		out := strings.ToLower(Render(p))
		for _, bad := range []string{"<script", "javascript:", "onerror", "onload", "<iframe", "<svg", "style="} {
			require.NotContains(t, out, bad, "payload %q rendered as %q", p, out)
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add("**bold** <script>x</script>")
	f.Add("[a](javascript:alert(1))")
	f.Fuzz(func(t *testing.T, s string) {
		out := strings.ToLower(Render(s))
		if strings.Contains(out, "<script") || strings.Contains(out, `="javascript:`) || strings.Contains(out, " onerror=") {
			t.Fatalf("active content survived: %q → %q", s, out)
		}
	})
}
