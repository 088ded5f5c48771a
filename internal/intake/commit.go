package intake

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/store"
)

// commitTimeout bounds one batch's transaction.
const commitTimeout = 30 * time.Second

// commitLoop takes requests off the queue and commits them in batches until the queue closes.
//
// Batches form by themselves: while one transaction commits, the requests that arrive wait in
// the queue and go together into the next, up to BatchSize alerts. So a lone request at an
// idle moment commits at once, and under load each transaction (and its fsync) carries what
// came during the one before. With BatchDelay set, the committer also lingers that long for
// more when it already has several requests; by default it does not, because the senders of
// a batch can send again only once it has committed, and lingering for them only delays the
// commit they wait for (on a 2-core machine, 32 senders of single alerts got about half the
// requests per second with a 2 ms linger).
func (s *Service) commitLoop() {
	defer close(s.done)
	for {
		first, ok := <-s.queue
		if !ok {
			return
		}
		batch := []*request{first}
		n := len(first.alerts)
		open := true
		// Take what is already waiting.
	drain:
		for n < s.opts.BatchSize {
			select {
			case r, ok := <-s.queue:
				if !ok {
					open = false
					break drain
				}
				batch = append(batch, r)
				n += len(r.alerts)
			default:
				break drain
			}
		}
		if open && s.opts.BatchDelay > 0 && len(batch) > 1 && n < s.opts.BatchSize {
			timer := time.NewTimer(s.opts.BatchDelay)
		linger:
			for n < s.opts.BatchSize {
				select {
				case r, ok := <-s.queue:
					if !ok {
						open = false
						break linger
					}
					batch = append(batch, r)
					n += len(r.alerts)
				case <-timer.C:
					break linger
				}
			}
			timer.Stop()
		}
		s.commit(batch)
		if !open {
			// Closed while batching: commit whatever else is left, then stop.
			for r := range s.queue {
				s.commit([]*request{r})
			}
			return
		}
	}
}

// foldKey identifies the open alert a received alert folds into.
type foldKey struct{ org, source, fingerprint string }

// fold is one distinct open-alert key of a batch with the copies that share it.
type fold struct {
	key   foldKey
	alert alert.Alert
	n     int
	items []*Item
}

// orgShare is one organisation's part of a batch, for its audit record.
type orgShare struct {
	ids     []string
	summary batchAudit
}

// land records where a fold's alerts went: the receipt of each copy, the dedup index entry,
// and the organisation's audit summary.
func (f *fold) land(id string, created bool, learned map[foldKey]string, share func(string) *orgShare) {
	learned[f.key] = id
	for i, item := range f.items {
		item.ID, item.Outcome = id, OutcomeDuplicate
		if i == 0 && created {
			item.Outcome = OutcomeNew
		}
	}
	sh := share(f.key.org)
	sh.ids = append(sh.ids, id)
	if created {
		sh.summary.New++
		sh.summary.Repeats += f.n - 1
	} else {
		sh.summary.Repeats += f.n
	}
}

// storedRefs finds, for the alerts of a batch that carry their source's own id, the ones
// already stored, keyed by (organisation, source, ref).
func storedRefs(ctx context.Context, tx store.Tx, batch []*request) (map[[3]string]string, error) {
	wanted := map[[2]string][]string{}
	for _, r := range batch {
		for i := range r.alerts {
			if a := &r.alerts[i]; a.SourceRef != "" {
				k := [2]string{a.OrgID, a.Source}
				wanted[k] = append(wanted[k], a.SourceRef)
			}
		}
	}
	out := map[[3]string]string{}
	for k, refs := range wanted {
		found, err := tx.Alerts().FindBySourceRefs(ctx, k[0], k[1], refs)
		if err != nil {
			return nil, err
		}
		for ref, id := range found {
			out[[3]string{k[0], k[1], ref}] = id
		}
	}
	return out, nil
}

// commit writes one batch in one transaction and answers its requests.
func (s *Service) commit(batch []*request) {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	var learned map[foldKey]string
	var forgotten []foldKey
	now := s.opts.Now().UTC()
	err := s.store.Write(ctx, func(tx store.Tx) error {
		learned, forgotten = map[foldKey]string{}, nil
		for _, r := range batch {
			r.receipt = Receipt{Alerts: make([]Item, len(r.alerts))}
		}
		var folds []*fold
		byKey := map[foldKey]*fold{}
		refs := map[[3]string]*Item{}
		stored, err := storedRefs(ctx, tx, batch)
		if err != nil {
			return err
		}
		shares := map[string]*orgShare{}
		share := func(org string) *orgShare {
			if shares[org] == nil {
				shares[org] = &orgShare{}
			}
			return shares[org]
		}
		for _, r := range batch {
			for i := range r.alerts {
				a := &r.alerts[i]
				item := &r.receipt.Alerts[i]
				item.Silenced = a.SilenceID != ""
				if a.SourceRef != "" {
					ref := [3]string{a.OrgID, a.Source, a.SourceRef}
					if prior := refs[ref]; prior != nil {
						item.ID, item.Outcome = prior.ID, OutcomeDuplicate
						continue
					}
					if id, ok := stored[ref]; ok {
						// A retry of an alert already stored: report it, count nothing.
						item.ID, item.Outcome = id, OutcomeDuplicate
						refs[ref] = item
						continue
					}
					refs[ref] = item
				}
				key := foldKey{a.OrgID, a.Source, a.Fingerprint}
				if a.Status == alert.StatusResolved {
					id, err := tx.Alerts().ResolveOpen(ctx, a.OrgID, a.Source, a.Fingerprint, a.LastSeen)
					if errors.Is(err, store.ErrNotFound) {
						// An all-clear for an alert never seen: keep it, as a resolved alert.
						id, _, err = tx.Alerts().Ingest(ctx, *a, 1)
					}
					if err != nil {
						return err
					}
					item.ID, item.Outcome = id, OutcomeResolved
					forgotten = append(forgotten, key)
					delete(byKey, key)
					sh := share(a.OrgID)
					sh.ids = append(sh.ids, id)
					sh.summary.Resolved++
					continue
				}
				if f := byKey[key]; f != nil {
					f.n++
					if a.Severity.Rank() > f.alert.Severity.Rank() {
						f.alert.Severity = a.Severity
					}
					if a.LastSeen.After(f.alert.LastSeen) {
						f.alert.LastSeen = a.LastSeen
					}
					f.items = append(f.items, item)
					continue
				}
				f := &fold{key: key, alert: *a, n: 1, items: []*Item{item}}
				byKey[key] = f
				folds = append(folds, f)
			}
			if r.actor != "" {
				sh := share(r.orgID)
				if !slices.Contains(sh.summary.Senders, r.actor) {
					sh.summary.Senders = append(sh.summary.Senders, r.actor)
				}
			}
		}
		// Repeats of open alerts this node knows update them by id; the rest go in one
		// IngestMany, where the database's unique index decides between new and repeat.
		var toIngest []*fold
		var items []store.IngestItem
		for _, f := range folds {
			if known, ok := s.dedup.get(f.key); ok {
				bumped, err := tx.Alerts().Bump(ctx, f.key.org, known, f.n, f.alert.LastSeen, f.alert.Severity)
				if err != nil {
					return err
				}
				if bumped {
					f.land(known, false, learned, share)
					continue
				}
				forgotten = append(forgotten, f.key)
			}
			toIngest = append(toIngest, f)
			items = append(items, store.IngestItem{Alert: f.alert, N: f.n})
		}
		results, err := tx.Alerts().IngestMany(ctx, items)
		if err != nil {
			return err
		}
		for i, f := range toIngest {
			f.land(results[i].ID, results[i].Created, learned, share)
		}
		orgs := make([]string, 0, len(shares))
		for org := range shares {
			orgs = append(orgs, org)
		}
		slices.Sort(orgs)
		for _, org := range orgs {
			sh := shares[org]
			if len(sh.ids) == 0 {
				continue
			}
			rec := newAuditRecord(org, now, sh.ids, sh.summary)
			if err := tx.Audit().Append(ctx, &rec); err != nil {
				return err
			}
		}
		for _, r := range batch {
			if r.key == "" {
				continue
			}
			answer, err := json.Marshal(r.receipt)
			if err != nil {
				return err
			}
			if err := tx.Idempotency().Put(ctx, r.orgID, r.key, answer, now); err != nil {
				return err
			}
		}
		return nil
	})
	s.stats.Batches.Add(1)
	if err != nil {
		// Every alert of the batch was valid: a failure here is the storage's, and the
		// senders must hear "retry", never "bad request" or "server error".
		if !errors.Is(err, store.ErrUnavailable) {
			err = fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		s.stats.Failed.Add(int64(len(batch)))
		s.log.Error("intake: commit batch", "requests", len(batch), "err", err)
		for _, r := range batch {
			r.err = err
			close(r.done)
		}
		return
	}
	for _, k := range forgotten {
		s.dedup.forget(k)
	}
	for k, id := range learned {
		s.dedup.put(k, id)
	}
	orgs := map[string]bool{}
	for _, r := range batch {
		orgs[r.orgID] = true
		for _, it := range r.receipt.Alerts {
			if it.Outcome == OutcomeNew {
				s.stats.New.Add(1)
			} else {
				s.stats.Duplicates.Add(1)
			}
		}
		close(r.done)
	}
	if s.opts.OnCommit != nil {
		list := make([]string, 0, len(orgs))
		for o := range orgs {
			list = append(list, o)
		}
		s.opts.OnCommit(list)
	}
}

// dedupIndex maps open-alert keys to alert ids. It is a cache: a stale entry only costs a
// failed Bump, after which Ingest and the database's unique index decide.
type dedupIndex struct {
	mu  sync.Mutex
	max int
	m   map[foldKey]string
}

func newDedupIndex(max int) *dedupIndex { return &dedupIndex{max: max, m: map[foldKey]string{}} }

func (d *dedupIndex) get(k foldKey) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, ok := d.m[k]
	return id, ok
}

func (d *dedupIndex) put(k foldKey, id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.m) >= d.max {
		// Start over rather than track recency: the hot keys of a storm come back at once.
		d.m = map[foldKey]string{}
	}
	d.m[k] = id
}

func (d *dedupIndex) forget(k foldKey) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.m, k)
}

// newEntropy is the randomness behind alert ids.
func newEntropy() io.Reader { return rand.Reader }
