package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
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
// the rest triaged, promoted, dismissed and resolved; 5 % silenced): the default queue view,
// a page deep in it, filters by status, severity, source and silence, a title search and an
// observable. Seeding takes a minute:
//
//	go test ./internal/store/sqlite -run '^$' -bench AlertList -benchtime 200x -timeout 30m
func BenchmarkAlertList(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(b.TempDir(), "alerts.db"), Options{AllowUnsafeSync: true})
	require.NoError(b, err)
	b.Cleanup(func() { _ = st.Close() })
	org := access.Org{ID: ulid.Make().String(), Slug: "default", Name: "Default", CreatedAt: time.Now()}
	require.NoError(b, st.Write(ctx, func(tx store.Tx) error { return tx.Orgs().Create(ctx, org) }))

	const total = 1_000_000
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
			require.NoError(b, st.Write(ctx, func(tx store.Tx) error {
				_, err := tx.Alerts().IngestMany(ctx, items)
				return err
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
		{"observable", store.AlertFilter{Observable: "10.17.3.2"}},
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
		})
	}
}
