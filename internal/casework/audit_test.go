package casework_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

// TestMutationFailsWithoutAuditRecord makes the database refuse audit records (a trigger, in
// the real SQLite file) and checks that the change they would record is refused with them:
// nothing is stored, not the incident, not its timeline entry.
func TestMutationFailsWithoutAuditRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "quell.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	org := access.Org{ID: casework.NewID(), Slug: "default", Name: "Default"}
	require.NoError(t, st.Write(ctx, func(tx store.Tx) error { return tx.Orgs().Create(ctx, org) }))
	cases := casework.New(st, casework.Options{})
	p := access.Principal{OrgID: org.ID, Role: access.RoleAdmin, Username: "system-test"}

	_, err = cases.CreateIncident(ctx, p, casework.NewIncident{Title: "before", Severity: incident.SeverityLow})
	require.NoError(t, err, "with a working audit log the change goes through")

	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer raw.Close()
	_, err = raw.ExecContext(ctx, `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log refused'); END`)
	require.NoError(t, err)

	_, err = cases.CreateIncident(ctx, p, casework.NewIncident{Title: "after", Severity: incident.SeverityLow})
	require.ErrorContains(t, err, "audit")
	page, err := cases.ListIncidents(ctx, p, store.IncidentFilter{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "the incident whose audit record failed was not stored")
	require.Equal(t, "before", page.Items[0].Title)
	var entries int
	require.NoError(t, raw.QueryRowContext(ctx, `SELECT count(*) FROM timeline`).Scan(&entries))
	require.Equal(t, 1, entries, "nor its timeline entry")
}
