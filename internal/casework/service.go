// Package casework carries out what responders do to incidents: open and update them, move them
// through the phases, assign roles, work tasks, write notes and timeline entries, and link
// assets. Every use case checks that the caller may see and change the incident, applies the
// domain rules, and writes the change together with its timeline entry and its audit record in
// one storage transaction, so that either all of it is recorded or none of it is.
package casework

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/obligation"
	"github.com/quell-ir/quell/internal/store"
)

// ExitBlockedError is returned when required tasks stop an incident from leaving a phase.
type ExitBlockedError struct {
	Phases []incident.Phase
	Unmet  []incident.Task
}

func (e *ExitBlockedError) Error() string {
	titles := make([]string, len(e.Unmet))
	for i, t := range e.Unmet {
		titles[i] = fmt.Sprintf("%q", t.Title)
	}
	return fmt.Sprintf("%d required task(s) still open: %s", len(e.Unmet), strings.Join(titles, ", "))
}

// Service runs the casework use cases on a store.
type Service struct {
	store  store.Store
	now    func() time.Time
	log    *slog.Logger
	events Publisher
	rules  *alert.Rules
	// checkSource validates an intake source's format and mapping.
	checkSource func(format, mapping string) error
	clocks      *clocks
	// playbooks caches parsed playbook versions (playbooks.go).
	playbooks playbookCache
	// opened counts the incidents correlation opened, for the rules' open limit.
	opened openLog
}

// Publisher is told which incidents a use case changed, once the change has committed, so
// that live views can refresh. It must not block; it does no I/O on behalf of the use case.
type Publisher interface {
	// Publish says that an incident of an organisation changed (incidentID is empty for a
	// change outside any incident); kind is the audit action, such as "task.update".
	Publish(orgID, incidentID, kind string)
}

// Options tune a Service; zero values pick the defaults.
type Options struct {
	// Now is the clock; time.Now by default.
	Now    func() time.Time
	Logger *slog.Logger
	// Events, when set, hears of every committed change.
	Events Publisher
	// Rules are the correlation rules; alert.DefaultRules by default.
	Rules *alert.Rules
	// CheckSource validates the format and mapping of a new intake source; by default any
	// format in alert.Formats without a mapping is accepted.
	CheckSource func(format, mapping string) error
	// Obligations and SLA are the regulatory rules and the SLA policy of the clocks; the shipped
	// defaults (obligation.DefaultRules, obligation.DefaultPolicy) when nil.
	Obligations *obligation.RuleSet
	SLA         *obligation.Policy
}

// New returns a Service on st.
func New(st store.Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Rules == nil {
		opts.Rules = alert.DefaultRules()
	}
	if opts.CheckSource == nil {
		opts.CheckSource = func(format, mapping string) error {
			if !slices.Contains(alert.Formats, format) {
				return invalid("/format", "must be one of %s", strings.Join(alert.Formats, ", "))
			}
			if mapping != "" {
				return invalid("/mapping", "only a source of format generic takes a mapping")
			}
			return nil
		}
	}
	return &Service{store: st, now: opts.Now, log: opts.Logger, events: opts.Events, rules: opts.Rules,
		checkSource: opts.CheckSource, clocks: newClocks(opts.Obligations, opts.SLA)}
}

// NewID returns a new sortable unique id.
func NewID() string { return ulid.Make().String() }

// work is one write transaction of a use case with the helpers every use case needs.
type work struct {
	ctx context.Context
	tx  store.Tx
	p   access.Principal
	now time.Time
	// changes lists what the transaction changed, as its audit records name it, to be
	// published once it commits.
	changes []change
}

// change is one audited change: the incident it belongs to ("" for none) and its action.
type change struct{ incidentID, action string }

func (s *Service) write(ctx context.Context, p access.Principal, fn func(w *work) error) error {
	var last *work
	err := s.store.Write(ctx, func(tx store.Tx) error {
		last = &work{ctx: ctx, tx: tx, p: p, now: s.now().UTC()}
		if err := fn(last); err != nil {
			return err
		}
		if err := s.afterPlaybookChanges(last); err != nil {
			return err
		}
		return s.afterClockChanges(last)
	})
	if err == nil && s.events != nil && last != nil {
		for _, c := range last.changes {
			s.events.Publish(p.OrgID, c.incidentID, c.action)
		}
	}
	return err
}

func (s *Service) read(ctx context.Context, p access.Principal, fn func(w *work) error) error {
	return s.store.Read(ctx, func(tx store.Tx) error {
		return fn(&work{ctx: ctx, tx: tx, p: p, now: s.now().UTC()})
	})
}

// actor names the principal on timelines and in audit records.
func actor(p access.Principal) string {
	if p.Username != "" {
		return p.Username
	}
	return "system"
}

// audit appends an audit record for a change.
func (w *work) audit(action, objectType, objectID, incidentID string, changes any) error {
	rec := audit.Record{
		ID: NewID(), OrgID: w.p.OrgID, At: w.now, Actor: actor(w.p), Action: action,
		ObjectType: objectType, ObjectID: objectID, IncidentID: incidentID,
	}
	if changes != nil {
		rec.Changes = audit.JSON(changes)
	}
	if err := w.tx.Audit().Append(w.ctx, &rec); err != nil {
		return fmt.Errorf("write audit record: %w", err)
	}
	c := change{incidentID: incidentID, action: action}
	if !slices.Contains(w.changes, c) {
		w.changes = append(w.changes, c)
	}
	return nil
}

// timeline puts an entry on an incident's timeline, dated now.
func (w *work) timeline(incidentID string, kind incident.EntryKind, text string, details any) error {
	return w.timelineAt(incidentID, kind, w.now, text, details)
}

// timelineAt puts an entry on an incident's timeline dated when the event happened, such as an
// alert's own time or a backdated regulatory trigger; it is recorded now.
func (w *work) timelineAt(incidentID string, kind incident.EntryKind, at time.Time, text string, details any) error {
	e := incident.Entry{
		ID: NewID(), OrgID: w.p.OrgID, IncidentID: incidentID, EventAt: at.UTC(), EventZone: "Z",
		RecordedAt: w.now, Kind: kind, Actor: actor(w.p), Text: text,
	}
	if details != nil {
		e.Details = audit.JSON(details)
	}
	if err := w.tx.Timeline().Add(w.ctx, e); err != nil {
		return fmt.Errorf("add timeline entry: %w", err)
	}
	return nil
}

// canWrite checks that the principal may change things at all.
func (w *work) canWrite() error {
	if !w.p.Can(access.RoleResponder) {
		return fmt.Errorf("%w: your role may only read", access.ErrForbidden)
	}
	return nil
}

// incident loads an incident by key (INC-n) or id and checks that the principal may see it.
// An incident the principal may not see is reported as not found, like one that does not exist.
func (w *work) incident(key string) (incident.Incident, error) {
	var (
		inc incident.Incident
		err error
	)
	if n, ok := incident.ParseKey(key); ok {
		inc, err = w.tx.Incidents().GetByNumber(w.ctx, w.p.OrgID, n)
	} else if _, perr := ulid.ParseStrict(key); perr == nil {
		inc, err = w.tx.Incidents().Get(w.ctx, w.p.OrgID, key)
	} else {
		return inc, fmt.Errorf("incident %q: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return inc, err
	}
	if err := w.visible(inc); err != nil {
		return inc, fmt.Errorf("incident %q: %w", key, err)
	}
	return inc, nil
}

// visible reports ErrNotFound when the principal may not see the incident.
func (w *work) visible(inc incident.Incident) error {
	if !inc.Restricted || w.p.Effective() == access.RoleAdmin {
		return nil
	}
	member, err := w.tx.Incidents().IsMember(w.ctx, w.p.OrgID, inc.ID, w.p.UserID)
	if err != nil {
		return err
	}
	if !w.p.CanSeeIncident(inc.Restricted, member) {
		return store.ErrNotFound
	}
	return nil
}

// incidentByID loads the incident an object belongs to and checks visibility.
func (w *work) incidentByID(id string) (incident.Incident, error) {
	inc, err := w.tx.Incidents().Get(w.ctx, w.p.OrgID, id)
	if err != nil {
		return inc, err
	}
	return inc, w.visible(inc)
}

// checkVersion compares the version a client read with the stored one.
// ifMatch comes from an If-Match header (412 on mismatch), bodyVersion from the request body
// (409 on mismatch); zero means not given.
func checkVersion(stored, ifMatch, bodyVersion int64) error {
	if ifMatch != 0 && ifMatch != stored {
		return fmt.Errorf("%w: the object is at version %d, not %d", store.ErrPrecondition, stored, ifMatch)
	}
	if bodyVersion != 0 && bodyVersion != stored {
		return fmt.Errorf("%w: the object is at version %d, not %d", store.ErrConflict, stored, bodyVersion)
	}
	return nil
}

// visibleTo is the user id lists must check membership for; empty for admins, who see all.
func visibleTo(p access.Principal) string {
	if p.Effective() == access.RoleAdmin {
		return ""
	}
	return p.UserID
}

// resolveUser finds a member of the principal's organisation by user name or id.
func (w *work) resolveUser(pointer, nameOrID string) (access.User, error) {
	nameOrID = strings.TrimSpace(nameOrID)
	u, err := w.tx.Users().GetByUsername(w.ctx, nameOrID)
	if errors.Is(err, store.ErrNotFound) {
		u, err = w.tx.Users().Get(w.ctx, nameOrID)
	}
	if err == nil {
		_, err = w.tx.Users().Membership(w.ctx, u.ID, w.p.OrgID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return u, invalid(pointer, "no user %q in this organisation", nameOrID)
	}
	return u, err
}
