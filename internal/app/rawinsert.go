package app

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/config"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/postgres"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

// RawInsertRate measures how many alerts per second a storage driver stores when nothing but
// the storage port stands between the caller and the database: n normalised alerts written in
// transactions of 1000 through Alerts().IngestMany, with the same settings as the server's. The
// database is a fresh SQLite file in dir, or the PostgreSQL database db names (which should be
// an empty schema). It is the yardstick for intake throughput.
func RawInsertRate(ctx context.Context, dir, db string, n int) (float64, error) {
	var st store.Store
	var err error
	if db != "" {
		st, err = postgres.Open(ctx, db, postgres.Options{})
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(dir, DatabaseFile), sqlite.Options{})
	}
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
		items := make([]store.IngestItem, len(chunk))
		for i, a := range chunk {
			items[i] = store.IngestItem{Alert: a, N: 1}
		}
		if err := st.Write(ctx, func(tx store.Tx) error {
			_, err := tx.Alerts().IngestMany(ctx, items)
			return err
		}); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// ScratchSchema creates an empty schema in the PostgreSQL database dsn names and returns a DSN
// whose search_path is that schema, with a function that drops it and everything in it.
// Benchmarks use it to run on a real server without touching its data.
func ScratchSchema(ctx context.Context, dsn, prefix string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s: %w", redactDSN(dsn), err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, err
	}
	drop := func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE")
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		drop()
		return "", nil, fmt.Errorf("the database must be given as a postgres:// URL")
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

func redactDSN(dsn string) string { return config.Config{DB: dsn}.RedactedDB() }
