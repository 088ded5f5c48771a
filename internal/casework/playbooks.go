package casework

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/playbook"
	"github.com/quell-ir/quell/internal/store"
)

// Playbooks (docs/playbooks.md). An organisation's library is the built-in playbooks, served
// from the binary as read-only versions, and the versions it saved, which are never changed:
// a change is a new version, with a version number higher than any before it (the built-in's
// included). Where an organisation saved a playbook with a built-in's id, its newest version
// is the one in force.
//
// When an incident is opened, and when its type changes, the playbook of the library that
// fits it best (playbook.Select) is applied: its tasks are created with their due times, and
// the application is kept with the incident, on its timeline and in the audit chain. A person
// may apply any playbook by hand. A version applied once to an incident is not applied again,
// and a step that already gave the incident a task (from any version of the same playbook)
// gives it no second one. Due times that count from the start of a phase the incident has not
// reached are kept with the task and set when the incident enters that phase.

// Reasons a playbook was applied, as store.AppliedPlaybook.Reason holds them.
const (
	AppliedOnCreate = "created"
	AppliedOnType   = "type"
	AppliedByHand   = "manual"
)

// PlaybookInfo describes one version of a playbook of the library.
type PlaybookInfo struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Builtin is true for a version shipped with Quell.
	Builtin     bool               `json:"builtin"`
	Description string             `json:"description,omitempty"`
	AppliesTo   playbook.AppliesTo `json:"applies_to"`
	Roles       []incident.Role    `json:"roles"`
	CreatedBy   string             `json:"created_by,omitempty"`
	CreatedAt   *time.Time         `json:"created_at,omitempty"`
	// Source is the YAML document; Playbook is what it says. Both are left out of lists.
	Source   string             `json:"source,omitempty"`
	Playbook *playbook.Playbook `json:"playbook,omitempty"`

	parsed playbook.Playbook
}

// PlaybookSaved is what saving a playbook did.
type PlaybookSaved struct {
	PlaybookInfo
	// Created is false when the source was the newest version's already: nothing was stored.
	Created bool `json:"created"`
	// Warnings are the lint warnings of the saved source.
	Warnings []playbook.Message `json:"warnings"`
}

// ApplyPlaybookRequest applies a playbook to an incident by hand; Version 0 is the newest.
type ApplyPlaybookRequest struct {
	Playbook string `json:"playbook"`
	Version  int    `json:"version,omitempty"`
}

// ApplyResult is what applying a playbook did.
type ApplyResult struct {
	Applied store.AppliedPlaybook `json:"applied"`
	// Created is false when that version had been applied to the incident already.
	Created bool            `json:"created"`
	Tasks   []incident.Task `json:"tasks"`
}

// playbookCache keeps parsed saved versions: a version never changes, so it is parsed once.
type playbookCache struct {
	mu     sync.Mutex
	parsed map[string]playbook.Playbook
}

func (c *playbookCache) parse(v store.PlaybookVersion) (playbook.Playbook, error) {
	key := v.OrgID + "/" + v.ID + "@" + fmt.Sprint(v.Version)
	c.mu.Lock()
	p, ok := c.parsed[key]
	c.mu.Unlock()
	if ok {
		return p.Clone(), nil
	}
	p, err := playbook.Load(v.ID+".yaml", []byte(v.Source))
	if err != nil {
		return p, err
	}
	c.mu.Lock()
	if c.parsed == nil {
		c.parsed = map[string]playbook.Playbook{}
	}
	c.parsed[key] = p
	c.mu.Unlock()
	return p.Clone(), nil
}

func builtinInfo(p playbook.Playbook) PlaybookInfo {
	return PlaybookInfo{ID: p.ID, Name: p.Name, Version: p.Version, Builtin: true, Description: p.Description,
		AppliesTo: p.AppliesTo, Roles: p.Roles, parsed: p}
}

// builtinSource returns the YAML source of a built-in playbook.
func builtinSource(id string) string {
	return string(playbook.BuiltinFiles()["library/"+id+".yaml"])
}

func (s *Service) storedInfo(v store.PlaybookVersion) (PlaybookInfo, error) {
	p, err := s.playbooks.parse(v)
	if err != nil {
		return PlaybookInfo{}, err
	}
	at := v.CreatedAt
	return PlaybookInfo{ID: v.ID, Name: p.Name, Version: v.Version, Description: p.Description,
		AppliesTo: p.AppliesTo, Roles: p.Roles, CreatedBy: v.CreatedBy, CreatedAt: &at, Source: v.Source, parsed: p}, nil
}

// library returns the newest version of every playbook of the organisation, by id.
func (s *Service) library(w *work) ([]PlaybookInfo, error) {
	byID := map[string]PlaybookInfo{}
	for _, p := range playbook.Builtin() {
		byID[p.ID] = builtinInfo(p)
	}
	stored, err := w.tx.Playbooks().Latest(w.ctx, w.p.OrgID)
	if err != nil {
		return nil, err
	}
	for _, v := range stored {
		if b, ok := byID[v.ID]; ok && b.Version > v.Version {
			continue
		}
		info, err := s.storedInfo(v)
		if err != nil {
			// Checked when saved; a later version of Quell may be stricter. Keep what still works.
			s.log.Warn("stored playbook no longer loads", "org", w.p.OrgID, "playbook", v.ID, "version", v.Version, "err", err)
			continue
		}
		byID[v.ID] = info
	}
	out := make([]PlaybookInfo, 0, len(byID))
	for _, info := range byID {
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b PlaybookInfo) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// playbookVersion returns one version (0: the newest) of a playbook of the library, with its
// source.
func (s *Service) playbookVersion(w *work, id string, version int) (PlaybookInfo, error) {
	var builtin *playbook.Playbook
	for _, p := range playbook.Builtin() {
		if p.ID == id {
			builtin = &p
			break
		}
	}
	v, err := w.tx.Playbooks().Get(w.ctx, w.p.OrgID, id, version)
	switch {
	case err == nil && (builtin == nil || v.Version >= builtin.Version):
		return s.storedInfo(v)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return PlaybookInfo{}, err
	case builtin != nil && (version == 0 || version == builtin.Version):
		info := builtinInfo(*builtin)
		info.Source = builtinSource(id)
		return info, nil
	}
	return PlaybookInfo{}, fmt.Errorf("playbook %q version %d: %w", id, version, store.ErrNotFound)
}

// ListPlaybooks returns the newest version of every playbook of the organisation, by id.
func (s *Service) ListPlaybooks(ctx context.Context, p access.Principal) ([]PlaybookInfo, error) {
	var out []PlaybookInfo
	err := s.read(ctx, p, func(w *work) error {
		var err error
		out, err = s.library(w)
		for i := range out {
			out[i].Source = ""
		}
		return err
	})
	return out, err
}

// GetPlaybook returns a version of a playbook (0: the newest) with its source and contents.
func (s *Service) GetPlaybook(ctx context.Context, p access.Principal, id string, version int) (PlaybookInfo, error) {
	var out PlaybookInfo
	err := s.read(ctx, p, func(w *work) error {
		var err error
		out, err = s.playbookVersion(w, id, version)
		return err
	})
	if err == nil {
		pb := out.parsed.Clone()
		out.Playbook = &pb
	}
	return out, err
}

// PlaybookVersions lists every version of a playbook, newest first, without sources.
func (s *Service) PlaybookVersions(ctx context.Context, p access.Principal, id string) ([]PlaybookInfo, error) {
	var out []PlaybookInfo
	err := s.read(ctx, p, func(w *work) error {
		stored, err := w.tx.Playbooks().Versions(ctx, p.OrgID, id)
		if err != nil {
			return err
		}
		for _, v := range stored {
			at := v.CreatedAt
			out = append(out, PlaybookInfo{ID: v.ID, Name: v.Name, Version: v.Version, CreatedBy: v.CreatedBy, CreatedAt: &at})
		}
		for _, b := range playbook.Builtin() {
			if b.ID == id && !slices.ContainsFunc(out, func(i PlaybookInfo) bool { return i.Version == b.Version }) {
				info := builtinInfo(b)
				info.Description, info.Roles, info.AppliesTo = "", nil, playbook.AppliesTo{}
				out = append(out, info)
			}
		}
		slices.SortFunc(out, func(a, b PlaybookInfo) int { return cmp.Compare(b.Version, a.Version) })
		if len(out) == 0 {
			return fmt.Errorf("playbook %q: %w", id, store.ErrNotFound)
		}
		return nil
	})
	return out, err
}

// LintPlaybook checks a playbook source as SavePlaybook would, without saving: lint messages,
// and, when id is not empty, whether the source's id and version fit the library.
func (s *Service) LintPlaybook(ctx context.Context, p access.Principal, id string, src []byte) ([]playbook.Message, error) {
	var out []playbook.Message
	err := s.read(ctx, p, func(w *work) error {
		var err error
		_, out, _, err = s.checkPlaybook(w, id, src)
		return err
	})
	return out, err
}

// checkPlaybook lints src and, when id is given, checks it against the newest version of
// that playbook. same is true when src is the newest version's source already.
func (s *Service) checkPlaybook(w *work, id string, src []byte) (pb playbook.Playbook, msgs []playbook.Message, same bool, err error) {
	name := "playbook.yaml"
	if id != "" {
		name = id + ".yaml"
	}
	pb, msgs = playbook.Parse(name, src)
	if id == "" || playbook.HasErrors(msgs) {
		if msgs == nil {
			msgs = []playbook.Message{}
		}
		return pb, msgs, false, nil
	}
	at := func(key string) (int, int) { return topLevelLine(src, key), 1 }
	if pb.ID != id {
		line, col := at("id")
		msgs = append(msgs, playbook.Message{File: name, Line: line, Column: col, Severity: playbook.SeverityError,
			Code: "id-mismatch", Text: fmt.Sprintf("the id is %s, but this is playbook %s; to make a new playbook, save it under its own id", pb.ID, id)})
	} else {
		latest, err := s.playbookVersion(w, id, 0)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return pb, nil, false, err
		case bytes.Equal(bytes.TrimSpace([]byte(latest.Source)), bytes.TrimSpace(src)):
			same = true
		case pb.Version <= latest.Version:
			line, col := at("version")
			msgs = append(msgs, playbook.Message{File: name, Line: line, Column: col, Severity: playbook.SeverityError,
				Code: "version-taken", Text: fmt.Sprintf("version %d is taken: the newest version of %s is %d; a change needs version %d or higher",
					pb.Version, id, latest.Version, latest.Version+1)})
		}
	}
	playbook.SortMessages(msgs)
	return pb, msgs, same, nil
}

// topLevelLine returns the line of a top-level key in a YAML source (1 when it is absent).
func topLevelLine(src []byte, key string) int {
	for i, line := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok && strings.HasPrefix(strings.TrimLeft(rest, " \t"), ":") {
			return i + 1
		}
	}
	return 1
}

// SavePlaybook stores a new version of a playbook from its YAML source; leads and admins only.
// A source with lint errors is refused with *playbook.InvalidError, which holds every message;
// so is one whose id is not id, or whose version is not higher than the newest one's. Saving
// the newest version's source again stores nothing.
func (s *Service) SavePlaybook(ctx context.Context, p access.Principal, id string, src []byte) (PlaybookSaved, error) {
	var out PlaybookSaved
	err := s.write(ctx, p, func(w *work) error {
		var err error
		out, err = s.savePlaybook(w, id, src)
		return err
	})
	return out, err
}

func (s *Service) savePlaybook(w *work, id string, src []byte) (PlaybookSaved, error) {
	if !w.p.Can(access.RoleLead) {
		return PlaybookSaved{}, fmt.Errorf("%w: only a lead or an admin may change playbooks", access.ErrForbidden)
	}
	pb, msgs, same, err := s.checkPlaybook(w, id, src)
	if err != nil {
		return PlaybookSaved{}, err
	}
	if playbook.HasErrors(msgs) {
		return PlaybookSaved{}, &playbook.InvalidError{Messages: msgs}
	}
	if same {
		info, err := s.playbookVersion(w, id, 0)
		return PlaybookSaved{PlaybookInfo: info, Warnings: msgs}, err
	}
	v := store.PlaybookVersion{OrgID: w.p.OrgID, ID: pb.ID, Version: pb.Version, Name: pb.Name, Source: string(src),
		CreatedBy: actor(w.p), CreatedAt: w.now}
	if err := w.tx.Playbooks().AddVersion(w.ctx, v); err != nil {
		return PlaybookSaved{}, err
	}
	if err := w.audit("playbook.save", "playbook", pb.ID, "", map[string]any{
		"id": pb.ID, "version": pb.Version, "name": pb.Name, "bytes": len(src),
	}); err != nil {
		return PlaybookSaved{}, err
	}
	info, err := s.storedInfo(v)
	return PlaybookSaved{PlaybookInfo: info, Created: true, Warnings: msgs}, err
}

// ImportResult is what importing one playbook file did.
type ImportResult struct {
	File     string
	ID       string
	Version  int
	Created  bool
	Messages []playbook.Message
	// Err is set when the file was refused.
	Err error
}

// ImportPlaybooks saves playbook files (from a directory given at start) as new versions in
// the principal's organisation, each in its own transaction. The files are linted as one set
// first; a file with an error is refused and the others are saved. A file whose source is the
// newest version's already is left as it is.
func (s *Service) ImportPlaybooks(ctx context.Context, p access.Principal, files []playbook.File) []ImportResult {
	set := playbook.LintSet(files)
	out := make([]ImportResult, 0, len(files))
	for _, f := range files {
		r := ImportResult{File: f.Name}
		for _, m := range set {
			if m.File == f.Name {
				r.Messages = append(r.Messages, m)
			}
		}
		pb, _ := playbook.Parse(f.Name, f.Src)
		r.ID, r.Version = pb.ID, pb.Version
		if playbook.HasErrors(r.Messages) {
			r.Err = &playbook.InvalidError{Messages: r.Messages}
			out = append(out, r)
			continue
		}
		saved, err := s.SavePlaybook(ctx, p, pb.ID, f.Src)
		var invalid *playbook.InvalidError
		if errors.As(err, &invalid) {
			for i := range invalid.Messages {
				invalid.Messages[i].File = f.Name
			}
			r.Messages = invalid.Messages
		}
		r.Created, r.Err = saved.Created, err
		out = append(out, r)
	}
	return out
}

// ApplyPlaybook applies a playbook of the library to an incident by hand (responders and up).
func (s *Service) ApplyPlaybook(ctx context.Context, p access.Principal, key string, req ApplyPlaybookRequest) (ApplyResult, error) {
	var out ApplyResult
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		if inc.Phase == incident.PhaseClosed {
			return invalid("/playbook", "the incident is closed: reopen it to apply a playbook")
		}
		if strings.TrimSpace(req.Playbook) == "" {
			return invalid("/playbook", "name the playbook to apply")
		}
		info, err := s.playbookVersion(w, strings.TrimSpace(req.Playbook), req.Version)
		if errors.Is(err, store.ErrNotFound) {
			return invalid("/playbook", "no playbook %q (version %d) in this organisation", req.Playbook, req.Version)
		}
		if err != nil {
			return err
		}
		out, err = s.applyPlaybook(w, inc, info.parsed, AppliedByHand)
		return err
	})
	return out, err
}

// AppliedPlaybooks lists the playbooks applied to an incident, oldest first.
func (s *Service) AppliedPlaybooks(ctx context.Context, p access.Principal, key string) ([]store.AppliedPlaybook, error) {
	var out []store.AppliedPlaybook
	err := s.read(ctx, p, func(w *work) error {
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		out, err = w.tx.Playbooks().Applied(ctx, p.OrgID, inc.ID)
		return err
	})
	return out, err
}

// facts gathers what matching and planning need to know of an incident.
func (w *work) facts(inc incident.Incident) (playbook.IncidentFacts, error) {
	f := playbook.Facts(&inc)
	links, err := w.tx.Assets().Links(w.ctx, inc.OrgID, inc.ID)
	if err != nil {
		return f, err
	}
	for _, l := range links {
		a, err := w.tx.Assets().Get(w.ctx, inc.OrgID, l.AssetID)
		if err != nil {
			return f, err
		}
		if a.PersonalData {
			f.PersonalData = true
			break
		}
	}
	f.PhaseStartedAt, err = w.phaseStart(inc)
	return f, err
}

// phaseStart returns when the incident entered the phase it is in.
func (w *work) phaseStart(inc incident.Incident) (time.Time, error) {
	changes, err := w.tx.Incidents().PhaseChanges(w.ctx, inc.OrgID, inc.ID)
	if err != nil {
		return time.Time{}, err
	}
	for i := len(changes) - 1; i >= 0; i-- {
		if changes[i].To == inc.Phase {
			return changes[i].At, nil
		}
	}
	return inc.CreatedAt, nil
}

// applySelected applies the playbook that fits the incident best, if any does.
func (s *Service) applySelected(w *work, inc incident.Incident, reason string) error {
	if inc.Phase == incident.PhaseClosed {
		return nil
	}
	lib, err := s.library(w)
	if err != nil {
		return err
	}
	facts, err := w.facts(inc)
	if err != nil {
		return err
	}
	parsed := make([]playbook.Playbook, len(lib))
	for i, info := range lib {
		parsed[i] = info.parsed
	}
	pb, ok := playbook.Select(parsed, facts)
	if !ok {
		return nil
	}
	_, err = s.applyPlaybook(w, inc, pb, reason)
	return err
}

// applyPlaybook creates a playbook's tasks on an incident and records the application.
func (s *Service) applyPlaybook(w *work, inc incident.Incident, pb playbook.Playbook, reason string) (ApplyResult, error) {
	applied, err := w.tx.Playbooks().Applied(w.ctx, inc.OrgID, inc.ID)
	if err != nil {
		return ApplyResult{}, err
	}
	if i := slices.IndexFunc(applied, func(a store.AppliedPlaybook) bool {
		return a.PlaybookID == pb.ID && a.Version == pb.Version
	}); i >= 0 {
		return ApplyResult{Applied: applied[i], Tasks: []incident.Task{}}, nil
	}
	facts, err := w.facts(inc)
	if err != nil {
		return ApplyResult{}, err
	}
	existing, err := w.tx.Tasks().ListByIncident(w.ctx, inc.OrgID, inc.ID)
	if err != nil {
		return ApplyResult{}, err
	}
	prefix := "playbook:" + pb.ID + "@"
	has := func(step string) bool {
		return slices.ContainsFunc(existing, func(t incident.Task) bool {
			return strings.HasPrefix(t.Origin, prefix) && strings.HasSuffix(t.Origin, "/"+step)
		})
	}
	created := []incident.Task{}
	for _, pt := range pb.Tasks(facts, w.now) {
		if has(pt.Step) {
			continue
		}
		t := pt.Task
		t.ID, t.OrgID, t.IncidentID, t.CreatedBy, t.Version = NewID(), inc.OrgID, inc.ID, actor(w.p), 1
		if err := t.Validate(); err != nil {
			return ApplyResult{}, fmt.Errorf("playbook %s step %s: %w", pb.ID, pt.Step, err)
		}
		if err := w.tx.Tasks().Create(w.ctx, t); err != nil {
			return ApplyResult{}, err
		}
		if pt.Pending() {
			spec := store.TaskDueSpec{OrgID: inc.OrgID, TaskID: t.ID, IncidentID: inc.ID,
				After: time.Duration(pt.Due.After), From: string(pt.Due.From)}
			if err := w.tx.Playbooks().AddDueSpec(w.ctx, spec); err != nil {
				return ApplyResult{}, err
			}
		}
		if err := w.scheduleDue(t); err != nil {
			return ApplyResult{}, err
		}
		if err := w.audit("task.create", "task", t.ID, inc.ID, t); err != nil {
			return ApplyResult{}, err
		}
		created = append(created, t)
	}
	a := store.AppliedPlaybook{ID: NewID(), OrgID: inc.OrgID, IncidentID: inc.ID, PlaybookID: pb.ID, Version: pb.Version,
		Name: pb.Name, Reason: reason, AppliedBy: actor(w.p), AppliedAt: w.now, Tasks: len(created)}
	if err := w.tx.Playbooks().AddApplied(w.ctx, a); err != nil {
		return ApplyResult{}, err
	}
	roles := make([]string, len(pb.Roles))
	for i, r := range pb.Roles {
		roles[i] = string(r)
	}
	text := fmt.Sprintf("Playbook %s (%s version %d) applied: %d task(s) created; roles to fill: %s",
		pb.Name, pb.ID, pb.Version, len(created), strings.Join(roles, ", "))
	ids := make([]string, len(created))
	for i, t := range created {
		ids[i] = t.ID
	}
	details := map[string]any{"playbook": pb.ID, "version": pb.Version, "reason": reason, "roles": pb.Roles, "tasks": ids}
	if err := w.timeline(inc.ID, incident.KindTask, text, details); err != nil {
		return ApplyResult{}, err
	}
	if err := w.audit("playbook.apply", "incident", inc.ID, inc.ID, details); err != nil {
		return ApplyResult{}, err
	}
	return ApplyResult{Applied: a, Created: true, Tasks: created}, nil
}

// afterPlaybookChanges runs at the end of every write transaction: a new incident gets the
// playbook that fits it, and an incident that entered a phase (or had its detection time
// corrected) gets the due times of its tasks that were waiting for it.
func (s *Service) afterPlaybookChanges(w *work) error {
	changes := slices.Clone(w.changes)
	var done []string
	for _, c := range changes {
		if c.incidentID == "" {
			continue
		}
		switch c.action {
		case "incident.create":
			inc, err := w.tx.Incidents().Get(w.ctx, w.p.OrgID, c.incidentID)
			if err != nil {
				return err
			}
			if err := s.applySelected(w, inc, AppliedOnCreate); err != nil {
				return err
			}
		case "incident.phase", "incident.milestone":
			if slices.Contains(done, c.incidentID) {
				continue
			}
			done = append(done, c.incidentID)
			if err := w.resolveDueSpecs(c.incidentID); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolveDueSpecs sets the due times of an incident's tasks that can now be known: those
// counted from the start of the phase the incident is in, and those counted from detection
// once it is known.
func (w *work) resolveDueSpecs(incidentID string) error {
	specs, err := w.tx.Playbooks().DueSpecs(w.ctx, w.p.OrgID, incidentID)
	if err != nil || len(specs) == 0 {
		return err
	}
	inc, err := w.tx.Incidents().Get(w.ctx, w.p.OrgID, incidentID)
	if err != nil {
		return err
	}
	start, err := w.phaseStart(inc)
	if err != nil {
		return err
	}
	for _, spec := range specs {
		t, err := w.tx.Tasks().Get(w.ctx, inc.OrgID, spec.TaskID)
		if err != nil {
			return err
		}
		if t.DueAt != nil || t.Status.Finished() {
			// Set by hand, or no longer needed.
			if err := w.tx.Playbooks().DeleteDueSpec(w.ctx, inc.OrgID, t.ID); err != nil {
				return err
			}
			continue
		}
		var base time.Time
		switch {
		case spec.From == string(playbook.FromDetection) && inc.DetectedAt != nil:
			base = *inc.DetectedAt
		case spec.From == string(playbook.FromPhaseStart) && t.Phase == inc.Phase:
			base = start
		default:
			continue
		}
		due := base.Add(spec.After).UTC()
		before := t
		t.DueAt, t.UpdatedAt = &due, w.now
		if err := w.tx.Tasks().Update(w.ctx, t, before.Version); err != nil {
			return err
		}
		t.Version = before.Version + 1
		if err := w.tx.Playbooks().DeleteDueSpec(w.ctx, inc.OrgID, t.ID); err != nil {
			return err
		}
		if err := w.scheduleDue(t); err != nil {
			return err
		}
		if err := w.audit("task.update", "task", t.ID, inc.ID, taskDiff(before, t)); err != nil {
			return err
		}
	}
	return nil
}
