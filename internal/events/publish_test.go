package events_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/events"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

// TestCaseworkPublishesCommittedChangesOnly wires the broker into the use cases on a real
// database: a change that commits is announced once, with its incident and kind; a change
// that fails is not announced at all.
func TestCaseworkPublishesCommittedChangesOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "quell.db"), sqlite.Options{AllowUnsafeSync: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	authn := auth.New(st, auth.Options{})
	_, err = authn.Bootstrap(ctx, "cora", "a long enough password")
	require.NoError(t, err)
	_, me, err := authn.Login(ctx, auth.LoginRequest{Username: "cora", Password: "a long enough password"}, "127.0.0.1")
	require.NoError(t, err)
	p := access.Principal{UserID: me.User.ID, Username: "cora", OrgID: me.OrgID, Role: me.Role}
	vera, err := authn.CreateUser(ctx, p, auth.NewUser{Username: "vera", Password: "another long password", Role: access.RoleViewer})
	require.NoError(t, err)
	viewer := access.Principal{UserID: vera.ID, Username: "vera", OrgID: me.OrgID, Role: access.RoleViewer}

	broker := events.NewBroker(0)
	cases := casework.New(st, casework.Options{Events: broker})
	notices := broker.Subscribe(t.Context(), me.OrgID)
	next := func() events.Event {
		t.Helper()
		select {
		case ev := <-notices:
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("no notice")
			return events.Event{}
		}
	}

	d, err := cases.CreateIncident(ctx, p, casework.NewIncident{Title: "Beaconing host", Severity: incident.SeverityHigh})
	require.NoError(t, err)
	require.Equal(t, events.Event{OrgID: me.OrgID, IncidentID: d.ID, Kind: "incident.create"}, next())

	_, err = cases.AddNote(ctx, p, d.Key, casework.NewNote{Body: "   "})
	require.Error(t, err, "an empty note is refused")
	_, err = cases.ChangePhase(ctx, viewer, d.Key,
		casework.PhaseRequest{To: incident.PhaseContainment, Reason: "no"})
	require.Error(t, err, "a viewer's change is refused")
	_, err = cases.AddNote(ctx, p, d.Key, casework.NewNote{Body: "It talks to a known C2 address."})
	require.NoError(t, err)
	require.Equal(t, events.Event{OrgID: me.OrgID, IncidentID: d.ID, Kind: "note.create"}, next(),
		"the refused changes were never announced: the next notice is the note that was added")
	select {
	case ev := <-notices:
		t.Fatalf("one change, one notice; got another: %v", ev)
	default:
	}
}
