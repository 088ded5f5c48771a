package plan

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/richtext"
)

// Export is what an export of one version of the plan shows.
type Export struct {
	Org         string
	Version     int
	State       State
	ApprovedBy  string
	ApprovedAt  *time.Time
	NextReview  *time.Time
	GeneratedAt time.Time
	Content     Content
	// Contacts and Rules name contacts and regulatory rules by id; an id without a name is
	// shown as it is.
	Contacts map[string]string
	Rules    map[string]string
}

// Section titles, in the order every export shows them.
const (
	SectionScope         = "Scope"
	SectionObjectives    = "Objectives"
	SectionRoles         = "Roles and responsibilities"
	SectionSeverities    = "Severity matrix"
	SectionEscalation    = "Escalation paths"
	SectionCommunication = "Communication policy"
	SectionObligations   = "Obligations"
	SectionPlaybooks     = "Playbooks in force"
	SectionReview        = "Review"
)

// Sections lists the section titles in order.
var Sections = []string{SectionScope, SectionObjectives, SectionRoles, SectionSeverities, SectionEscalation,
	SectionCommunication, SectionObligations, SectionPlaybooks, SectionReview}

func (e Export) contact(id string) string {
	if n := e.Contacts[id]; n != "" {
		return n
	}
	return id
}

func (e Export) rule(id string) string {
	if n := e.Rules[id]; n != "" {
		return n + " (" + id + ")"
	}
	return id
}

func dateOf(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.UTC().Format("2006-01-02")
}

// mdInline escapes text put on one line of Markdown (a heading, a list item, a table cell):
// every character Markdown or HTML gives a meaning is backslash-escaped and line breaks
// become spaces.
func mdInline(s string) string {
	var b strings.Builder
	for _, r := range strings.Join(strings.Fields(s), " ") {
		if strings.ContainsRune("\\`*_[]<>#|~&", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdBlock keeps a Markdown section as written but disables raw HTML in it.
func mdBlock(s string) string {
	if strings.TrimSpace(s) == "" {
		return "_Not written yet._"
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	// A < after an even number of backslashes (none included) would start HTML: one more
	// backslash escapes it.
	var b strings.Builder
	slashes := 0
	for _, r := range s {
		if r == '<' && slashes%2 == 0 {
			b.WriteByte('\\')
		}
		if r == '\\' {
			slashes++
		} else {
			slashes = 0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Markdown writes a version of the plan as a Markdown document.
func Markdown(e Export) string {
	var b strings.Builder
	c := e.Content
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# %s\n\n", mdInline(c.Title))
	if e.Org != "" {
		w("Organisation: %s  \n", mdInline(e.Org))
	}
	w("Version %d, %s", e.Version, e.State)
	if e.ApprovedBy != "" {
		w(", approved by %s on %s", mdInline(e.ApprovedBy), dateOf(e.ApprovedAt))
	}
	w("  \nNext review: %s  \nExported: %s\n\n", dateOf(e.NextReview), e.GeneratedAt.UTC().Format(time.RFC3339))

	w("## %s\n\n%s\n\n", SectionScope, mdBlock(c.Scope))
	w("## %s\n\n%s\n\n", SectionObjectives, mdBlock(c.Objectives))

	w("## %s\n\n", SectionRoles)
	if len(c.Roles) == 0 {
		w("_No roles assigned yet._\n\n")
	}
	for _, r := range c.Roles {
		w("### %s\n\n", mdInline(roleLabel(string(r.Role))))
		names := append([]string(nil), r.People...)
		for _, id := range r.Contacts {
			names = append(names, e.contact(id))
		}
		if len(names) > 0 {
			for _, n := range names {
				w("- %s\n", mdInline(n))
			}
			w("\n")
		}
		if r.Responsibilities != "" {
			w("%s\n\n", mdBlock(r.Responsibilities))
		}
	}

	w("## %s\n\n", SectionSeverities)
	if len(c.Severities) == 0 {
		w("_No criteria written yet._\n\n")
	} else {
		w("| Severity | Criteria |\n|---|---|\n")
		for _, s := range c.Severities {
			w("| %s | %s |\n", mdInline(string(s.Severity)), mdInline(s.Criteria))
		}
		w("\n")
	}
	w("## %s\n\n%s\n\n", SectionEscalation, mdBlock(c.Escalation))
	w("## %s\n\n%s\n\n", SectionCommunication, mdBlock(c.Communication))

	w("## %s\n\n%s\n\n", SectionObligations, mdBlock(c.Obligations.Text))
	if len(c.Obligations.Rules) > 0 {
		w("Regulatory rules in force:\n\n")
		for _, id := range c.Obligations.Rules {
			w("- %s\n", mdInline(e.rule(id)))
		}
		w("\n")
	}
	w("## %s\n\n", SectionPlaybooks)
	if len(c.Playbooks) == 0 {
		w("_None named._\n\n")
	}
	for _, id := range c.Playbooks {
		w("- %s\n", mdInline(id))
	}
	if len(c.Playbooks) > 0 {
		w("\n")
	}
	w("## %s\n\nThe plan is reviewed every %d months after its approval. Next review: %s.\n", SectionReview,
		c.ReviewMonths, dateOf(e.NextReview))
	return b.String()
}

func roleLabel(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var htmlTemplate = template.Must(template.New("plan").Funcs(template.FuncMap{
	"md":      func(s string) template.HTML { return template.HTML(richtext.Render(s)) }, // richtext sanitises
	"date":    dateOf,
	"role":    roleLabel,
	"stamp":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"contact": func(e Export, id string) string { return e.contact(id) },
	"rule":    func(e Export, id string) string { return e.rule(id) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Content.Title}}</title>
</head>
<body>
<h1>{{.Content.Title}}</h1>
<p>{{if .Org}}Organisation: {{.Org}}<br>{{end}}Version {{.Version}}, {{.State}}{{if .ApprovedBy}}, approved by {{.ApprovedBy}} on {{date .ApprovedAt}}{{end}}<br>
Next review: {{date .NextReview}}<br>Exported: {{stamp .GeneratedAt}}</p>
{{$e := .}}{{with .Content}}
<h2>Scope</h2>
{{if .Scope}}{{md .Scope}}{{else}}<p><em>Not written yet.</em></p>{{end}}
<h2>Objectives</h2>
{{if .Objectives}}{{md .Objectives}}{{else}}<p><em>Not written yet.</em></p>{{end}}
<h2>Roles and responsibilities</h2>
{{range .Roles}}<h3>{{role (print .Role)}}</h3>
{{if or .People .Contacts}}<ul>{{range .People}}<li>{{.}}</li>{{end}}{{range .Contacts}}<li>{{contact $e .}}</li>{{end}}</ul>{{end}}
{{if .Responsibilities}}{{md .Responsibilities}}{{end}}
{{else}}<p><em>No roles assigned yet.</em></p>
{{end}}<h2>Severity matrix</h2>
{{if .Severities}}<table>
<thead><tr><th scope="col">Severity</th><th scope="col">Criteria</th></tr></thead>
<tbody>{{range .Severities}}<tr><td>{{.Severity}}</td><td>{{md .Criteria}}</td></tr>{{end}}</tbody>
</table>{{else}}<p><em>No criteria written yet.</em></p>{{end}}
<h2>Escalation paths</h2>
{{if .Escalation}}{{md .Escalation}}{{else}}<p><em>Not written yet.</em></p>{{end}}
<h2>Communication policy</h2>
{{if .Communication}}{{md .Communication}}{{else}}<p><em>Not written yet.</em></p>{{end}}
<h2>Obligations</h2>
{{if .Obligations.Text}}{{md .Obligations.Text}}{{else}}<p><em>Not written yet.</em></p>{{end}}
{{if .Obligations.Rules}}<p>Regulatory rules in force:</p>
<ul>{{range .Obligations.Rules}}<li>{{rule $e .}}</li>{{end}}</ul>{{end}}
<h2>Playbooks in force</h2>
{{if .Playbooks}}<ul>{{range .Playbooks}}<li>{{.}}</li>{{end}}</ul>{{else}}<p><em>None named.</em></p>{{end}}
<h2>Review</h2>
<p>The plan is reviewed every {{.ReviewMonths}} months after its approval. Next review: {{date $e.NextReview}}.</p>
{{end}}</body>
</html>
`))

// HTML writes a version of the plan as a standalone HTML document: every value is escaped and
// the Markdown sections pass the sanitiser of internal/richtext.
func HTML(e Export) (string, error) {
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, e); err != nil {
		return "", fmt.Errorf("plan: render HTML: %w", err)
	}
	return b.String(), nil
}
