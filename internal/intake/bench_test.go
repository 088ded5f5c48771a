package intake_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/intake"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

// Benchmarks of the intake engine on real SQLite (synchronous=FULL), without HTTP:
//
//	go test ./internal/intake -run '^$' -bench . -benchtime 20000x
//
// Each reports alerts/s; the single-alert benchmark also reports its p99 latency. RawIngest is
// the driver's own rate for the same alerts written through the storage port in batches of
// 1000 with no intake engine around it, the yardstick for the others.

func benchStore(b *testing.B) (*sqlite.Store, string) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "quell.db"), sqlite.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = st.Close() })
	org := access.Org{ID: casework.NewID(), Slug: "default", Name: "Default", CreatedAt: time.Now()}
	require.NoError(b, st.Write(ctx, func(tx store.Tx) error { return tx.Orgs().Create(ctx, org) }))
	return st, org.ID
}

// benchInput is a realistic IDS alert; i picks one of many signatures and addresses.
func benchInput(i int) alert.Input {
	return alert.Input{Source: "suricata", Title: fmt.Sprintf("ET SCAN Potential SSH Scan variant %d", i%5000),
		Fingerprint: fmt.Sprintf("1:%d", 2001000+i%5000), Severity: "medium",
		Description: fmt.Sprintf("TCP 203.0.%d.%d:%d → 10.47.8.150:22", (i/256)%256, i%256, 30000+i%20000),
		Labels:      map[string]string{"proto": "TCP", "dest_port": "22", "category": "Attempted Information Leak"},
		Observables: []alert.Observable{{Type: alert.ObsIPv4, Value: fmt.Sprintf("203.0.%d.%d", (i/256)%256, i%256), Role: "source"}},
		Raw:         []byte(`{"event_type":"alert","src_ip":"203.0.113.7","dest_ip":"10.47.8.150","alert":{"signature_id":2001219}}`)}
}

func newService(b *testing.B, st store.Store) *intake.Service {
	in := intake.New(st, intake.Options{QueueSize: 1 << 16})
	in.Start()
	b.Cleanup(func() { _ = in.Close(context.Background()) })
	return in
}

func BenchmarkSubmitBatched(b *testing.B) {
	st, org := benchStore(b)
	in := newService(b, st)
	const batch = 500
	var n atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var inputs []alert.Input
		for pb.Next() {
			i := int(n.Add(1))
			inputs = append(inputs, benchInput(i*7919))
			if len(inputs) == batch {
				_, err := in.Submit(context.Background(), intake.Request{OrgID: org, Inputs: inputs})
				if err != nil {
					b.Error(err)
					return
				}
				inputs = inputs[:0]
			}
		}
		if len(inputs) > 0 {
			_, _ = in.Submit(context.Background(), intake.Request{OrgID: org, Inputs: inputs})
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}

func BenchmarkSubmitSingle(b *testing.B) {
	st, org := benchStore(b)
	in := newService(b, st)
	var n atomic.Int64
	lat := make([]time.Duration, b.N+1)
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			start := time.Now()
			_, err := in.Submit(context.Background(), intake.Request{OrgID: org, Inputs: []alert.Input{benchInput(i * 7919)}})
			if err != nil {
				b.Error(err)
				return
			}
			lat[i] = time.Since(start)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
	lat = lat[1 : n.Load()+1]
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

func BenchmarkSubmitStorm(b *testing.B) {
	st, org := benchStore(b)
	in := newService(b, st)
	storm := make([]alert.Input, 1000)
	for i := range storm {
		storm[i] = alert.Input{Source: "suricata", Title: "ET DOS SYN flood", Fingerprint: "1:2100000", Severity: "high",
			Description: "SYN flood towards 10.47.8.150"}
	}
	var n atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			// One op is one alert; each request carries a thousand of them.
			if n.Add(1)%1000 != 0 {
				continue
			}
			if _, err := in.Submit(context.Background(), intake.Request{OrgID: org, Inputs: storm}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}

func BenchmarkRawIngest(b *testing.B) {
	st, org := benchStore(b)
	ctx := context.Background()
	now := time.Now().UTC()
	alerts := make([]alert.Alert, 0, 1000)
	flush := func() {
		require.NoError(b, st.Write(ctx, func(tx store.Tx) error {
			for _, a := range alerts {
				if _, _, err := tx.Alerts().Ingest(ctx, a, 1); err != nil {
					return err
				}
			}
			return nil
		}))
		alerts = alerts[:0]
	}
	b.ResetTimer()
	for i := range b.N {
		a, err := alert.Normalise(benchInput(i*7919), now, 0)
		require.NoError(b, err)
		a.ID, a.OrgID, a.FirstSeen, a.LastSeen, a.Count, a.Status, a.Version = casework.NewID(), org, now, now, 1, alert.StatusNew, 1
		alerts = append(alerts, a)
		if len(alerts) == cap(alerts) {
			flush()
		}
	}
	if len(alerts) > 0 {
		flush()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}
