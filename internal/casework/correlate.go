package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// CorrelationActor names the correlation worker in timelines and audit records.
const CorrelationActor = "correlation"

// identifierTypes says which asset identifiers an observable type can match.
var identifierTypes = map[alert.ObservableType][]asset.IdentifierType{
	alert.ObsHost:   {asset.IDHostname, asset.IDFQDN},
	alert.ObsDomain: {asset.IDFQDN, asset.IDHostname},
	alert.ObsIPv4:   {asset.IDIP},
	alert.ObsIPv6:   {asset.IDIP},
	alert.ObsUser:   {asset.IDUsername},
	alert.ObsEmail:  {asset.IDEmail, asset.IDUsername},
}

// CorrelationOutcome counts what one CorrelatePending call did.
type CorrelationOutcome struct {
	Looked   int
	Joined   int
	Opened   int
	Queued   int
	Silenced int
}

// CorrelatePending takes up to limit alerts awaiting correlation, oldest first, and for each:
// matches its observables to inventory assets and computes its priority; then, unless a silence
// muted it, joins it to the open incident that recently took an alert sharing a key (group
// rules), or opens an incident when an open rule matches, or leaves it in the triage queue.
// It all happens in one transaction, so a crash leaves the alerts pending for the next run.
func (s *Service) CorrelatePending(ctx context.Context, limit int) (CorrelationOutcome, error) {
	var out CorrelationOutcome
	var changed []*work
	err := s.store.Write(ctx, func(tx store.Tx) error {
		out, changed = CorrelationOutcome{}, nil
		pending, err := tx.Alerts().Pending(ctx, limit)
		if err != nil {
			return err
		}
		byOrg := map[string][]string{}
		works := map[string]*work{}
		for _, a := range pending {
			w := works[a.OrgID]
			if w == nil {
				p := access.Principal{OrgID: a.OrgID, Role: access.RoleAdmin, Username: CorrelationActor}
				w = &work{ctx: ctx, tx: tx, p: p, now: s.now().UTC()}
				works[a.OrgID] = w
				changed = append(changed, w)
			}
			out.Looked++
			if err := s.correlate(w, a, &out); err != nil {
				return fmt.Errorf("correlate alert %s: %w", a.ID, err)
			}
			byOrg[a.OrgID] = append(byOrg[a.OrgID], a.ID)
		}
		for org, ids := range byOrg {
			if err := tx.Alerts().MarkCorrelated(ctx, org, ids); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return CorrelationOutcome{}, err
	}
	if s.events != nil {
		for _, w := range changed {
			for _, c := range w.changes {
				s.events.Publish(w.p.OrgID, c.incidentID, c.action)
			}
			s.events.Publish(w.p.OrgID, "", "alerts.correlated")
		}
	}
	return out, nil
}

func (s *Service) correlate(w *work, a alert.Alert, out *CorrelationOutcome) error {
	if a.Status != alert.StatusNew || a.IncidentID != "" {
		return nil
	}
	before := a
	maxCrit, err := w.matchAssets(&a)
	if err != nil {
		return err
	}
	a.Priority = incident.ComputePriority(a.Severity, maxCrit)
	if a.SilenceID != "" {
		out.Silenced++
		return w.saveAlert(before, a)
	}
	for _, g := range s.rules.Group {
		keys := g.Keys(&a)
		if len(keys) == 0 {
			continue
		}
		incID, err := w.tx.Correlation().Find(w.ctx, a.OrgID, keys, w.now.Add(-time.Duration(g.Window)))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		inc, err := w.tx.Incidents().Get(w.ctx, a.OrgID, incID)
		if err != nil {
			return err
		}
		if err := w.saveAlert(before, a); err != nil {
			return err
		}
		a.Version = before.Version + boolToInt(alertChanged(before, a))
		if _, err := s.attach(w, inc, a, "correlate"); err != nil {
			return err
		}
		out.Joined++
		return nil
	}
	if rule, ok := s.rules.Opening(&a, maxCrit); ok {
		if err := w.saveAlert(before, a); err != nil {
			return err
		}
		a.Version = before.Version + boolToInt(alertChanged(before, a))
		ni := promotion(TriageRequest{Type: rule.Type}, []alert.Alert{a})
		ni.Summary = fmt.Sprintf("Opened by correlation rule %q from an alert of %s.", rule.Name, a.Source)
		inc, err := w.createIncident(ni)
		if err != nil {
			return err
		}
		if _, err := s.attach(w, inc, a, "open"); err != nil {
			return err
		}
		out.Opened++
		return nil
	}
	out.Queued++
	return w.saveAlert(before, a)
}

func boolToInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func alertChanged(before, after alert.Alert) bool {
	return before.Priority != after.Priority || !slices.Equal(before.AssetIDs, after.AssetIDs)
}

// saveAlert writes what correlation learned about an alert (assets, priority), if anything.
func (w *work) saveAlert(before, after alert.Alert) error {
	if !alertChanged(before, after) {
		return nil
	}
	return w.tx.Alerts().Update(w.ctx, after, before.Version)
}

// matchAssets fills in the inventory assets an alert's observables name and returns their
// highest criticality (0 for none).
func (w *work) matchAssets(a *alert.Alert) (int, error) {
	maxCrit := 0
	ids := slices.Clone(a.AssetIDs)
	for _, o := range a.Observables {
		for _, t := range identifierTypes[o.Type] {
			found, err := w.tx.Assets().FindByIdentifier(w.ctx, a.OrgID, asset.Identifier{Type: t, Value: o.Value})
			if err != nil {
				return 0, err
			}
			for _, as := range found {
				if !slices.Contains(ids, as.ID) {
					ids = append(ids, as.ID)
				}
				maxCrit = max(maxCrit, as.Criticality)
			}
		}
	}
	if len(ids) > 0 {
		a.AssetIDs = ids
	}
	return maxCrit, nil
}
