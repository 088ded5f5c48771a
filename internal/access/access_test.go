package access

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEffectiveRoleIsCappedByScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		role  Role
		scope Scope
		want  Role
	}{
		{RoleAdmin, "", RoleAdmin},
		{RoleAdmin, ScopeRead, RoleViewer},
		{RoleAdmin, ScopeWrite, RoleLead},
		{RoleAdmin, ScopeAdmin, RoleAdmin},
		{RoleResponder, ScopeAdmin, RoleResponder},
		{RoleViewer, ScopeWrite, RoleViewer},
	}
	for _, tt := range tests {
		p := Principal{Role: tt.role, Scope: tt.scope}
		require.Equal(t, tt.want, p.Effective(), "%s with scope %q", tt.role, tt.scope)
	}
	require.False(t, Role("root").AtLeast(RoleViewer))
	require.False(t, Principal{}.Can(RoleViewer))
}

func TestIncidentVisibility(t *testing.T) {
	t.Parallel()
	viewer := Principal{UserID: "u", Role: RoleViewer}
	admin := Principal{UserID: "a", Role: RoleAdmin}
	adminReadToken := Principal{UserID: "a", Role: RoleAdmin, Scope: ScopeRead}
	require.True(t, viewer.CanSeeIncident(false, false))
	require.False(t, viewer.CanSeeIncident(true, false))
	require.True(t, viewer.CanSeeIncident(true, true))
	require.True(t, admin.CanSeeIncident(true, false))
	require.False(t, adminReadToken.CanSeeIncident(true, false), "a read-scoped token does not carry admin's need-to-know bypass")

	responder := Principal{UserID: "r", Role: RoleResponder}
	require.True(t, responder.CanOverrideExit(true))
	require.False(t, responder.CanOverrideExit(false))
	require.True(t, admin.CanOverrideExit(false))
	require.False(t, Principal{UserID: "v", Role: RoleViewer}.CanOverrideExit(true))
}

func TestTokenActive(t *testing.T) {
	t.Parallel()
	now := time.Now()
	past, future := now.Add(-time.Minute), now.Add(time.Minute)
	require.True(t, Token{}.Active(now))
	require.True(t, Token{ExpiresAt: &future}.Active(now))
	require.False(t, Token{ExpiresAt: &past}.Active(now))
	require.False(t, Token{RevokedAt: &past}.Active(now))
}
