package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// BenchmarkAlertList lists the alert queue of a database holding 1,000,000 alerts (90 % new,
// the rest triaged, promoted, dismissed and resolved; 5 % silenced; all correlated, so in the
// search indexes): the default queue view, a page deep in it, filters by status, severity,
// source and silence, text searches (a rare title substring, one in every title, one too
// short for the index, a fingerprint) and observables (present and absent). Seeding takes a
// few minutes:
//
//	go test ./internal/store/sqlite -run '^$' -bench AlertList -benchtime 200x -timeout 30m
//
// QUELL_BENCH_ALERTS=200000 seeds fewer alerts.
func BenchmarkAlertList(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(b.TempDir(), "alerts.db"), Options{AllowUnsafeSync: true})
	require.NoError(b, err)
	b.Cleanup(func() { _ = st.Close() })
	org := access.Org{ID: ulid.Make().String(), Slug: "default", Name: "Default", CreatedAt: time.Now()}
	require.NoError(b, st.Write(ctx, func(tx store.Tx) error { return tx.Orgs().Create(ctx, org) }))

	total := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("QUELL_BENCH_ALERTS")); err == nil && n > 0 {
		total = n // a smaller queue for a quicker look
	}
	statuses := []alert.Status{alert.StatusTriaged, alert.StatusPromoted, alert.StatusDismissed, alert.StatusResolved}
	sources := []string{"suricata", "wazuh", "alertmanager", "edr", "email"}
	start := time.Now().Add(-30 * 24 * time.Hour).UTC()
	items := make([]store.IngestItem, 0, 5000)
	for i := range total {
		at := start.Add(time.Duration(i) * 2 * time.Second)
		a := alert.Alert{ID: ulid.MustNew(ulid.Timestamp(at), ulid.DefaultEntropy()).String(), OrgID: org.ID,
			Source: sources[i%len(sources)], Fingerprint: fmt.Sprint(i), Title: fmt.Sprintf("Alert %d from host-%d", i, i%5000),
			Severity: incident.Severities[i%len(incident.Severities)], Priority: incident.P3,
			Labels:      map[string]string{"host": fmt.Sprintf("host-%d", i%5000)},
			Observables: []alert.Observable{{Type: alert.ObsIPv4, Value: fmt.Sprintf("10.%d.%d.%d", i%250, (i/250)%250, i%7)}},
			AssetIDs:    []string{}, OccurredAt: at, FirstSeen: at, LastSeen: at, Count: 1, Status: alert.StatusNew, Version: 1}
		if i%10 == 9 {
			a.Status = statuses[(i/10)%len(statuses)]
		}
		if i%20 == 3 {
			a.SilenceID = "01SILENCE"
		}
		items = append(items, store.IngestItem{Alert: a, N: 1})
		if len(items) == cap(items) {
			// Stored and correlated, as a settled queue is.
			require.NoError(b, st.Write(ctx, func(tx store.Tx) error {
				if _, err := tx.Alerts().IngestMany(ctx, items); err != nil {
					return err
				}
				ids := make([]string, len(items))
				for i, it := range items {
					ids[i] = it.Alert.ID
				}
				return tx.Alerts().MarkCorrelated(ctx, org.ID, ids)
			}))
			items = items[:0]
		}
	}
	_, err = st.WriterDB().ExecContext(ctx, "PRAGMA optimize")
	require.NoError(b, err)

	yes, no := true, false
	var deep string
	cases := []struct {
		name string
		f    store.AlertFilter
	}{
		{"queue", store.AlertFilter{Status: []alert.Status{alert.StatusNew, alert.StatusTriaged}, Silenced: &no}},
		{"all", store.AlertFilter{}},
		{"dismissed", store.AlertFilter{Status: []alert.Status{alert.StatusDismissed}}},
		{"critical-new", store.AlertFilter{Status: []alert.Status{alert.StatusNew}, Severity: []alert.Severity{incident.SeverityCritical}}},
		{"source", store.AlertFilter{Source: "wazuh"}},
		{"silenced", store.AlertFilter{Silenced: &yes}},
		{"title", store.AlertFilter{Query: "host-4242"}},
		{"title-common", store.AlertFilter{Query: "from host"}},
		{"title-short", store.AlertFilter{Query: "42"}},
		{"fingerprint", store.AlertFilter{Query: "777777"}},
		{"observable", store.AlertFilter{Observable: "10.17.3.2"}},
		{"observable-none", store.AlertFilter{Observable: "192.0.2.1"}},
		{"deep-page", store.AlertFilter{Status: []alert.Status{alert.StatusNew, alert.StatusTriaged}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			f := c.f
			f.OrgID, f.Limit = org.ID, 50
			if c.name == "deep-page" {
				if deep == "" {
					// The cursor of the page 20,000 alerts into the queue.
					g := f
					g.Limit = 500
					for range 40 {
						var page store.Page[alert.Alert]
						require.NoError(b, st.Read(ctx, func(tx store.Tx) error {
							var err error
							page, err = tx.Alerts().List(ctx, g)
							return err
						}))
						g.Cursor = page.Next
					}
					deep = g.Cursor
				}
				f.Cursor = deep
			}
			durations := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				require.NoError(b, st.Read(ctx, func(tx store.Tx) error {
					_, err := tx.Alerts().List(ctx, f)
					return err
				}))
				durations = append(durations, time.Since(t0))
			}
			reportPercentiles(b, durations)
			if os.Getenv("QUELL_BENCH_PLAN") != "" {
				explainAlertList(b, st, f)
			}
		})
	}
}

// explainAlertList logs the query plan of a list (QUELL_BENCH_PLAN=1).
func explainAlertList(b *testing.B, st *Store, f store.AlertFilter) {
	require.NoError(b, st.Read(context.Background(), func(t store.Tx) error {
		r := alertRepo{t.(*tx)}
		from, w, err := r.alertWhere(context.Background(), f)
		if err != nil {
			return err
		}
		rows, err := r.sqlTx.Query("EXPLAIN QUERY PLAN SELECT "+alertListCols+" FROM "+from+w.sql()+" ORDER BY a.id DESC LIMIT 51", w.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				return err
			}
			b.Logf("plan: %s", detail)
		}
		return rows.Err()
	}))
}
