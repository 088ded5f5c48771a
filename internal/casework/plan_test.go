package casework_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/plan"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

func as(f *clockFixture, role access.Role, name string) access.Principal {
	return access.Principal{OrgID: f.admin.OrgID, Role: role, Username: name, UserID: name}
}

func draftPlan(title string) plan.Content {
	return plan.Content{Title: title, Scope: "All production systems", Objectives: "Limit harm",
		Roles:      []plan.Role{{Role: incident.RoleCommander, Responsibilities: "Runs the response", People: []string{"Ana Lead"}}},
		Severities: []plan.Severity{{Severity: incident.SeverityCritical, Criteria: "Business stopped"}},
		Escalation: "Commander calls the CISO within 30 minutes", Communication: "Only the communications lead speaks outside",
		Obligations: plan.Obligations{Text: "GDPR applies", Rules: []string{"gdpr-art33"}},
		Playbooks:   []string{"ransomware"}, ReviewMonths: 6}
}

func TestPlanApprovalFlow(t *testing.T) {
	t.Parallel()
	f := newClockFixture(t)
	ctx := t.Context()
	lead, responder, viewer := as(f, access.RoleLead, "lena"), as(f, access.RoleResponder, "rick"), as(f, access.RoleViewer, "vera")

	_, err := f.cases.Plan(ctx, viewer)
	require.ErrorIs(t, err, store.ErrNotFound, "no plan yet")
	_, err = f.cases.SavePlan(ctx, responder, casework.PlanRequest{Content: draftPlan("Plan")})
	require.ErrorIs(t, err, access.ErrForbidden, "a responder may not edit the plan")

	v1, err := f.cases.SavePlan(ctx, lead, casework.PlanRequest{Content: draftPlan("Plan v1")})
	require.NoError(t, err)
	require.Equal(t, 1, v1.Number)
	require.Equal(t, plan.StateDraft, v1.State)
	require.Zero(t, v1.InForce)

	_, err = f.cases.ApprovePlan(ctx, responder, casework.ApproveRequest{})
	require.ErrorIs(t, err, access.ErrForbidden, "a responder cannot approve")

	approvedAt := f.Now()
	ok, err := f.cases.ApprovePlan(ctx, lead, casework.ApproveRequest{Version: 1})
	require.NoError(t, err)
	require.Equal(t, plan.StateApproved, ok.State)
	require.Equal(t, "lena", ok.ApprovedBy)
	require.Equal(t, approvedAt, *ok.ApprovedAt)
	require.Equal(t, time.Date(2026, 9, 2, 9, 0, 0, 0, time.UTC), *ok.NextReview, "approval + 6 months")
	_, err = f.cases.ApprovePlan(ctx, lead, casework.ApproveRequest{})
	require.ErrorIs(t, err, store.ErrConflict, "already approved")

	// An edit after approval is a new draft; version 1 stays in force.
	f.set(approvedAt.Add(24 * time.Hour))
	v2, err := f.cases.SavePlan(ctx, f.admin, casework.PlanRequest{Content: draftPlan("Plan v2"), BaseVersion: 1})
	require.NoError(t, err)
	require.Equal(t, 2, v2.Number)
	require.Equal(t, plan.StateDraft, v2.State)
	require.Equal(t, 1, v2.InForce)
	cur, err := f.cases.Plan(ctx, viewer)
	require.NoError(t, err)
	require.Equal(t, 2, cur.Number, "GET the plan answers the newest version")
	review, err := f.cases.PlanReview(ctx, viewer)
	require.NoError(t, err)
	require.Equal(t, 1, review.Version, "the approved version stays in force")
	_, err = f.cases.SavePlan(ctx, lead, casework.PlanRequest{Content: draftPlan("stale"), BaseVersion: 1})
	require.ErrorIs(t, err, store.ErrConflict, "an edit from a stale version is refused")
	_, err = f.cases.ApprovePlan(ctx, lead, casework.ApproveRequest{Version: 1})
	require.ErrorIs(t, err, store.ErrConflict, "only the newest version may be approved")

	// Approving version 2 supersedes version 1; versions are all kept.
	_, err = f.cases.ApprovePlan(ctx, lead, casework.ApproveRequest{})
	require.NoError(t, err)
	versions, err := f.cases.PlanVersions(ctx, viewer)
	require.NoError(t, err)
	require.Len(t, versions, 2)
	require.Equal(t, []plan.State{plan.StateApproved, plan.StateSuperseded}, []plan.State{versions[0].State, versions[1].State})
	require.Equal(t, "Plan v1", versions[1].Content.Title)

	// Every change is audited.
	var actions []string
	require.NoError(t, f.st.Read(ctx, func(tx store.Tx) error {
		recs, err := tx.Audit().List(ctx, store.AuditFilter{OrgID: f.admin.OrgID, Limit: 100})
		for _, r := range recs {
			actions = append(actions, r.Action)
		}
		return err
	}))
	require.Equal(t, []string{"plan.edit", "plan.approve", "plan.edit", "plan.approve"}, actions)
}

func TestPlanReviewOverdue(t *testing.T) {
	t.Parallel()
	f := newClockFixture(t)
	ctx := t.Context()
	c := draftPlan("Plan")
	c.ReviewMonths = 12
	_, err := f.cases.SavePlan(ctx, f.admin, casework.PlanRequest{Content: c})
	require.NoError(t, err)
	r, err := f.cases.PlanReview(ctx, f.admin)
	require.NoError(t, err)
	require.Zero(t, r.Version, "a draft is not in force")
	require.False(t, r.Overdue)

	_, err = f.cases.ApprovePlan(ctx, f.admin, casework.ApproveRequest{})
	require.NoError(t, err)
	due := time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC)
	f.set(due)
	r, err = f.cases.PlanReview(ctx, f.admin)
	require.NoError(t, err)
	require.Equal(t, &due, r.NextReview)
	require.False(t, r.Overdue, "due is not yet overdue")
	f.set(due.Add(time.Minute))
	r, err = f.cases.PlanReview(ctx, f.admin)
	require.NoError(t, err)
	require.True(t, r.Overdue)
	cur, err := f.cases.Plan(ctx, f.admin)
	require.NoError(t, err)
	require.True(t, cur.ReviewOverdue)
}

func TestPlanValidation(t *testing.T) {
	t.Parallel()
	f := newClockFixture(t)
	ctx := t.Context()
	for name, tc := range map[string]struct {
		edit    func(c *plan.Content)
		pointer string
	}{
		"no title":        {func(c *plan.Content) { c.Title = " " }, "/content/title"},
		"unknown rule":    {func(c *plan.Content) { c.Obligations.Rules = []string{"made-up"} }, "/content/obligations/rules/0"},
		"bad role":        {func(c *plan.Content) { c.Roles[0].Role = "chef" }, "/content/roles/0/role"},
		"unknown contact": {func(c *plan.Content) { c.Roles[0].Contacts = []string{"nobody"} }, "/content/roles/0/contacts/0"},
		"cadence":         {func(c *plan.Content) { c.ReviewMonths = 99 }, "/content/review_months"},
		"bad playbook id": {func(c *plan.Content) { c.Playbooks = []string{"Ransom Ware!"} }, "/content/playbooks/0"},
	} {
		c := draftPlan("Plan")
		tc.edit(&c)
		_, err := f.cases.SavePlan(ctx, f.admin, casework.PlanRequest{Content: c})
		v, ok := validation.As(err)
		require.True(t, ok, "%s: %v", name, err)
		require.Equal(t, tc.pointer, v.Pointer, name)
	}
}

func TestPlanExport(t *testing.T) {
	t.Parallel()
	f := newClockFixture(t)
	ctx := t.Context()
	dpo, err := f.cases.CreateContact(ctx, f.admin, casework.ContactRequest{Name: "Dana <DPO>", Title: "Data protection officer", External: true})
	require.NoError(t, err)
	c := draftPlan(`Plan <script>alert(1)</script>`)
	c.Scope = `Scope <img src=x onerror=alert(1)> & more \\<b>x</b>`
	c.Roles[0].Contacts = []string{dpo.ID}
	c.Severities[0].Criteria = "Crit | pipe <b>bold</b>"
	_, err = f.cases.SavePlan(ctx, f.admin, casework.PlanRequest{Content: c})
	require.NoError(t, err)

	md, err := f.cases.ExportPlan(ctx, f.admin, "md", 0)
	require.NoError(t, err)
	require.Equal(t, "incident-response-plan-v1.md", md.Filename)
	for _, s := range plan.Sections {
		require.Contains(t, md.Body, "## "+s+"\n", "Markdown has section %s", s)
	}
	require.Contains(t, md.Body, `# Plan \<script\>alert(1)\</script\>`)
	require.NotRegexp(t, `(^|[^\\])<`, md.Body, "every < is escaped, so no raw HTML survives")
	require.Contains(t, md.Body, `Dana \<DPO\>, Data protection officer`)
	require.Contains(t, md.Body, "(gdpr-art33)")

	html, err := f.cases.ExportPlan(ctx, f.admin, "html", 0)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(html.ContentType, "text/html"))
	for _, s := range plan.Sections {
		require.Contains(t, html.Body, "<h2>"+s+"</h2>", "HTML has section %s", s)
	}
	require.NotContains(t, html.Body, "<script>")
	require.NotContains(t, html.Body, "onerror")
	require.Contains(t, html.Body, "Plan &lt;script&gt;alert(1)&lt;/script&gt;")
	require.Contains(t, html.Body, "Dana &lt;DPO&gt;")

	_, err = f.cases.ExportPlan(ctx, f.admin, "pdf", 0)
	_, ok := validation.As(err)
	require.True(t, ok)
}

func TestRosterSuggestions(t *testing.T) {
	t.Parallel()
	f := newClockFixture(t)
	ctx := t.Context()
	for _, name := range []string{"alice", "bob"} {
		u := access.User{ID: casework.NewID(), Username: name, PasswordHash: "x", CreatedAt: f.Now(), UpdatedAt: f.Now(), Version: 1}
		require.NoError(t, f.st.Write(ctx, func(tx store.Tx) error {
			if err := tx.Users().Create(ctx, u); err != nil {
				return err
			}
			return tx.Users().SetMembership(ctx, access.Membership{UserID: u.ID, OrgID: f.admin.OrgID, Role: access.RoleResponder})
		}))
	}
	responder, viewer := as(f, access.RoleResponder, "rick"), as(f, access.RoleViewer, "vera")
	counsel, err := f.cases.CreateContact(ctx, responder, casework.ContactRequest{Name: "Counsel", External: true,
		Channels: []store.Channel{{Kind: store.ChannelEmail, Value: "legal@example.org"}, {Kind: store.ChannelPhone, Value: "+49 30 555"}}})
	require.NoError(t, err)
	_, err = f.cases.CreateContact(ctx, viewer, casework.ContactRequest{Name: "Nope"})
	require.ErrorIs(t, err, access.ErrForbidden)

	// Week 10 of 2026 is 2 to 9 March; week 11 follows.
	_, err = f.cases.CreateRoster(ctx, responder, casework.RosterRequest{Role: incident.RoleCommander, Week: "2026-W10",
		Users: []string{"alice"}, Contacts: []string{counsel.ID}})
	require.NoError(t, err)
	_, err = f.cases.CreateRoster(ctx, responder, casework.RosterRequest{Role: incident.RoleCommander, Week: "2026-W11", Users: []string{"bob"}})
	require.NoError(t, err)
	_, err = f.cases.CreateRoster(ctx, responder, casework.RosterRequest{Role: incident.RoleScribe, Week: "2026-W10", Users: []string{"bob"}})
	require.NoError(t, err)

	s, err := f.cases.SuggestAssignees(ctx, viewer, incident.RoleCommander, time.Date(2026, 3, 8, 23, 59, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Equal(t, []string{"alice"}, s.Users)
	require.Len(t, s.Contacts, 1)
	require.Equal(t, "Counsel", s.Contacts[0].Name)
	s, err = f.cases.SuggestAssignees(ctx, viewer, incident.RoleCommander, time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Equal(t, []string{"bob"}, s.Users, "the next week's roster")
	require.Empty(t, s.Contacts)
	s, err = f.cases.SuggestAssignees(ctx, viewer, incident.RoleLegal, time.Time{})
	require.NoError(t, err)
	require.Empty(t, s.Users, "no one rostered")

	// An archived contact is no longer suggested.
	require.NoError(t, f.cases.ArchiveContact(ctx, responder, counsel.ID))
	require.NoError(t, f.cases.ArchiveContact(ctx, responder, counsel.ID), "archiving twice does nothing")
	s, err = f.cases.SuggestAssignees(ctx, viewer, incident.RoleCommander, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Empty(t, s.Contacts)

	// Bad input points at the field.
	for pointer, req := range map[string]casework.RosterRequest{
		"/users/0": {Role: incident.RoleCommander, Week: "2026-W12", Users: []string{"mallory"}},
		"/week":    {Role: incident.RoleCommander, Week: "2026-W54", Users: []string{"bob"}},
		"/role":    {Role: "boss", Week: "2026-W12", Users: []string{"bob"}},
		"/ends":    {Role: incident.RoleCommander, Starts: ptrTime(f.Now()), Ends: ptrTime(f.Now()), Users: []string{"bob"}},
	} {
		_, err := f.cases.CreateRoster(ctx, responder, req)
		v, ok := validation.As(err)
		require.True(t, ok, "%s: %v", pointer, err)
		require.Equal(t, pointer, v.Pointer)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func TestParseWeek(t *testing.T) {
	t.Parallel()
	start, end, err := casework.ParseWeek("2026-W01")
	require.NoError(t, err)
	require.Equal(t, time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC), start)
	require.Equal(t, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), end)
	start, _, err = casework.ParseWeek("2020-w53")
	require.NoError(t, err)
	require.Equal(t, time.Date(2020, 12, 28, 0, 0, 0, 0, time.UTC), start)
	require.Equal(t, "2020-W53", casework.Week(start))
	_, _, err = casework.ParseWeek("2021-W53")
	require.Error(t, err)
}
