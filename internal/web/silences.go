package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

// Silences: the list of silences in force and ended, the form that mutes the alerts matching
// some matchers for a while (pre-filled from an alert of the queue), and the button that ends
// a silence early.

// Matcher rows of the silence form: at least minMatcherRows, one empty row after what is
// filled in, never more than a silence may have.
const minMatcherRows = 3

// matcherNames are suggestions for a matcher's name: the alert fields and the labels the
// formats Quell reads commonly carry.
var matcherNames = []string{"source", "severity", "title", "fingerprint", "observable", "host", "hostname",
	"alertname", "instance", "agent.name", "rule.id"}

var matchOps = []alert.MatchOp{alert.OpEqual, alert.OpNotEqual, alert.OpRegex, alert.OpNotRegex}

// matcherRow is one row of the silence form, with the message for the field that is wrong.
type matcherRow struct {
	Index              int
	Name, Op, Value    string
	ErrField, ErrValue string
}

// silenceRow is a silence with where it stands.
type silenceRow struct {
	alert.Silence
	// State is "active", "pending" (starts later), "expired" (ended early) or "ended".
	State string
}

type silencesPage struct {
	Current []silenceRow
	Ended   []silenceRow
	Form    *form
	Rows    []matcherRow
	Ops     []alert.MatchOp
	Names   []string
	// From describes the alert the form was filled in from, or "".
	From   string
	Notice string
}

func silenceState(s alert.Silence, now time.Time) string {
	switch {
	case s.ExpiredAt != nil && !now.Before(*s.ExpiredAt):
		return "expired"
	case !now.Before(s.EndsAt):
		return "ended"
	case now.Before(s.StartsAt):
		return "pending"
	}
	return "active"
}

// padRows adds empty rows up to the form's minimum and one spare.
func padRows(rows []matcherRow) []matcherRow {
	for len(rows) < alert.MaxSilenceMatchers && (len(rows) < minMatcherRows || rows[len(rows)-1].Name != "") {
		rows = append(rows, matcherRow{Op: string(alert.OpEqual)})
	}
	for i := range rows {
		rows[i].Index = i
	}
	return rows
}

func (srv *Server) silenceList(w http.ResponseWriter, r *http.Request, rq *request) error {
	sp := &silencesPage{Form: newForm(nil)}
	sp.Form.set("ends_at", rq.clock.Input(srv.now().Add(2*time.Hour).Truncate(time.Minute)))
	var rows []matcherRow
	if id := r.URL.Query().Get("alert"); id != "" && rq.canWrite() {
		a, err := srv.cases.GetAlert(r.Context(), rq.p, id)
		switch {
		case err == nil:
			byHost := r.URL.Query().Get("by") == "host"
			for _, m := range silenceMatchers(a, byHost) {
				rows = append(rows, matcherRow{Name: m.Name, Op: string(m.Op), Value: m.Value})
			}
			sp.From = a.Title
		case errors.Is(err, store.ErrNotFound):
			sp.Notice = "The alert named in the address was not found; the form starts empty."
		default:
			return err
		}
	}
	sp.Rows = padRows(rows)
	return srv.showSilences(w, r, rq, http.StatusOK, sp)
}

func (srv *Server) showSilences(w http.ResponseWriter, r *http.Request, rq *request, status int, sp *silencesPage) error {
	all, err := srv.cases.ListSilences(r.Context(), rq.p, false)
	if err != nil {
		return err
	}
	now := srv.now()
	for _, s := range all {
		row := silenceRow{Silence: s, State: silenceState(s, now)}
		if row.State == "active" || row.State == "pending" {
			sp.Current = append(sp.Current, row)
		} else {
			sp.Ended = append(sp.Ended, row)
		}
	}
	sp.Ops, sp.Names = matchOps, matcherNames
	srv.render(w, r, rq, status, "silences", "Silences", sp)
	return nil
}

// readMatchers reads the matcher rows of the silence form. Rows left empty are skipped; the
// returned positions map each matcher back to its row, to put a message next to it.
func readMatchers(pf url.Values) ([]matcherRow, []alert.Matcher, []int) {
	names, ops, values := pf["matcher_name"], pf["matcher_op"], pf["matcher_value"]
	n := min(max(len(names), len(ops), len(values)), alert.MaxSilenceMatchers+4)
	at := func(vs []string, i int) string {
		if i < len(vs) {
			return vs[i]
		}
		return ""
	}
	var rows []matcherRow
	var ms []alert.Matcher
	var pos []int
	for i := range n {
		row := matcherRow{Name: strings.TrimSpace(at(names, i)), Op: at(ops, i), Value: at(values, i)}
		rows = append(rows, row)
		if row.Name == "" && strings.TrimSpace(row.Value) == "" {
			continue
		}
		ms = append(ms, alert.Matcher{Name: row.Name, Op: alert.MatchOp(row.Op), Value: row.Value})
		pos = append(pos, len(rows)-1)
	}
	return rows, ms, pos
}

func (srv *Server) createSilence(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	pf := r.PostForm
	f := newForm(pf)
	rows, ms, pos := readMatchers(pf)
	req := casework.NewSilence{Matchers: ms, Reason: pf.Get("reason")}
	ends, err := parseLocal(pf.Get("ends_at"), rq.clock.loc)
	switch {
	case err != nil:
		f.fieldError("ends_at", capitalise(err.Error())+".")
	case ends == nil:
		f.fieldError("ends_at", "Say when the silence ends.")
	case !ends.After(srv.now()):
		f.fieldError("ends_at", "Must be in the future.")
	default:
		req.EndsAt = *ends
	}
	if !f.Failed() {
		s, err := srv.cases.CreateSilence(r.Context(), rq.p, req)
		if err == nil {
			return seeOther(w, r, "/silences#sil-"+s.ID)
		}
		if !rejectSilence(f, err, rows, pos) {
			return err
		}
	}
	return srv.showSilences(w, r, rq, http.StatusUnprocessableEntity, &silencesPage{Form: f, Rows: padRows(rows)})
}

// rejectSilence puts a use case's validation error next to its field: a matcher's message
// goes to the row it came from.
func rejectSilence(f *form, err error, rows []matcherRow, pos []int) bool {
	v, ok := validation.As(err)
	if !ok {
		return false
	}
	parts := strings.Split(strings.TrimPrefix(v.Pointer, "/"), "/")
	if parts[0] == "matchers" && len(parts) == 3 {
		if i, err := strconv.Atoi(parts[1]); err == nil && i < len(pos) {
			row := &rows[pos[i]]
			row.ErrField, row.ErrValue = parts[2], capitalise(v.Detail)+"."
			f.problem = "A matcher needs a change; see its row."
			return true
		}
	}
	return f.reject(err, fieldsOf("matchers", "ends_at", "reason"))
}

func (srv *Server) expireSilence(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	if _, err := srv.cases.GetSilence(r.Context(), rq.p, id); err != nil {
		return err
	}
	if err := srv.cases.ExpireSilence(r.Context(), rq.p, id); err != nil {
		return err
	}
	return seeOther(w, r, "/silences#sil-"+id)
}
