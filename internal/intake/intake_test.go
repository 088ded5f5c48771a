package intake_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/intake"
	"github.com/quell-ir/quell/internal/intake/formats"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

type env struct {
	t     *testing.T
	ctx   context.Context
	st    *sqlite.Store
	in    *intake.Service
	cases *casework.Service
	org   string
	admin access.Principal
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "quell.db"), sqlite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	org := access.Org{ID: casework.NewID(), Slug: "default", Name: "Default", CreatedAt: time.Now()}
	require.NoError(t, st.Write(ctx, func(tx store.Tx) error { return tx.Orgs().Create(ctx, org) }))
	in := intake.New(st, intake.Options{})
	in.Start()
	t.Cleanup(func() { _ = in.Close(context.Background()) })
	return &env{t: t, ctx: ctx, st: st, in: in, cases: casework.New(st, casework.Options{}), org: org.ID,
		admin: access.Principal{OrgID: org.ID, Role: access.RoleAdmin, Username: "admin"}}
}

func (e *env) submit(inputs ...alert.Input) intake.Receipt {
	e.t.Helper()
	r, err := e.in.Submit(e.ctx, intake.Request{OrgID: e.org, Inputs: inputs, Actor: "intake:test"})
	require.NoError(e.t, err)
	require.Len(e.t, r.Alerts, len(inputs))
	return r
}

func (e *env) get(id string) alert.Alert {
	e.t.Helper()
	a, err := e.cases.GetAlert(e.ctx, e.admin, id)
	require.NoError(e.t, err)
	return a
}

func TestFoldingWithinABatchAndAcross(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	storm := make([]alert.Input, 1000)
	for i := range storm {
		storm[i] = alert.Input{Source: "ids", Title: "SYN flood", Fingerprint: "flood", Severity: "low"}
	}
	storm[500].Severity = "high"
	r := e.submit(storm...)
	require.Equal(t, intake.OutcomeNew, r.Alerts[0].Outcome)
	for _, it := range r.Alerts[1:] {
		require.Equal(t, r.Alerts[0].ID, it.ID)
		require.Equal(t, intake.OutcomeDuplicate, it.Outcome)
	}
	a := e.get(r.Alerts[0].ID)
	require.Equal(t, 1000, a.Count)
	require.Equal(t, incident.SeverityHigh, a.Severity, "the worst severity of the copies wins")

	// Across requests, from many senders at once: every copy is counted exactly once.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 10 {
				_, err := e.in.Submit(e.ctx, intake.Request{OrgID: e.org, Inputs: []alert.Input{
					{Source: "ids", Title: "SYN flood", Fingerprint: "flood"},
					{Source: "ids", Title: "Other", Fingerprint: "other"},
				}})
				require.NoError(t, err)
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1200, e.get(r.Alerts[0].ID).Count)

	// Each committed batch left one audit record naming what arrived, and the chain verifies.
	var ingested int
	v := audit.NewVerifier()
	require.NoError(t, e.st.Read(e.ctx, func(tx store.Tx) error {
		return tx.Audit().Walk(e.ctx, func(rec audit.Record) error {
			if rec.Action == "alerts.ingested" {
				var c struct{ New, Repeats int }
				require.NoError(t, json.Unmarshal(rec.Changes, &c))
				ingested += c.New + c.Repeats
			}
			return v.Check(rec)
		})
	}))
	require.Equal(t, 1000+400, ingested)
}

func TestValidationNamesTheAlertAndStoresNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.in.Submit(e.ctx, intake.Request{OrgID: e.org, Inputs: []alert.Input{
		{Source: "ids", Title: "fine"}, {Source: "ids", Title: "  "},
	}})
	require.ErrorContains(t, err, "/1/title")
	n, err := e.cases.CountAlerts(e.ctx, e.admin, store.AlertFilter{})
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestSilencedAlertsAreKeptAndMarked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sil, err := e.cases.CreateSilence(e.ctx, e.admin, casework.NewSilence{
		Matchers: []alert.Matcher{{Name: "source", Op: alert.OpEqual, Value: "scanner"}, {Name: "host", Op: alert.OpRegex, Value: "lab-.*"}},
		EndsAt:   time.Now().Add(time.Hour), Reason: "Weekly vulnerability scan"})
	require.NoError(t, err)
	e.in.ReloadSilences()
	r := e.submit(
		alert.Input{Source: "scanner", Title: "Port scan", Labels: map[string]string{"host": "lab-3"}},
		alert.Input{Source: "scanner", Title: "Port scan", Labels: map[string]string{"host": "web-1"}},
	)
	require.True(t, r.Alerts[0].Silenced)
	require.False(t, r.Alerts[1].Silenced)
	require.Equal(t, sil.ID, e.get(r.Alerts[0].ID).SilenceID)
	_, err = e.cases.CorrelatePending(e.ctx, 100, 0)
	require.NoError(t, err)
	a := e.get(r.Alerts[0].ID)
	require.Equal(t, alert.StatusNew, a.Status, "a silenced alert stays out of correlation but is kept")
}

func TestCorrelationOpensJoinsAndQueues(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	db, err := e.cases.CreateAsset(e.ctx, e.admin, casework.NewAsset{Kind: asset.KindHost, Name: "db-01", Criticality: 4,
		Identifiers: []asset.Identifier{{Type: asset.IDHostname, Value: "db-01"}, {Type: asset.IDIP, Value: "10.1.2.3"}}})
	require.NoError(t, err)

	// High severity on a criticality-4 asset opens an incident by itself.
	r := e.submit(alert.Input{Source: "edr", Title: "Credential dumping on db-01", Severity: "high",
		Observables: []alert.Observable{{Type: alert.ObsHost, Value: "db-01"}}})
	out, err := e.cases.CorrelatePending(e.ctx, 100, 0)
	require.NoError(t, err)
	require.Equal(t, 1, out.Opened)
	first := e.get(r.Alerts[0].ID)
	require.Equal(t, alert.StatusPromoted, first.Status)
	require.Equal(t, []string{db.ID}, first.AssetIDs)
	require.Equal(t, incident.P1, first.Priority)
	require.NotEmpty(t, first.IncidentID)

	// A later, low alert naming the same asset by address joins that incident.
	r2 := e.submit(alert.Input{Source: "ids", Title: "Outbound connection from 10.1.2.3 to 198.51.100.7", Severity: "low"})
	// An unrelated low alert waits in the queue.
	r3 := e.submit(alert.Input{Source: "ids", Title: "Ping sweep from 10.9.9.9", Severity: "low"})
	out, err = e.cases.CorrelatePending(e.ctx, 100, 0)
	require.NoError(t, err)
	require.Equal(t, 1, out.Joined)
	require.Equal(t, 1, out.Queued)
	joined := e.get(r2.Alerts[0].ID)
	require.Equal(t, first.IncidentID, joined.IncidentID)
	require.Equal(t, []string{db.ID}, joined.AssetIDs, "the joined alert names the asset it matched")
	require.Equal(t, incident.ComputePriority(joined.Severity, 4), joined.Priority, "and is ranked by its criticality")
	require.NotEqual(t, incident.ComputePriority(joined.Severity, 0), joined.Priority)
	require.Equal(t, alert.StatusNew, e.get(r3.Alerts[0].ID).Status)

	// Both joined alerts are on the incident's timeline; the asset is linked.
	inc, err := e.cases.GetIncident(e.ctx, e.admin, first.IncidentID)
	require.NoError(t, err)
	page, err := e.cases.ListTimeline(e.ctx, e.admin, inc.Key, store.TimelineFilter{Kinds: []incident.EntryKind{incident.KindAlert}})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	links, err := e.cases.IncidentAssets(e.ctx, e.admin, inc.Key)
	require.NoError(t, err)
	require.Len(t, links, 1)
	require.Equal(t, db.ID, links[0].AssetID)

	// A run with a budget stops once it is spent, after one alert at least; the alerts it did
	// not reach stay pending for the next run.
	for _, title := range []string{"Port scan from 10.9.8.1", "Port scan from 10.9.8.2", "Port scan from 10.9.8.3"} {
		e.submit(alert.Input{Source: "ids", Title: title, Severity: "low"})
	}
	out, err = e.cases.CorrelatePending(e.ctx, 100, time.Nanosecond)
	require.NoError(t, err)
	require.Equal(t, 1, out.Looked)
	require.True(t, out.More)
	out, err = e.cases.CorrelatePending(e.ctx, 100, 0)
	require.NoError(t, err)
	require.Equal(t, 2, out.Looked, "the two left over, and nothing twice")
	require.False(t, out.More)

	// Correlation ran once per alert: nothing is pending any more.
	out, err = e.cases.CorrelatePending(e.ctx, 100, 0)
	require.NoError(t, err)
	require.Zero(t, out.Looked)

	// Triage: promote the queued one with another into a new incident; dismissing needs a verdict.
	r4 := e.submit(alert.Input{Source: "ids", Title: "Ping sweep from 10.9.9.10", Severity: "medium"})
	_, err = e.cases.Triage(e.ctx, e.admin, casework.TriageRequest{IDs: []string{r4.Alerts[0].ID}, Action: casework.TriageDismiss})
	require.ErrorContains(t, err, "verdict")
	res, err := e.cases.Triage(e.ctx, e.admin, casework.TriageRequest{IDs: []string{r3.Alerts[0].ID, r4.Alerts[0].ID},
		Action: casework.TriagePromote, Type: incident.TypeUnauthorizedAccess})
	require.NoError(t, err)
	require.Equal(t, incident.SeverityMedium, res.Incident.Severity, "the worst severity of the alerts")
	require.Contains(t, res.Incident.Title, "+1 related")
	for _, a := range res.Alerts {
		require.Equal(t, res.Incident.ID, a.IncidentID)
	}
	viewer := access.Principal{OrgID: e.org, Role: access.RoleViewer, Username: "vera", UserID: "01VIEWER"}
	_, err = e.cases.Triage(e.ctx, viewer, casework.TriageRequest{IDs: []string{r3.Alerts[0].ID}, Action: casework.TriageDismiss, Verdict: alert.VerdictBenign})
	require.ErrorIs(t, err, access.ErrForbidden)
}

func TestSuricataSamplesDeduplicate(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "..", "shared", "data", "suricata", "wrccdc-2018-alerts.json")
	body, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("the shared Suricata samples are not here (%v)", err)
	}
	parse, ok := formats.Lookup("suricata")
	require.True(t, ok)
	inputs, err := parse(body)
	require.NoError(t, err)
	e := newEnv(t)
	r := e.submit(inputs...)
	signatures := map[string]bool{}
	for _, in := range inputs {
		signatures[in.Fingerprint] = true
	}
	ids := map[string]bool{}
	for _, it := range r.Alerts {
		ids[it.ID] = true
	}
	require.Len(t, ids, len(signatures), "one alert per signature")
	// Posting the same events again stores nothing new: each is a retry of an event already stored.
	again := e.submit(inputs...)
	for _, it := range again.Alerts {
		require.Equal(t, intake.OutcomeDuplicate, it.Outcome)
		require.True(t, ids[it.ID], fmt.Sprintf("alert %s is one of the first", it.ID))
	}
}

func TestOverloadAndClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A service whose committer has not started yet: its queue of one fills at once.
	in := intake.New(e.st, intake.Options{QueueSize: 1})
	require.Eventually(t, func() bool {
		// The first request takes the one place in the queue and waits (its sender gives
		// up, the request stays queued); the next is refused at once.
		ctx, cancel := context.WithTimeout(e.ctx, 20*time.Millisecond)
		defer cancel()
		_, err := in.Submit(ctx, intake.Request{OrgID: e.org, Inputs: []alert.Input{{Source: "ids", Title: "probe"}}})
		return errors.Is(err, intake.ErrOverloaded)
	}, 5*time.Second, time.Millisecond)
	// Starting and closing commits what was queued before the close, then refuses.
	in.Start()
	require.NoError(t, in.Close(e.ctx))
	_, err := in.Submit(e.ctx, intake.Request{OrgID: e.org, Inputs: []alert.Input{{Source: "ids", Title: "late"}}})
	require.ErrorIs(t, err, intake.ErrClosed)
	n, err := e.cases.CountAlerts(e.ctx, e.admin, store.AlertFilter{Query: "probe"})
	require.NoError(t, err)
	require.Equal(t, 1, n, "the queued request was committed, the refused ones were not")
}

func TestPromotingALongTitle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	long := strings.Repeat("Suspicious outbound connection ", 16)
	r := e.submit(alert.Input{Source: "ids", Title: long + "a"}, alert.Input{Source: "ids", Title: long + "b"})
	res, err := e.cases.Triage(e.ctx, e.admin, casework.TriageRequest{IDs: []string{r.Alerts[0].ID, r.Alerts[1].ID}, Action: casework.TriagePromote})
	require.NoError(t, err)
	require.LessOrEqual(t, len(res.Incident.Title), incident.MaxTitle)
	require.True(t, strings.HasSuffix(res.Incident.Title, "… (+1 related alerts)"), res.Incident.Title)
}

func TestIdempotencyAnswersArePruned(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req := intake.Request{OrgID: e.org, Inputs: []alert.Input{{Source: "ids", Title: "once"}}, IdempotencyKey: "k-1"}
	first, err := e.in.Submit(e.ctx, req)
	require.NoError(t, err)
	again, err := e.in.Submit(e.ctx, req)
	require.NoError(t, err)
	require.Equal(t, first, again)
	n, err := e.in.PruneIdempotency(e.ctx, time.Hour)
	require.NoError(t, err)
	require.Zero(t, n, "a fresh answer is kept")
	n, err = e.in.PruneIdempotency(e.ctx, -time.Minute)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	third, err := e.in.Submit(e.ctx, req)
	require.NoError(t, err)
	require.Equal(t, first.Alerts[0].ID, third.Alerts[0].ID, "the same alert, now as a repeat")
	require.Equal(t, intake.OutcomeDuplicate, third.Alerts[0].Outcome)
}

func TestABurstOpensOneIncident(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.cases.CreateAsset(e.ctx, e.admin, casework.NewAsset{Kind: asset.KindHost, Name: "dc-01", Criticality: 4,
		Identifiers: []asset.Identifier{{Type: asset.IDHostname, Value: "dc-01"}}})
	require.NoError(t, err)
	// Ten different high alerts about one crown-jewel host, correlated in one run: the first
	// opens an incident, the others join it.
	var inputs []alert.Input
	for i := range 10 {
		inputs = append(inputs, alert.Input{Source: "edr", Title: fmt.Sprintf("Suspicious behaviour %d on dc-01", i), Severity: "high",
			Observables: []alert.Observable{{Type: alert.ObsHost, Value: "dc-01"}}})
	}
	r := e.submit(inputs...)
	out, err := e.cases.CorrelatePending(e.ctx, 100, 0)
	require.NoError(t, err)
	require.Equal(t, 1, out.Opened)
	require.Equal(t, 9, out.Joined)
	incidents := map[string]bool{}
	for _, it := range r.Alerts {
		incidents[e.get(it.ID).IncidentID] = true
	}
	require.Len(t, incidents, 1)
}

// TestRequestsWaitingShareATransaction shows group commit: the requests that arrive while the
// writer is busy go together into the next transaction, at most BatchSize alerts to one.
func TestRequestsWaitingShareATransaction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := intake.New(e.st, intake.Options{BatchSize: 5, SilenceRefresh: time.Hour})
	in.Start()
	t.Cleanup(func() { _ = in.Close(context.Background()) })
	input := func(i int) []alert.Input {
		return []alert.Input{{Source: "ids", Title: fmt.Sprintf("scan %d", i), Fingerprint: fmt.Sprintf("scan-%d", i)}}
	}
	// One request before the test proper, so that the silences are loaded.
	_, err := in.Submit(e.ctx, intake.Request{OrgID: e.org, Actor: "intake:test", Inputs: input(-1)})
	require.NoError(t, err)

	// Hold the database's writer, as a long transaction would.
	holding, held := make(chan struct{}), make(chan struct{})
	release := sync.OnceFunc(func() { close(held) })
	t.Cleanup(release) // before the service closes, should the test fail while it holds
	writerDone := make(chan error, 1)
	go func() {
		writerDone <- e.st.Write(e.ctx, func(store.Tx) error { close(holding); <-held; return nil })
	}()
	<-holding

	// A sender that gives up at once: its request is queued all the same, and the committer
	// takes it and waits for the writer with it.
	waits := e.st.WriterDB().Stats().WaitCount
	gaveUp, cancel := context.WithCancel(e.ctx)
	cancel()
	_, err = in.Submit(gaveUp, intake.Request{OrgID: e.org, Actor: "intake:test", Inputs: input(0)})
	require.ErrorIs(t, err, context.Canceled)
	require.Eventually(t, func() bool { return e.st.WriterDB().Stats().WaitCount > waits }, 5*time.Second, time.Millisecond)
	require.Zero(t, in.Queued())

	const senders = 12
	var wg sync.WaitGroup
	receipts := make([]intake.Receipt, senders+1)
	errs := make([]error, senders+1)
	for i := 1; i <= senders; i++ {
		wg.Go(func() {
			receipts[i], errs[i] = in.Submit(e.ctx, intake.Request{OrgID: e.org, Actor: "intake:test", Inputs: input(i)})
		})
	}
	require.Eventually(t, func() bool { return in.Queued() == senders }, 5*time.Second, time.Millisecond)
	require.Equal(t, int64(1), in.Stats().Batches.Load(), "nothing commits while the writer is held")

	release()
	require.NoError(t, <-writerDone)
	wg.Wait()
	for i := 1; i <= senders; i++ {
		require.NoError(t, errs[i])
		require.Len(t, receipts[i].Alerts, 1)
		require.Equal(t, intake.OutcomeNew, receipts[i].Alerts[0].Outcome)
		require.Equal(t, fmt.Sprintf("scan %d", i), e.get(receipts[i].Alerts[0].ID).Title)
	}
	n, err := e.cases.CountAlerts(e.ctx, e.admin, store.AlertFilter{Query: "scan 0"})
	require.NoError(t, err)
	require.Equal(t, 1, n, "the request whose sender gave up was stored")
	// After the first: one transaction for the request that waited with the committer, then
	// the twelve that queued, at most five alerts to a transaction: 5, 5, 2.
	require.Equal(t, int64(1+1+3), in.Stats().Batches.Load())
}

// TestOpenLimitHoldsAlertsInTheQueue: beyond the rules' open limit in a minute, alerts that
// would open incidents wait in the triage queue; a minute later they open incidents again.
func TestOpenLimitHoldsAlertsInTheQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rules := alert.DefaultRules()
	rules.OpenLimit = 2
	now := time.Now()
	cases := casework.New(e.st, casework.Options{Rules: rules, Now: func() time.Time { return now }})
	critical := func(title string) string {
		return e.submit(alert.Input{Source: "edr", Title: title, Severity: "critical"}).Alerts[0].ID
	}

	ids := []string{critical("Mimikatz on wks-1"), critical("Mimikatz on wks-2"), critical("Mimikatz on wks-3")}
	out, err := cases.CorrelatePending(e.ctx, 100, 0)
	require.NoError(t, err)
	require.Equal(t, 2, out.Opened)
	require.Equal(t, 1, out.Held)
	require.Equal(t, 1, out.Queued)
	held := e.get(ids[2])
	require.Equal(t, alert.StatusNew, held.Status, "the third waits for triage, kept as it came")
	require.Empty(t, held.IncidentID)

	// Within the same minute, the next run holds back too.
	now = now.Add(30 * time.Second)
	critical("Mimikatz on wks-4")
	out, err = cases.CorrelatePending(e.ctx, 100, 0)
	require.NoError(t, err)
	require.Equal(t, 0, out.Opened)
	require.Equal(t, 1, out.Held)

	// A minute after the first two, there is room again.
	now = now.Add(31 * time.Second)
	id := critical("Mimikatz on wks-5")
	out, err = cases.CorrelatePending(e.ctx, 100, 0)
	require.NoError(t, err)
	require.Equal(t, 1, out.Opened)
	require.Zero(t, out.Held)
	require.NotEmpty(t, e.get(id).IncidentID)
}
