package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/config"
	"github.com/quell-ir/quell/internal/events"
	"github.com/quell-ir/quell/internal/jobs"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/postgres"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

// backend is the database an installation keeps its data in, with what differs between SQLite
// and PostgreSQL: how the job queue attaches and how change notices reach the other nodes.
type backend struct {
	store.Store
	// newJobs creates the job queue on this database.
	newJobs func(ctx context.Context, cases *casework.Service, opts jobs.Options) (*jobs.Service, error)
	// pg is set on PostgreSQL.
	pg *postgres.Store
}

// openBackend opens the database the configuration names: PostgreSQL when cfg.DB is a
// PostgreSQL URL, else SQLite in the data directory.
func openBackend(ctx context.Context, cfg config.Config, logger *slog.Logger) (*backend, error) {
	if cfg.Postgres() {
		pg, err := postgres.Open(ctx, cfg.DB, postgres.Options{Logger: logger, AllowUnsafeFsync: cfg.AllowUnsafeSync})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL at %s: %w", cfg.RedactedDB(), err)
		}
		return &backend{Store: pg, pg: pg, newJobs: func(ctx context.Context, c *casework.Service, o jobs.Options) (*jobs.Service, error) {
			return jobs.NewPostgres(ctx, pg, c, o)
		}}, nil
	}
	if err := ensureDataDir(cfg.Data, logger); err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.Data, DatabaseFile), sqlite.Options{Logger: logger, AllowUnsafeSync: cfg.AllowUnsafeSync})
	if err != nil {
		return nil, err
	}
	return &backend{Store: st, newJobs: func(ctx context.Context, c *casework.Service, o jobs.Options) (*jobs.Service, error) {
		return jobs.New(ctx, st, c, o)
	}}, nil
}

// eventsChannel is the PostgreSQL notification channel of change notices.
const eventsChannel = "quell_events"

// notice is a change notice on its way between nodes.
type notice struct {
	Node       string `json:"n"`
	OrgID      string `json:"o"`
	IncidentID string `json:"i,omitempty"`
	Kind       string `json:"k"`
}

// relay publishes change notices on this node's broker and, on PostgreSQL, to the other nodes
// through LISTEN/NOTIFY, and publishes theirs on this node's broker. Publish never waits on the
// network: notices for other nodes queue in a buffer and are dropped when it is full, as the
// broker drops notices a slow subscriber cannot take.
type relay struct {
	local *events.Broker
	node  string
	out   chan notice
	log   *slog.Logger
}

func newRelay(local *events.Broker, node string, log *slog.Logger) *relay {
	return &relay{local: local, node: node, out: make(chan notice, 1024), log: log}
}

// Publish implements casework.Publisher.
func (r *relay) Publish(orgID, incidentID, kind string) {
	r.local.Publish(orgID, incidentID, kind)
	select {
	case r.out <- notice{Node: r.node, OrgID: orgID, IncidentID: incidentID, Kind: kind}:
	default:
	}
}

// run sends this node's notices and takes the others' until ctx ends; ready is called once
// this node listens.
func (r *relay) run(ctx context.Context, pg *postgres.Store, ready func()) {
	go pg.Listen(ctx, eventsChannel, ready, func(payload string) {
		var n notice
		if json.Unmarshal([]byte(payload), &n) != nil || n.Node == r.node || n.OrgID == "" {
			return
		}
		r.local.Publish(n.OrgID, n.IncidentID, n.Kind)
	})
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-r.out:
			b, _ := json.Marshal(n)
			if err := pg.Notify(ctx, eventsChannel, string(b)); err != nil && ctx.Err() == nil {
				r.log.Warn("could not tell the other nodes of a change", "err", err)
			}
		}
	}
}
