package app

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

// RawInsertRate measures how many alerts per second the SQLite driver stores when nothing but
// the storage port stands between the caller and the database: n normalised alerts written in
// transactions of 1000 through Alerts().Ingest, on a fresh database in dir with the same
// settings as the server's. It is the yardstick for intake throughput.
func RawInsertRate(ctx context.Context, dir string, n int) (float64, error) {
	st, err := sqlite.Open(ctx, filepath.Join(dir, DatabaseFile), sqlite.Options{})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	org := access.Org{ID: casework.NewID(), Slug: "raw", Name: "Raw insert", CreatedAt: time.Now()}
	if err := st.Write(ctx, func(tx store.Tx) error { return tx.Orgs().Create(ctx, org) }); err != nil {
		return 0, err
	}
	now := time.Now().UTC()
	alerts := make([]alert.Alert, n)
	for i := range alerts {
		a, err := alert.Normalise(alert.Input{Source: "edr", Title: fmt.Sprintf("Suspicious PowerShell on host-%d", i),
			Fingerprint: fmt.Sprintf("edr-%d", i), Severity: "medium",
			Description: fmt.Sprintf("powershell -enc … from 198.51.100.%d on host-%d", i%256, i),
			Labels:      map[string]string{"host": fmt.Sprintf("host-%d", i), "rule": "ps-encoded"}}, now, 0)
		if err != nil {
			return 0, err
		}
		a.ID, a.OrgID, a.FirstSeen, a.LastSeen, a.Count, a.Status, a.Version = casework.NewID(), org.ID, now, now, 1, alert.StatusNew, 1
		alerts[i] = a
	}
	start := time.Now()
	for len(alerts) > 0 {
		chunk := alerts[:min(1000, len(alerts))]
		alerts = alerts[len(chunk):]
		if err := st.Write(ctx, func(tx store.Tx) error {
			for _, a := range chunk {
				if _, _, err := tx.Alerts().Ingest(ctx, a, 1); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
