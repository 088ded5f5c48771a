package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/auth"
)

// public marks a route anyone may use, signed in or not.
const public access.Role = ""

// staticPattern is the route of the embedded static files.
const staticPattern = "/static/{file}"

// route is one page or action: method, pattern (net/http ServeMux syntax), the least role it
// needs, and its handler.
type route struct {
	method, pattern string
	min             access.Role
	handle          handlerFunc
}

// handlerFunc serves one route. It returns an error rather than writing one, and one function
// (fail) turns errors into pages.
type handlerFunc func(w http.ResponseWriter, r *http.Request, rq *request) error

// request is what a handler knows about the person asking, besides the http.Request.
type request struct {
	p access.Principal
	// secret is the session cookie's value.
	secret string
	clock  clock
	theme  string
}

// canWrite reports whether the person may change incidents (responder and up).
func (rq *request) canWrite() bool { return rq.p.Can(access.RoleResponder) }

func (srv *Server) table() []route {
	const (
		viewer    = access.RoleViewer
		responder = access.RoleResponder
		lead      = access.RoleLead
		admin     = access.RoleAdmin
	)
	return []route{
		{"GET", staticPattern, public, srv.static},
		{"GET", "/login", public, srv.loginPage},
		{"POST", "/login", public, srv.login},
		{"POST", "/theme", public, srv.setTheme},
		{"POST", "/logout", viewer, srv.logout},

		{"GET", "/{$}", viewer, srv.dashboard},
		{"GET", "/search", viewer, srv.search},
		{"GET", "/live", viewer, srv.live},

		{"GET", "/incidents", viewer, srv.incidentList},
		{"GET", "/incidents/new", responder, srv.newIncidentPage},
		{"POST", "/incidents", responder, srv.createIncident},
		{"GET", "/incidents/{key}", viewer, srv.incidentPage},
		{"GET", "/incidents/{key}/edit", responder, srv.editIncidentPage},
		{"POST", "/incidents/{key}/edit", responder, srv.updateIncident},
		{"POST", "/incidents/{key}/phase", responder, srv.changePhase},
		{"POST", "/incidents/{key}/roles", responder, srv.assignRole},
		{"POST", "/incidents/{key}/members", responder, srv.setMember},
		{"POST", "/incidents/{key}/milestones", responder, srv.correctMilestone},
		{"POST", "/incidents/{key}/tasks", responder, srv.addTask},
		{"POST", "/incidents/{key}/triggers", responder, srv.recordTrigger},
		{"POST", "/incidents/{key}/submissions", responder, srv.logSubmission},
		{"POST", "/incidents/{key}/playbooks", responder, srv.applyPlaybook},
		{"POST", "/incidents/{key}/notes", responder, srv.addNote},
		{"POST", "/incidents/{key}/timeline", responder, srv.addEntry},
		{"POST", "/incidents/{key}/assets", responder, srv.linkAsset},
		{"POST", "/incidents/{key}/assets/{id}", responder, srv.changeLink},
		{"POST", "/incidents/{key}/assets/{id}/unlink", responder, srv.unlinkAsset},

		{"GET", "/tasks/{id}", viewer, srv.taskPage},
		{"POST", "/tasks/{id}", responder, srv.updateTask},
		{"GET", "/notes/{id}", viewer, srv.notePage},
		{"POST", "/notes/{id}", responder, srv.updateNote},
		{"POST", "/timeline/{id}/flag", responder, srv.flagEntry},

		{"GET", "/alerts", viewer, srv.alertList},
		{"POST", "/alerts", responder, srv.triageAlerts},
		{"GET", "/alerts/{id}", viewer, srv.alertPage},
		{"POST", "/alerts/{id}", responder, srv.triageAlert},
		{"GET", "/silences", viewer, srv.silenceList},
		{"POST", "/silences", responder, srv.createSilence},
		{"POST", "/silences/{id}/expire", responder, srv.expireSilence},

		{"GET", "/assets", viewer, srv.assetList},
		{"GET", "/assets/new", responder, srv.newAssetPage},
		{"POST", "/assets", responder, srv.createAsset},
		{"GET", "/assets/{id}", viewer, srv.assetPage},
		{"GET", "/assets/{id}/edit", responder, srv.editAssetPage},
		{"POST", "/assets/{id}", responder, srv.updateAsset},

		{"GET", "/playbooks", viewer, srv.playbookList},
		{"GET", "/playbooks/new", lead, srv.newPlaybookPage},
		{"POST", "/playbooks", lead, srv.savePlaybook},
		{"GET", "/playbooks/{id}", viewer, srv.playbookPage},
		{"GET", "/playbooks/{id}/edit", lead, srv.editPlaybookPage},
		{"POST", "/playbooks/{id}", lead, srv.savePlaybook},

		{"GET", "/plan", viewer, srv.planPage},
		{"GET", "/plan/edit", access.RoleLead, srv.editPlanPage},
		{"POST", "/plan", access.RoleLead, srv.savePlan},
		{"POST", "/plan/approve", access.RoleLead, srv.approvePlan},
		{"GET", "/plan/export", viewer, srv.exportPlan},
		{"GET", "/contacts", viewer, srv.contactList},
		{"POST", "/contacts", responder, srv.saveContact},
		{"POST", "/contacts/{id}", responder, srv.saveContact},
		{"POST", "/contacts/{id}/archive", responder, srv.archiveContact},
		{"GET", "/teams", viewer, srv.teamList},
		{"POST", "/teams", responder, srv.saveTeam},
		{"POST", "/teams/{id}", responder, srv.saveTeam},
		{"POST", "/teams/{id}/archive", responder, srv.archiveTeam},
		{"GET", "/rosters", viewer, srv.rosterList},
		{"POST", "/rosters", responder, srv.saveRoster},
		{"POST", "/rosters/{id}", responder, srv.saveRoster},
		{"POST", "/rosters/{id}/archive", responder, srv.archiveRoster},

		{"GET", "/account", viewer, srv.accountPage},
		{"POST", "/account/password", viewer, srv.changePassword},
		{"POST", "/account/tokens", viewer, srv.createToken},
		{"POST", "/account/tokens/{id}/revoke", viewer, srv.revokeToken},
		{"POST", "/account/org", viewer, srv.switchOrg},

		{"GET", "/admin/users", admin, srv.userList},
		{"POST", "/admin/users", admin, srv.createUser},
		{"GET", "/admin/users/{user}", admin, srv.userPage},
		{"POST", "/admin/users/{user}", admin, srv.updateUser},
		{"GET", "/admin/orgs", admin, srv.orgList},
		{"POST", "/admin/orgs", admin, srv.createOrg},
		{"GET", "/admin/audit", admin, srv.auditPage},
		{"GET", "/admin/settings", admin, srv.settingsPage},
		{"GET", "/admin/intake", admin, srv.intakeList},
		{"POST", "/admin/intake", admin, srv.createIntakeSource},
		{"POST", "/admin/intake/{id}/revoke", admin, srv.revokeIntakeSource},
	}
}

// Routes lists the UI's routes as "METHOD /pattern", so a test can check that every capability
// of the API has a screen.
func Routes() []string {
	var out []string
	for _, rt := range (*Server)(nil).table() {
		out = append(out, rt.method+" "+rt.pattern)
	}
	return out
}

// routes builds the router: every route behind authentication and its role check, all of it
// behind cross-origin protection for state changes, and a friendly page for anything unknown.
func (srv *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range srv.table() {
		mux.Handle(rt.method+" "+rt.pattern, srv.wrap(rt))
	}
	mux.Handle("/", srv.wrap(route{min: public, handle: func(http.ResponseWriter, *http.Request, *request) error {
		return errNoPage
	}}))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.fail(w, r, srv.anonymous(r), errCrossOrigin)
	}))
	protected := cop.Handler(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				srv.log.Error("panic serving page", "method", r.Method, "path", r.URL.Path, "panic", v)
				srv.fail(w, r, srv.anonymous(r), errors.New("panic"))
			}
		}()
		protected.ServeHTTP(w, r)
	})
}

// anonymous is the request of someone not (yet) known: no principal, the display preferences
// from the cookies.
func (srv *Server) anonymous(r *http.Request) *request {
	return &request{clock: clockFor(r), theme: themeOf(r)}
}

// wrap authenticates a route's request, checks the role and turns the handler's error into a
// page.
func (srv *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := srv.anonymous(r)
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, srv.cfg.MaxFormBytes)
		}
		// Static files are the same for everyone: no session lookup for them.
		if c, err := r.Cookie(srv.cookieName()); err == nil && c.Value != "" && rt.pattern != staticPattern {
			p, err := srv.auth.AuthenticateSession(r.Context(), c.Value)
			switch {
			case err == nil:
				rq.p, rq.secret = p, c.Value
			case !errors.Is(err, auth.ErrUnauthenticated):
				srv.fail(w, r, rq, err)
				return
			}
		}
		var err error
		switch {
		case rt.min != public && rq.p.UserID == "":
			err = auth.ErrUnauthenticated
		case rt.min != public && !rq.p.Can(rt.min):
			err = forbidden("Your role (%s) cannot do this; it needs %s.", rq.p.Effective(), rt.min)
		default:
			err = rt.handle(w, r, rq)
		}
		if err != nil {
			srv.fail(w, r, rq, err)
		}
	})
}

// isHTMX reports whether htmx sent the request (to swap a part of the page).
func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// seeOther redirects after a successful POST, so a reload does not post again.
func seeOther(w http.ResponseWriter, r *http.Request, target string) error {
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// localPath returns target if it is a path on this site that is safe to redirect to, else
// fallback. It refuses other hosts, scheme-relative and backslash tricks.
func localPath(target, fallback string) string {
	if target == "" || len(target) > 2000 || !strings.HasPrefix(target, "/") ||
		strings.HasPrefix(target, "//") || strings.ContainsAny(target, "\\\r\n\t") {
		return fallback
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return fallback
	}
	return u.RequestURI()
}
