package casework

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// The people the plan names (docs/plan.md): contacts with their channels, teams of contacts,
// and rosters that say who can fill an incident role over a period. Responders and up manage
// them; everyone reads them. Removing archives: plans and rosters keep naming the record.

// ContactRequest creates a contact or replaces its fields. Version, when not zero, must be the
// stored version (else a conflict).
type ContactRequest struct {
	Name         string          `json:"name"`
	Title        string          `json:"title,omitempty"`
	Organisation string          `json:"organisation,omitempty"`
	External     bool            `json:"external"`
	Channels     []store.Channel `json:"channels,omitempty"`
	Notes        string          `json:"notes,omitempty"`
	Version      int64           `json:"version,omitempty"`
}

// TeamRequest creates a team or replaces its fields; Members are contact ids.
type TeamRequest struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Members     []string `json:"members,omitempty"`
	Version     int64    `json:"version,omitempty"`
}

// RosterRequest creates a roster or replaces its fields. The period is either Week, an ISO
// week such as "2025-W11" (Monday 00:00 UTC to the next Monday), or Starts and Ends.
type RosterRequest struct {
	Role     incident.Role `json:"role"`
	Week     string        `json:"week,omitempty"`
	Starts   *time.Time    `json:"starts,omitempty"`
	Ends     *time.Time    `json:"ends,omitempty"`
	Contacts []string      `json:"contacts,omitempty"`
	// Users are user names (or ids) of members of the organisation.
	Users   []string `json:"users,omitempty"`
	Note    string   `json:"note,omitempty"`
	Version int64    `json:"version,omitempty"`
}

// Suggestions are who the rosters say can fill an incident role at a time.
type Suggestions struct {
	Role incident.Role `json:"role"`
	At   time.Time     `json:"at"`
	// Users are the user names that can be assigned the role, in roster order.
	Users    []string        `json:"users"`
	Contacts []store.Contact `json:"contacts"`
	Rosters  []store.Roster  `json:"rosters"`
}

// Limits on what people records hold.
const (
	maxPeopleName = 200
	maxPeopleText = 4000
	maxPeopleList = 100
	// maxRosterSpan bounds a roster's period.
	maxRosterSpan = 366 * 24 * time.Hour
)

func checkText(fields map[string]string, maxLen int) error {
	for ptr, v := range fields {
		if len(v) > maxLen {
			return invalid(ptr, "at most %d characters", maxLen)
		}
	}
	return nil
}

func (req *ContactRequest) check() (store.Contact, error) {
	c := store.Contact{Name: strings.TrimSpace(req.Name), Title: strings.TrimSpace(req.Title),
		Organisation: strings.TrimSpace(req.Organisation), External: req.External, Notes: strings.TrimSpace(req.Notes),
		Channels: []store.Channel{}}
	if c.Name == "" {
		return c, invalid("/name", "a contact needs a name")
	}
	if err := checkText(map[string]string{"/name": c.Name, "/title": c.Title, "/organisation": c.Organisation}, maxPeopleName); err != nil {
		return c, err
	}
	if err := checkText(map[string]string{"/notes": c.Notes}, maxPeopleText); err != nil {
		return c, err
	}
	if len(req.Channels) > 20 {
		return c, invalid("/channels", "at most 20 channels")
	}
	for i, ch := range req.Channels {
		ch.Value, ch.Label = strings.TrimSpace(ch.Value), strings.TrimSpace(ch.Label)
		ptr := fmt.Sprintf("/channels/%d", i)
		if !slices.Contains(store.ChannelKinds, ch.Kind) {
			return c, invalid(ptr+"/kind", "must be email, phone or chat")
		}
		if ch.Value == "" || len(ch.Value) > maxPeopleName || len(ch.Label) > maxPeopleName {
			return c, invalid(ptr+"/value", "give a value of at most %d characters", maxPeopleName)
		}
		switch ch.Kind {
		case store.ChannelEmail:
			if a, err := mail.ParseAddress(ch.Value); err != nil || a.Address != ch.Value {
				return c, invalid(ptr+"/value", "%q is not an email address", ch.Value)
			}
		case store.ChannelPhone:
			if strings.Trim(ch.Value, "+0123456789 ()-./") != "" {
				return c, invalid(ptr+"/value", "a phone number has digits, spaces and + ( ) - . / only")
			}
		}
		c.Channels = append(c.Channels, ch)
	}
	return c, nil
}

// Contacts lists the organisation's contacts by name; archived ones with archived set.
func (s *Service) Contacts(ctx context.Context, p access.Principal, archived bool) ([]store.Contact, error) {
	var out []store.Contact
	err := s.read(ctx, p, func(w *work) error {
		var err error
		out, err = w.tx.People().Contacts(ctx, p.OrgID, archived)
		return err
	})
	return out, err
}

// Contact returns a contact.
func (s *Service) Contact(ctx context.Context, p access.Principal, id string) (store.Contact, error) {
	var out store.Contact
	err := s.read(ctx, p, func(w *work) error {
		var err error
		out, err = w.tx.People().Contact(ctx, p.OrgID, id)
		return wrapNotFound(err, "contact", id)
	})
	return out, err
}

func wrapNotFound(err error, what, id string) error {
	if err != nil {
		return fmt.Errorf("%s %q: %w", what, id, err)
	}
	return nil
}

// CreateContact adds a contact.
func (s *Service) CreateContact(ctx context.Context, p access.Principal, req ContactRequest) (store.Contact, error) {
	var out store.Contact
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		c, err := req.check()
		if err != nil {
			return err
		}
		c.ID, c.OrgID, c.Version, c.CreatedAt, c.UpdatedAt = NewID(), p.OrgID, 1, w.now, w.now
		if err := w.tx.People().CreateContact(ctx, c); err != nil {
			return err
		}
		out = c
		return w.audit("contact.create", "contact", c.ID, "", c)
	})
	return out, err
}

// UpdateContact replaces a contact's fields.
func (s *Service) UpdateContact(ctx context.Context, p access.Principal, id string, req ContactRequest) (store.Contact, error) {
	var out store.Contact
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		old, err := w.tx.People().Contact(ctx, p.OrgID, id)
		if err != nil {
			return wrapNotFound(err, "contact", id)
		}
		if err := checkVersion(old.Version, 0, req.Version); err != nil {
			return err
		}
		c, err := req.check()
		if err != nil {
			return err
		}
		c.ID, c.OrgID, c.CreatedAt, c.UpdatedAt, c.ArchivedAt = old.ID, old.OrgID, old.CreatedAt, w.now, old.ArchivedAt
		if err := w.tx.People().UpdateContact(ctx, c, old.Version); err != nil {
			return err
		}
		c.Version = old.Version + 1
		out = c
		return w.audit("contact.update", "contact", c.ID, "", c)
	})
	return out, err
}

// ArchiveContact removes a contact from the lists and from teams' and rosters' suggestions;
// the record is kept for the plans that name it. Archiving an archived contact does nothing.
func (s *Service) ArchiveContact(ctx context.Context, p access.Principal, id string) error {
	return s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		c, err := w.tx.People().Contact(ctx, p.OrgID, id)
		if err != nil || c.ArchivedAt != nil {
			return wrapNotFound(err, "contact", id)
		}
		now := w.now
		c.ArchivedAt, c.UpdatedAt = &now, now
		if err := w.tx.People().UpdateContact(ctx, c, c.Version); err != nil {
			return err
		}
		return w.audit("contact.archive", "contact", c.ID, "", map[string]any{"name": c.Name})
	})
}

// checkContacts checks that every id names a contact of the organisation not archived.
func (w *work) checkContacts(pointer string, ids []string) ([]string, error) {
	ids = trimAll(ids)
	if len(ids) > maxPeopleList {
		return nil, invalid(pointer, "at most %d contacts", maxPeopleList)
	}
	out := []string{}
	for i, id := range ids {
		c, err := w.tx.People().Contact(w.ctx, w.p.OrgID, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && c.ArchivedAt != nil) {
			return nil, invalid(fmt.Sprintf("%s/%d", pointer, i), "no contact %q in this organisation", id)
		}
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// Teams lists the organisation's teams by name.
func (s *Service) Teams(ctx context.Context, p access.Principal, archived bool) ([]store.Team, error) {
	var out []store.Team
	err := s.read(ctx, p, func(w *work) error {
		var err error
		out, err = w.tx.People().Teams(ctx, p.OrgID, archived)
		return err
	})
	return out, err
}

// Team returns a team.
func (s *Service) Team(ctx context.Context, p access.Principal, id string) (store.Team, error) {
	var out store.Team
	err := s.read(ctx, p, func(w *work) error {
		var err error
		out, err = w.tx.People().Team(ctx, p.OrgID, id)
		return wrapNotFound(err, "team", id)
	})
	return out, err
}

func (w *work) teamFields(req TeamRequest) (store.Team, error) {
	t := store.Team{Name: strings.TrimSpace(req.Name), Description: strings.TrimSpace(req.Description)}
	if t.Name == "" {
		return t, invalid("/name", "a team needs a name")
	}
	if err := checkText(map[string]string{"/name": t.Name}, maxPeopleName); err != nil {
		return t, err
	}
	if err := checkText(map[string]string{"/description": t.Description}, maxPeopleText); err != nil {
		return t, err
	}
	var err error
	t.Members, err = w.checkContacts("/members", req.Members)
	return t, err
}

// CreateTeam adds a team.
func (s *Service) CreateTeam(ctx context.Context, p access.Principal, req TeamRequest) (store.Team, error) {
	var out store.Team
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		t, err := w.teamFields(req)
		if err != nil {
			return err
		}
		t.ID, t.OrgID, t.Version, t.CreatedAt, t.UpdatedAt = NewID(), p.OrgID, 1, w.now, w.now
		if err := w.tx.People().CreateTeam(ctx, t); err != nil {
			return err
		}
		out = t
		return w.audit("team.create", "team", t.ID, "", t)
	})
	return out, err
}

// UpdateTeam replaces a team's fields.
func (s *Service) UpdateTeam(ctx context.Context, p access.Principal, id string, req TeamRequest) (store.Team, error) {
	var out store.Team
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		old, err := w.tx.People().Team(ctx, p.OrgID, id)
		if err != nil {
			return wrapNotFound(err, "team", id)
		}
		if err := checkVersion(old.Version, 0, req.Version); err != nil {
			return err
		}
		t, err := w.teamFields(req)
		if err != nil {
			return err
		}
		t.ID, t.OrgID, t.CreatedAt, t.UpdatedAt, t.ArchivedAt = old.ID, old.OrgID, old.CreatedAt, w.now, old.ArchivedAt
		if err := w.tx.People().UpdateTeam(ctx, t, old.Version); err != nil {
			return err
		}
		t.Version = old.Version + 1
		out = t
		return w.audit("team.update", "team", t.ID, "", t)
	})
	return out, err
}

// ArchiveTeam removes a team from the lists; archiving it again does nothing.
func (s *Service) ArchiveTeam(ctx context.Context, p access.Principal, id string) error {
	return s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		t, err := w.tx.People().Team(ctx, p.OrgID, id)
		if err != nil || t.ArchivedAt != nil {
			return wrapNotFound(err, "team", id)
		}
		now := w.now
		t.ArchivedAt, t.UpdatedAt = &now, now
		if err := w.tx.People().UpdateTeam(ctx, t, t.Version); err != nil {
			return err
		}
		return w.audit("team.archive", "team", t.ID, "", map[string]any{"name": t.Name})
	})
}
