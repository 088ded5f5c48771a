// Package intake takes alerts in: it normalises what the parsers of each format produce, marks
// silenced alerts, and writes alerts through a group committer that shares one transaction
// among many requests, folds repeats of one fingerprint, and answers each request only once its
// alerts are durably committed. It also authenticates intake sources by their tokens and keeps
// the answers of requests that carried an Idempotency-Key. docs/intake.md tells the whole path.
package intake

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

// Errors of Submit besides validation errors and store.ErrUnavailable.
var (
	// ErrOverloaded: the queue of the committer is full; the sender should retry later.
	ErrOverloaded = errors.New("intake is overloaded")
	// ErrClosed: the service is shutting down.
	ErrClosed = errors.New("intake is shutting down")
)

// Options tune a Service; zero values pick the defaults.
type Options struct {
	// BatchSize is the most alerts one transaction takes (default 2000).
	BatchSize int
	// BatchDelay is how long the committer lingers for more requests when it already has
	// several (default 0: it never lingers). Requests that arrive while a transaction commits
	// share the next one anyway; lingering only adds latency unless a commit costs far more
	// than the wait, as on a disk whose fsync takes tens of milliseconds.
	BatchDelay time.Duration
	// QueueSize bounds the requests waiting for the committer (default 4096); beyond it
	// Submit fails with ErrOverloaded.
	QueueSize int
	// MaxRaw caps the raw payload kept per alert (default alert.DefaultMaxRaw).
	MaxRaw int
	// MaxRawBySource overrides MaxRaw for a source, such as "email" whose raw payload is the
	// reported message.
	MaxRawBySource map[string]int
	// DedupEntries bounds the in-memory index of open fingerprints (default 100,000).
	DedupEntries int
	// SilenceRefresh is how often the active silences are reloaded (default 2s).
	SilenceRefresh time.Duration
	// Now is the clock; time.Now by default.
	Now    func() time.Time
	Logger *slog.Logger
	// OnCommit, when set, is told after each committed batch which organisations got alerts,
	// so that live views refresh and the correlation worker wakes.
	OnCommit func(orgIDs []string)
}

// Service is the intake engine. Start it with Start and stop it with Close.
type Service struct {
	store store.Store
	opts  Options
	log   *slog.Logger

	queue  chan *request
	closed atomic.Bool
	done   chan struct{}

	dedup    *dedupIndex
	silences silenceCache
	sources  sourceCache

	stats Stats
}

// Stats counts what the service did since it started.
type Stats struct {
	Requests   atomic.Int64
	Alerts     atomic.Int64
	New        atomic.Int64
	Duplicates atomic.Int64
	Batches    atomic.Int64
	Overloaded atomic.Int64
	Failed     atomic.Int64
}

// New returns a Service on st; call Start before Submit.
func New(st store.Store, opts Options) *Service {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 2000
	}
	opts.BatchDelay = max(opts.BatchDelay, 0)
	if opts.QueueSize <= 0 {
		opts.QueueSize = 4096
	}
	if opts.MaxRaw <= 0 {
		opts.MaxRaw = alert.DefaultMaxRaw
	}
	if opts.DedupEntries <= 0 {
		opts.DedupEntries = 100_000
	}
	if opts.SilenceRefresh <= 0 {
		opts.SilenceRefresh = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{store: st, opts: opts, log: opts.Logger, queue: make(chan *request, opts.QueueSize),
		done: make(chan struct{}), dedup: newDedupIndex(opts.DedupEntries)}
}

// Stats returns the service's counters.
func (s *Service) Stats() *Stats { return &s.stats }

// Queued is the number of requests waiting for the committer.
func (s *Service) Queued() int { return len(s.queue) }

// IdempotencyKeep is how long the answer to a request with an Idempotency-Key is kept.
const IdempotencyKeep = 24 * time.Hour

// Start runs the committer, and the pruning of old idempotency answers, until Close.
func (s *Service) Start() {
	go s.commitLoop()
	go s.pruneLoop()
}

// pruneLoop deletes stored answers older than IdempotencyKeep, hourly.
func (s *Service) pruneLoop() {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if n, err := s.PruneIdempotency(ctx, IdempotencyKeep); err != nil {
				s.log.Warn("intake: prune idempotency answers", "err", err)
			} else if n > 0 {
				s.log.Debug("intake: pruned idempotency answers", "count", n)
			}
			cancel()
		}
	}
}

// Close stops taking requests, commits what is queued and returns when the committer has
// stopped or ctx ends.
func (s *Service) Close(ctx context.Context) error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.queue)
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Outcome says what became of one submitted alert.
type Outcome string

// Outcomes.
const (
	OutcomeNew       Outcome = "new"
	OutcomeDuplicate Outcome = "duplicate"
	OutcomeResolved  Outcome = "resolved"
)

// Item is the receipt of one alert.
type Item struct {
	ID       string  `json:"id"`
	Outcome  Outcome `json:"outcome"`
	Silenced bool    `json:"silenced,omitempty"`
}

// Receipt is the answer to one intake request: one item per alert, in request order.
type Receipt struct {
	Alerts []Item `json:"alerts"`
}

// Request is one intake request.
type Request struct {
	OrgID  string
	Inputs []alert.Input
	// IdempotencyKey, when set, makes a retry of the request get the first answer.
	IdempotencyKey string
	// Actor names the sender in the audit record, such as "intake:prod-alertmanager".
	Actor string
}

// MaxIdempotencyKey bounds the length of an Idempotency-Key.
const MaxIdempotencyKey = 255

// request is a Request on its way through the committer.
type request struct {
	orgID   string
	alerts  []alert.Alert
	key     string
	actor   string
	receipt Receipt
	err     error
	done    chan struct{}
}

// Submit normalises and stores the alerts of one request and returns its receipt once they are
// committed. Invalid input is a *validation.Error naming the alert ("/3/title" for the fourth
// of several); nothing of such a request is stored. Other errors are ErrOverloaded, ErrClosed
// and store.ErrUnavailable.
func (s *Service) Submit(ctx context.Context, req Request) (Receipt, error) {
	s.stats.Requests.Add(1)
	if len(req.Inputs) == 0 {
		return Receipt{}, validation.Errorf("", "the request holds no alert")
	}
	if len(req.IdempotencyKey) > MaxIdempotencyKey {
		return Receipt{}, validation.Errorf("?Idempotency-Key", "is longer than %d characters", MaxIdempotencyKey)
	}
	if req.IdempotencyKey != "" {
		if r, ok, err := s.answered(ctx, req.OrgID, req.IdempotencyKey); err != nil || ok {
			return r, err
		}
	}
	now := s.opts.Now().UTC()
	entropy := ulid.Monotonic(newEntropy(), 0)
	alerts := make([]alert.Alert, len(req.Inputs))
	for i, in := range req.Inputs {
		maxRaw := s.opts.MaxRaw
		if m, ok := s.opts.MaxRawBySource[in.Source]; ok {
			maxRaw = m
		}
		a, err := alert.Normalise(in, now, maxRaw)
		if err != nil {
			if len(req.Inputs) > 1 {
				if v, ok := validation.As(err); ok {
					return Receipt{}, validation.Errorf(fmt.Sprintf("/%d%s", i, v.Pointer), "%s", v.Detail)
				}
			}
			return Receipt{}, err
		}
		a.ID = ulid.MustNew(ulid.Timestamp(now), entropy).String()
		a.OrgID = req.OrgID
		a.FirstSeen, a.LastSeen, a.Count, a.Version = now, now, 1, 1
		a.Status = alert.StatusNew
		if in.Resolved {
			a.Status = alert.StatusResolved
		}
		if id := s.silences.match(ctx, s, &a, now); id != "" {
			a.SilenceID = id
		}
		alerts[i] = a
	}
	r := &request{orgID: req.OrgID, alerts: alerts, key: req.IdempotencyKey, actor: req.Actor, done: make(chan struct{})}
	if err := s.enqueue(r); err != nil {
		return Receipt{}, err
	}
	// The request is committed or failed by the committer whatever happens to ctx: a sender
	// that gave up may still have its alerts stored, which a retry then reports as duplicates.
	select {
	case <-r.done:
	case <-ctx.Done():
		return Receipt{}, ctx.Err()
	}
	if r.err != nil {
		return Receipt{}, r.err
	}
	s.stats.Alerts.Add(int64(len(alerts)))
	return r.receipt, nil
}

func (s *Service) enqueue(r *request) (err error) {
	if s.closed.Load() {
		return ErrClosed
	}
	defer func() {
		// The queue was closed between the check and the send.
		if recover() != nil {
			err = ErrClosed
		}
	}()
	select {
	case s.queue <- r:
		return nil
	default:
		s.stats.Overloaded.Add(1)
		return ErrOverloaded
	}
}

// answered returns the stored answer to an earlier request with the same key.
func (s *Service) answered(ctx context.Context, orgID, key string) (Receipt, bool, error) {
	var raw []byte
	err := s.store.Read(ctx, func(tx store.Tx) error {
		var err error
		raw, err = tx.Idempotency().Get(ctx, orgID, key)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return Receipt{}, false, nil
	}
	if err != nil {
		return Receipt{}, false, err
	}
	var r Receipt
	if err := json.Unmarshal(raw, &r); err != nil {
		return Receipt{}, false, fmt.Errorf("stored answer of idempotency key: %w", err)
	}
	return r, true, nil
}

// PruneIdempotency deletes stored answers older than keep.
func (s *Service) PruneIdempotency(ctx context.Context, keep time.Duration) (int, error) {
	var n int
	err := s.store.Write(ctx, func(tx store.Tx) error {
		var err error
		n, err = tx.Idempotency().Prune(ctx, s.opts.Now().Add(-keep))
		return err
	})
	return n, err
}

// sourceTTL is how long an authenticated intake source is remembered; a revoked token stops
// working within this time on every node.
const sourceTTL = 5 * time.Second

type sourceCache struct {
	mu      sync.Mutex
	entries map[string]cachedSource
}

type cachedSource struct {
	src     alert.IntakeSource
	expires time.Time
}

// ErrBadToken is returned for a missing, unknown or revoked intake token.
var ErrBadToken = errors.New("invalid intake token")

// Authenticate finds the active intake source of a token. The token's hash is looked up and
// then compared in constant time; unknown, malformed and revoked tokens all give ErrBadToken.
func (s *Service) Authenticate(ctx context.Context, token string) (alert.IntakeSource, error) {
	if len(token) < len(alert.IntakeTokenPrefix)+16 || len(token) > 128 || token[:len(alert.IntakeTokenPrefix)] != alert.IntakeTokenPrefix {
		return alert.IntakeSource{}, ErrBadToken
	}
	hash := alert.HashIntakeToken(token)
	now := s.opts.Now()
	s.sources.mu.Lock()
	c, ok := s.sources.entries[hash]
	s.sources.mu.Unlock()
	if ok && now.Before(c.expires) && subtle.ConstantTimeCompare([]byte(c.src.Hash), []byte(hash)) == 1 {
		return c.src, nil
	}
	var src alert.IntakeSource
	err := s.store.Read(ctx, func(tx store.Tx) error {
		var err error
		src, err = tx.IntakeSources().GetByHash(ctx, hash)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return alert.IntakeSource{}, ErrBadToken
	}
	if err != nil {
		return alert.IntakeSource{}, err
	}
	if subtle.ConstantTimeCompare([]byte(src.Hash), []byte(hash)) != 1 || !src.Active() {
		return alert.IntakeSource{}, ErrBadToken
	}
	s.sources.mu.Lock()
	if s.sources.entries == nil || len(s.sources.entries) > 10_000 {
		s.sources.entries = map[string]cachedSource{}
	}
	first := !ok
	s.sources.entries[hash] = cachedSource{src: src, expires: now.Add(sourceTTL)}
	s.sources.mu.Unlock()
	if first {
		// Last-used time, at most once per cache period; a failure here must not refuse intake.
		if err := s.store.Write(ctx, func(tx store.Tx) error { return tx.IntakeSources().Touch(ctx, src.ID, now) }); err != nil {
			s.log.Warn("intake: record last use of source", "source", src.Name, "err", err)
		}
	}
	return src, nil
}

// Forget drops a source from the authentication cache, after it was revoked on this node.
func (s *Service) Forget(hash string) {
	s.sources.mu.Lock()
	delete(s.sources.entries, hash)
	s.sources.mu.Unlock()
}

// silenceCache holds the active silences of every organisation, reloaded periodically.
type silenceCache struct {
	mu     sync.Mutex
	loaded time.Time
	byOrg  map[string][]alert.Silence
}

// match returns the id of an active silence that mutes a, or "".
func (c *silenceCache) match(ctx context.Context, s *Service, a *alert.Alert, now time.Time) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.loaded) >= s.opts.SilenceRefresh || now.Before(c.loaded) {
		var list []alert.Silence
		err := s.store.Read(ctx, func(tx store.Tx) error {
			var err error
			list, err = tx.Silences().ListActive(ctx, now)
			return err
		})
		if err != nil {
			// Keep the silences we had: a silence is a convenience, the alert is stored either way.
			s.log.Warn("intake: reload silences", "err", err)
		} else {
			c.byOrg = map[string][]alert.Silence{}
			for _, sil := range list {
				if err := sil.Validate(); err != nil {
					continue
				}
				c.byOrg[sil.OrgID] = append(c.byOrg[sil.OrgID], sil)
			}
			c.loaded = now
		}
	}
	for i := range c.byOrg[a.OrgID] {
		sil := &c.byOrg[a.OrgID][i]
		if sil.Active(now) && sil.Matches(a) {
			return sil.ID
		}
	}
	return ""
}

// ReloadSilences makes the next alert reload the silences, after one was created or expired.
func (s *Service) ReloadSilences() {
	s.silences.mu.Lock()
	s.silences.loaded = time.Time{}
	s.silences.mu.Unlock()
}

// batchAudit is what the audit record of one organisation's share of a batch says.
type batchAudit struct {
	New       int      `json:"new"`
	Repeats   int      `json:"repeats"`
	Resolved  int      `json:"resolved"`
	IDsSHA256 string   `json:"ids_sha256"`
	FirstID   string   `json:"first_id"`
	LastID    string   `json:"last_id"`
	Senders   []string `json:"senders"`
}

func newAuditRecord(orgID string, at time.Time, ids []string, a batchAudit) audit.Record {
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{'\n'})
	}
	a.IDsSHA256 = hex.EncodeToString(h.Sum(nil))
	if len(ids) > 0 {
		a.FirstID, a.LastID = ids[0], ids[len(ids)-1]
	}
	return audit.Record{ID: ulid.Make().String(), OrgID: orgID, At: at, Actor: "intake", Action: "alerts.ingested",
		ObjectType: "alert_batch", ObjectID: a.FirstID, Changes: audit.JSON(a)}
}
