package casework

import (
	"context"
	"fmt"
	"slices"
	"sync"
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
	// Held counts the alerts an open rule matched that waited in the triage queue instead,
	// because the rules' open limit was reached (they are counted in Queued too).
	Held int
	// More is true when the run stopped at its budget with alerts of its batch left pending.
	More bool
}

// openLog remembers when correlation opened incidents, per organisation, over the last
// minute: what the rules' open limit counts. It is the node's own; with several nodes each
// keeps its own count.
type openLog struct {
	mu sync.Mutex
	at map[string][]time.Time
}

// since returns how many incidents the organisation had opened after t, forgetting older ones.
func (l *openLog) since(org string, t time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	times := l.at[org]
	i := 0
	for i < len(times) && !times[i].After(t) {
		i++
	}
	if i > 0 {
		l.at[org] = append(times[:0:0], times[i:]...)
	}
	return len(times) - i
}

// add notes n incidents opened for the organisation at t.
func (l *openLog) add(org string, n int, t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.at == nil {
		l.at = map[string][]time.Time{}
	}
	for range n {
		l.at[org] = append(l.at[org], t)
	}
}

// CorrelatePending takes up to limit alerts awaiting correlation, oldest first, and for each:
// matches its observables to inventory assets and computes its priority; then, unless a silence
// muted it, joins it to the open incident that recently took an alert sharing a key (group
// rules), or opens an incident when an open rule matches, or leaves it in the triage queue.
// It all happens in one transaction, so a crash leaves the alerts pending for the next run.
// A budget above zero bounds the run: once it has worked that long, after at least one alert,
// it commits what it did, and the alerts it did not reach stay pending (the outcome says More).
// A run holds the database's writer (and, on PostgreSQL, the head of the audit chain), so the
// budget bounds how long intake commits wait behind it.
//
// The inventory and the correlation keys are looked up once per organisation for the whole
// batch; what the batch itself adds (an incident opened by one alert) is seen by the alerts
// after it.
func (s *Service) CorrelatePending(ctx context.Context, limit int, budget time.Duration) (CorrelationOutcome, error) {
	var out CorrelationOutcome
	var changed []*work
	var batches []*batch
	err := s.store.Write(ctx, func(tx store.Tx) error {
		out, changed, batches = CorrelationOutcome{}, nil, nil
		began := time.Now()
		spent := func() bool {
			return budget > 0 && out.Looked > 0 && time.Since(began) >= budget
		}
		pending, err := tx.Alerts().Pending(ctx, limit)
		if err != nil {
			return err
		}
		var orgs []string
		byOrg := map[string][]alert.Alert{}
		for _, a := range pending {
			if byOrg[a.OrgID] == nil {
				orgs = append(orgs, a.OrgID)
			}
			byOrg[a.OrgID] = append(byOrg[a.OrgID], a)
		}
		for _, org := range orgs {
			if spent() {
				out.More = true
				break
			}
			p := access.Principal{OrgID: org, Role: access.RoleAdmin, Username: CorrelationActor}
			w := &work{ctx: ctx, tx: tx, p: p, now: s.now().UTC()}
			changed = append(changed, w)
			alerts := byOrg[org]
			b, err := s.newBatch(w, alerts)
			if err != nil {
				return err
			}
			batches = append(batches, b)
			ids := make([]string, 0, len(alerts))
			for _, a := range alerts {
				if spent() {
					out.More = true
					break
				}
				out.Looked++
				if err := s.correlate(w, b, a, &out); err != nil {
					return fmt.Errorf("correlate alert %s: %w", a.ID, err)
				}
				ids = append(ids, a.ID)
			}
			if err := tx.Alerts().MarkCorrelated(ctx, org, ids); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return CorrelationOutcome{}, err
	}
	for _, b := range batches {
		if s.rules.OpenLimit > 0 {
			s.opened.add(b.org, b.opened, b.now)
		}
		if b.held > 0 {
			s.log.Warn("correlation reached the open limit of its rules: alerts that would open incidents wait in the triage queue",
				"org", b.org, "limit", s.rules.OpenLimit, "held", b.held)
		}
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

// batch is what one correlation run knows of an organisation: the assets its alerts name and
// the incidents that took their keys, updated as the run attaches alerts.
type batch struct {
	assets map[asset.Identifier][]store.AssetRef
	hits   map[string]store.KeyHit
	org    string
	now    time.Time
	// recent is how many incidents correlation opened for the organisation in the minute
	// before the run; opened and held count this run's incidents and held-back alerts.
	recent, opened, held int
}

func (s *Service) newBatch(w *work, alerts []alert.Alert) (*batch, error) {
	var ids []asset.Identifier
	var keys []string
	var widest time.Duration
	for _, g := range s.rules.Group {
		widest = max(widest, time.Duration(g.Window))
	}
	for i := range alerts {
		a := &alerts[i]
		for _, o := range a.Observables {
			for _, t := range identifierTypes[o.Type] {
				ids = append(ids, asset.Identifier{Type: t, Value: o.Value})
			}
		}
		for _, g := range s.rules.Group {
			keys = append(keys, g.Keys(a)...)
		}
	}
	b := &batch{org: w.p.OrgID, now: w.now, recent: s.opened.since(w.p.OrgID, w.now.Add(-time.Minute))}
	var err error
	if b.assets, err = w.tx.Assets().MatchIdentifiers(w.ctx, w.p.OrgID, ids); err != nil {
		return nil, err
	}
	// Asset keys are known only once assets are matched: look those up with the rest.
	for i := range alerts {
		for _, ref := range b.refs(&alerts[i]) {
			keys = append(keys, "asset:"+ref.ID)
		}
	}
	if b.hits, err = w.tx.Correlation().Latest(w.ctx, w.p.OrgID, keys, w.now.Add(-widest)); err != nil {
		return nil, err
	}
	return b, nil
}

// refs lists the assets an alert's observables name.
func (b *batch) refs(a *alert.Alert) []store.AssetRef {
	var out []store.AssetRef
	for _, o := range a.Observables {
		for _, t := range identifierTypes[o.Type] {
			out = append(out, b.assets[asset.Identifier{Type: t, Value: o.Value}]...)
		}
	}
	return out
}

// joinable returns the open incident that took one of the alert's keys within a group rule's
// window most recently, if any.
func (s *Service) joinable(w *work, b *batch, a *alert.Alert) (string, bool) {
	for _, g := range s.rules.Group {
		since := w.now.Add(-time.Duration(g.Window))
		best := store.KeyHit{}
		for _, k := range g.Keys(a) {
			if h, ok := b.hits[k]; ok && !h.SeenAt.Before(since) && h.SeenAt.After(best.SeenAt) {
				best = h
			}
		}
		if best.IncidentID != "" {
			return best.IncidentID, true
		}
	}
	return "", false
}

// remember notes in the batch that an incident took an alert's keys now.
func (s *Service) remember(w *work, b *batch, a *alert.Alert, incidentID string) {
	for _, g := range s.rules.Group {
		for _, k := range g.Keys(a) {
			b.hits[k] = store.KeyHit{IncidentID: incidentID, SeenAt: w.now}
		}
	}
}

func (s *Service) correlate(w *work, b *batch, a alert.Alert, out *CorrelationOutcome) error {
	if a.Status != alert.StatusNew || a.IncidentID != "" {
		return nil
	}
	before := a
	maxCrit := 0
	for _, ref := range b.refs(&a) {
		if !slices.Contains(a.AssetIDs, ref.ID) {
			a.AssetIDs = append(slices.Clip(a.AssetIDs), ref.ID)
		}
		maxCrit = max(maxCrit, ref.Criticality)
	}
	a.Priority = incident.ComputePriority(a.Severity, maxCrit)
	if a.SilenceID != "" {
		out.Silenced++
		return w.saveAlert(before, a)
	}
	if incID, ok := s.joinable(w, b, &a); ok {
		inc, err := w.tx.Incidents().Get(w.ctx, a.OrgID, incID)
		if err != nil {
			return err
		}
		// attach writes the alert whole: its assets and priority with its incident.
		if _, err := s.attach(w, inc, a, "correlate"); err != nil {
			return err
		}
		s.remember(w, b, &a, inc.ID)
		out.Joined++
		return nil
	}
	rule, ok := s.rules.Opening(&a, maxCrit)
	if ok && s.rules.OpenLimit > 0 && b.recent+b.opened >= s.rules.OpenLimit {
		ok = false
		b.held++
		out.Held++
	}
	if ok {
		ni := promotion(TriageRequest{Type: rule.Type}, []alert.Alert{a})
		ni.Summary = fmt.Sprintf("Opened by correlation rule %q from an alert of %s.", rule.Name, a.Source)
		inc, err := w.createIncident(ni)
		if err != nil {
			return err
		}
		if _, err := s.attach(w, inc, a, "open"); err != nil {
			return err
		}
		s.remember(w, b, &a, inc.ID)
		b.opened++
		out.Opened++
		return nil
	}
	out.Queued++
	return w.saveAlert(before, a)
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
