package casework

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// ParseWeek reads an ISO 8601 week such as "2025-W11" and returns its Monday 00:00 UTC and the
// next Monday.
func ParseWeek(s string) (time.Time, time.Time, error) {
	var year, week int
	if _, err := fmt.Sscanf(strings.ToUpper(strings.TrimSpace(s)), "%4d-W%2d", &year, &week); err != nil || year < 1970 {
		return time.Time{}, time.Time{}, fmt.Errorf("write the week as 2025-W11")
	}
	jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, time.UTC)
	week1 := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	// The last week of a year is the one holding 28 December.
	_, last := time.Date(year, 12, 28, 0, 0, 0, 0, time.UTC).ISOWeek()
	if week < 1 || week > last {
		return time.Time{}, time.Time{}, fmt.Errorf("%d has weeks 1 to %d", year, last)
	}
	start := week1.AddDate(0, 0, 7*(week-1))
	return start, start.AddDate(0, 0, 7), nil
}

// Week names the ISO week t falls in, such as "2025-W11".
func Week(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

func (w *work) rosterFields(req RosterRequest) (store.Roster, error) {
	r := store.Roster{Role: req.Role, Note: strings.TrimSpace(req.Note)}
	if !r.Role.Valid() {
		return r, invalid("/role", "must be one of %s", strings.Join(roleNames(), ", "))
	}
	switch {
	case req.Week != "":
		if req.Starts != nil || req.Ends != nil {
			return r, invalid("/week", "give either a week or a start and an end, not both")
		}
		var err error
		if r.Starts, r.Ends, err = ParseWeek(req.Week); err != nil {
			return r, invalid("/week", "%s", err.Error())
		}
	case req.Starts == nil:
		return r, invalid("/starts", "give a week or a start and an end")
	case req.Ends == nil:
		return r, invalid("/ends", "give the end of the period")
	default:
		r.Starts, r.Ends = req.Starts.UTC(), req.Ends.UTC()
	}
	if !r.Ends.After(r.Starts) {
		return r, invalid("/ends", "must be after the start")
	}
	if r.Ends.Sub(r.Starts) > maxRosterSpan {
		return r, invalid("/ends", "a roster covers at most a year")
	}
	if err := checkText(map[string]string{"/note": r.Note}, maxPeopleText); err != nil {
		return r, err
	}
	var err error
	if r.Contacts, err = w.checkContacts("/contacts", req.Contacts); err != nil {
		return r, err
	}
	users := trimAll(req.Users)
	if len(users) > maxPeopleList {
		return r, invalid("/users", "at most %d users", maxPeopleList)
	}
	r.Users = []string{}
	for i, name := range users {
		u, err := w.resolveUser(fmt.Sprintf("/users/%d", i), name)
		if err != nil {
			return r, err
		}
		if !slices.Contains(r.Users, u.Username) {
			r.Users = append(r.Users, u.Username)
		}
	}
	if len(r.Contacts) == 0 && len(r.Users) == 0 {
		return r, invalid("/contacts", "name at least one contact or user")
	}
	return r, nil
}

func roleNames() []string {
	out := make([]string, len(incident.Roles))
	for i, r := range incident.Roles {
		out[i] = string(r)
	}
	return out
}

// Rosters lists the rosters f selects, by start.
func (s *Service) Rosters(ctx context.Context, p access.Principal, f store.RosterFilter) ([]store.Roster, error) {
	var out []store.Roster
	err := s.read(ctx, p, func(w *work) error {
		var err error
		out, err = w.tx.People().Rosters(ctx, p.OrgID, f)
		return err
	})
	return out, err
}

// Roster returns a roster.
func (s *Service) Roster(ctx context.Context, p access.Principal, id string) (store.Roster, error) {
	var out store.Roster
	err := s.read(ctx, p, func(w *work) error {
		var err error
		out, err = w.tx.People().Roster(ctx, p.OrgID, id)
		return wrapNotFound(err, "roster", id)
	})
	return out, err
}

// CreateRoster adds a roster.
func (s *Service) CreateRoster(ctx context.Context, p access.Principal, req RosterRequest) (store.Roster, error) {
	var out store.Roster
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		r, err := w.rosterFields(req)
		if err != nil {
			return err
		}
		r.ID, r.OrgID, r.Version, r.CreatedAt, r.UpdatedAt = NewID(), p.OrgID, 1, w.now, w.now
		if err := w.tx.People().CreateRoster(ctx, r); err != nil {
			return err
		}
		out = r
		return w.audit("roster.create", "roster", r.ID, "", r)
	})
	return out, err
}

// UpdateRoster replaces a roster's fields.
func (s *Service) UpdateRoster(ctx context.Context, p access.Principal, id string, req RosterRequest) (store.Roster, error) {
	var out store.Roster
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		old, err := w.tx.People().Roster(ctx, p.OrgID, id)
		if err != nil {
			return wrapNotFound(err, "roster", id)
		}
		if err := checkVersion(old.Version, 0, req.Version); err != nil {
			return err
		}
		r, err := w.rosterFields(req)
		if err != nil {
			return err
		}
		r.ID, r.OrgID, r.CreatedAt, r.UpdatedAt, r.ArchivedAt = old.ID, old.OrgID, old.CreatedAt, w.now, old.ArchivedAt
		if err := w.tx.People().UpdateRoster(ctx, r, old.Version); err != nil {
			return err
		}
		r.Version = old.Version + 1
		out = r
		return w.audit("roster.update", "roster", r.ID, "", r)
	})
	return out, err
}

// ArchiveRoster removes a roster; archiving it again does nothing.
func (s *Service) ArchiveRoster(ctx context.Context, p access.Principal, id string) error {
	return s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		r, err := w.tx.People().Roster(ctx, p.OrgID, id)
		if err != nil || r.ArchivedAt != nil {
			return wrapNotFound(err, "roster", id)
		}
		now := w.now
		r.ArchivedAt, r.UpdatedAt = &now, now
		if err := w.tx.People().UpdateRoster(ctx, r, r.Version); err != nil {
			return err
		}
		return w.audit("roster.archive", "roster", r.ID, "", map[string]any{"role": r.Role})
	})
}

// SuggestAssignees returns who the rosters say can fill an incident role at a time (now when
// at is zero): the users to assign and the contacts to call, each once, archived contacts left out.
func (s *Service) SuggestAssignees(ctx context.Context, p access.Principal, role incident.Role, at time.Time) (Suggestions, error) {
	out := Suggestions{Role: role, Users: []string{}, Contacts: []store.Contact{}}
	if !role.Valid() {
		return out, invalid("/role", "must be one of %s", strings.Join(roleNames(), ", "))
	}
	err := s.read(ctx, p, func(w *work) error {
		if at.IsZero() {
			at = w.now
		}
		out.At = at.UTC()
		rosters, err := w.tx.People().Rosters(ctx, p.OrgID, store.RosterFilter{Role: role, At: out.At})
		if err != nil {
			return err
		}
		out.Rosters = rosters
		seen := map[string]bool{}
		for _, r := range rosters {
			for _, u := range r.Users {
				if !slices.Contains(out.Users, u) {
					out.Users = append(out.Users, u)
				}
			}
			for _, id := range r.Contacts {
				if seen[id] {
					continue
				}
				seen[id] = true
				c, err := w.tx.People().Contact(ctx, p.OrgID, id)
				if err != nil {
					return err
				}
				if c.ArchivedAt == nil {
					out.Contacts = append(out.Contacts, c)
				}
			}
		}
		return nil
	})
	return out, err
}
