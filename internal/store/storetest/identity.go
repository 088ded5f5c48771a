package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/store"
)

var cest = time.FixedZone("CEST", 2*60*60)

func testOrgs(t *testing.T, e *env) {
	ctx := e.ctx
	// Times given in another zone come back in UTC, to the nanosecond.
	b := access.Org{ID: e.id(), Slug: "beta", Name: "Beta Ltd", CreatedAt: at(3).In(cest)}
	a := access.Org{ID: e.id(), Slug: "alpha", Name: "Alpha GmbH", CreatedAt: at(1)}
	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Orgs().Create(ctx, b))
		return tx.Orgs().Create(ctx, a)
	})
	b.CreatedAt = b.CreatedAt.UTC()

	got := get(e, func(tx store.Tx) (access.Org, error) { return tx.Orgs().Get(ctx, b.ID) })
	require.Equal(t, b, got)
	got = get(e, func(tx store.Tx) (access.Org, error) { return tx.Orgs().GetBySlug(ctx, "alpha") })
	require.Equal(t, a, got)
	list := get(e, func(tx store.Tx) ([]access.Org, error) { return tx.Orgs().List(ctx) })
	require.Equal(t, []access.Org{a, b}, list, "orgs are listed by slug")

	e.notFound(func(tx store.Tx) error { _, err := tx.Orgs().Get(ctx, e.id()); return err })
	e.notFound(func(tx store.Tx) error { _, err := tx.Orgs().GetBySlug(ctx, "gamma"); return err })

	err := e.writeErr(func(tx store.Tx) error {
		return tx.Orgs().Create(ctx, access.Org{ID: e.id(), Slug: "alpha", Name: "again", CreatedAt: base})
	})
	require.ErrorIs(t, err, store.ErrDuplicate, "slug taken")
	err = e.writeErr(func(tx store.Tx) error {
		return tx.Orgs().Create(ctx, access.Org{ID: a.ID, Slug: "other", Name: "again", CreatedAt: base})
	})
	require.ErrorIs(t, err, store.ErrDuplicate, "id taken")
}

func testUsers(t *testing.T, e *env) {
	ctx := e.ctx
	alice := access.User{ID: e.id(), Username: "Alice", DisplayName: "Alice Liddell", Email: "alice@example.org",
		PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$YWJj$ZGVm", CreatedAt: at(0), UpdatedAt: at(1).In(cest), Version: 1}
	bob := access.User{ID: e.id(), Username: "bob", DisplayName: "Bob", Email: "bob@example.org", Disabled: true,
		CreatedAt: at(2), UpdatedAt: at(2), LastLoginAt: ptr(at(3)), Version: 7}
	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Users().Create(ctx, alice))
		return tx.Users().Create(ctx, bob)
	})
	alice.UpdatedAt = alice.UpdatedAt.UTC()

	got := get(e, func(tx store.Tx) (access.User, error) { return tx.Users().Get(ctx, alice.ID) })
	require.Equal(t, alice, got)
	require.Nil(t, got.LastLoginAt)
	got = get(e, func(tx store.Tx) (access.User, error) { return tx.Users().Get(ctx, bob.ID) })
	require.Equal(t, bob, got)

	for _, name := range []string{"alice", "ALICE", "Alice"} {
		got = get(e, func(tx store.Tx) (access.User, error) { return tx.Users().GetByUsername(ctx, name) })
		require.Equal(t, alice.ID, got.ID, name)
	}
	e.notFound(func(tx store.Tx) error { _, err := tx.Users().GetByUsername(ctx, "carol"); return err })
	e.notFound(func(tx store.Tx) error { _, err := tx.Users().Get(ctx, e.id()); return err })

	err := e.writeErr(func(tx store.Tx) error {
		return tx.Users().Create(ctx, access.User{ID: e.id(), Username: "aLiCe", CreatedAt: base, UpdatedAt: base, Version: 1})
	})
	require.ErrorIs(t, err, store.ErrDuplicate, "user names are unique whatever their case")

	n := get(e, func(tx store.Tx) (int, error) { return tx.Users().Count(ctx) })
	require.Equal(t, 2, n)

	// Update writes every field and bumps the version.
	upd := alice
	upd.Username = "alice.l"
	upd.DisplayName = "Alice L."
	upd.Email = "al@example.org"
	upd.PasswordHash = "$argon2id$new"
	upd.Disabled = true
	upd.UpdatedAt = at(10)
	upd.LastLoginAt = ptr(at(9))
	e.write(func(tx store.Tx) error { return tx.Users().Update(ctx, upd, 1) })
	upd.Version = 2
	got = get(e, func(tx store.Tx) (access.User, error) { return tx.Users().GetByUsername(ctx, "ALICE.L") })
	require.Equal(t, upd, got)
	e.notFound(func(tx store.Tx) error { _, err := tx.Users().GetByUsername(ctx, "alice"); return err })

	// Clearing a pointer is stored too.
	upd.LastLoginAt = nil
	e.write(func(tx store.Tx) error { return tx.Users().Update(ctx, upd, 2) })
	got = get(e, func(tx store.Tx) (access.User, error) { return tx.Users().Get(ctx, alice.ID) })
	require.Nil(t, got.LastLoginAt)
	require.Equal(t, int64(3), got.Version)

	err = e.writeErr(func(tx store.Tx) error { return tx.Users().Update(ctx, upd, 2) })
	require.ErrorIs(t, err, store.ErrConflict)
	err = e.writeErr(func(tx store.Tx) error {
		return tx.Users().Update(ctx, access.User{ID: e.id(), Username: "nobody"}, 1)
	})
	require.ErrorIs(t, err, store.ErrNotFound)
	taken := upd
	taken.Username = "BOB"
	err = e.writeErr(func(tx store.Tx) error { return tx.Users().Update(ctx, taken, 3) })
	require.ErrorIs(t, err, store.ErrDuplicate)
}

func testMemberships(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	alice, bob := e.user("alice"), e.user("bob")
	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Users().SetMembership(ctx, access.Membership{UserID: alice.ID, OrgID: a.ID, Role: access.RoleAdmin}))
		require.NoError(t, tx.Users().SetMembership(ctx, access.Membership{UserID: alice.ID, OrgID: b.ID, Role: access.RoleViewer}))
		return tx.Users().SetMembership(ctx, access.Membership{UserID: bob.ID, OrgID: a.ID, Role: access.RoleResponder})
	})
	m := get(e, func(tx store.Tx) (access.Membership, error) { return tx.Users().Membership(ctx, alice.ID, a.ID) })
	require.Equal(t, access.RoleAdmin, m.Role)
	require.Equal(t, "a", m.OrgSlug)

	// Setting it again changes the role.
	e.write(func(tx store.Tx) error {
		return tx.Users().SetMembership(ctx, access.Membership{UserID: alice.ID, OrgID: a.ID, Role: access.RoleLead})
	})
	ms := get(e, func(tx store.Tx) ([]access.Membership, error) { return tx.Users().Memberships(ctx, alice.ID) })
	require.Len(t, ms, 2)
	require.Equal(t, []string{"a", "b"}, []string{ms[0].OrgSlug, ms[1].OrgSlug}, "memberships by org slug")
	require.Equal(t, []access.Role{access.RoleLead, access.RoleViewer}, []access.Role{ms[0].Role, ms[1].Role})
	require.Equal(t, []string{a.ID, b.ID}, []string{ms[0].OrgID, ms[1].OrgID})
	require.Equal(t, alice.ID, ms[0].UserID)

	members := get(e, func(tx store.Tx) ([]access.Membership, error) { return tx.Users().Members(ctx, a.ID) })
	require.Len(t, members, 2)
	require.Equal(t, []string{"alice", "bob"}, []string{members[0].Username, members[1].Username}, "members by user name")
	require.Equal(t, []string{alice.ID, bob.ID}, []string{members[0].UserID, members[1].UserID})
	require.Equal(t, []access.Role{access.RoleLead, access.RoleResponder}, []access.Role{members[0].Role, members[1].Role})

	e.write(func(tx store.Tx) error { return tx.Users().RemoveMembership(ctx, alice.ID, b.ID) })
	e.notFound(func(tx store.Tx) error { _, err := tx.Users().Membership(ctx, alice.ID, b.ID); return err })
	err := e.writeErr(func(tx store.Tx) error { return tx.Users().RemoveMembership(ctx, alice.ID, b.ID) })
	require.ErrorIs(t, err, store.ErrNotFound)
	members = get(e, func(tx store.Tx) ([]access.Membership, error) { return tx.Users().Members(ctx, b.ID) })
	require.Empty(t, members)
	e.notFound(func(tx store.Tx) error { _, err := tx.Users().Membership(ctx, bob.ID, b.ID); return err })

	err = e.writeErr(func(tx store.Tx) error {
		return tx.Users().SetMembership(ctx, access.Membership{UserID: e.id(), OrgID: a.ID, Role: access.RoleViewer})
	})
	require.ErrorIs(t, err, store.ErrNotFound, "membership of an unknown user")
	err = e.writeErr(func(tx store.Tx) error {
		return tx.Users().SetMembership(ctx, access.Membership{UserID: bob.ID, OrgID: e.id(), Role: access.RoleViewer})
	})
	require.ErrorIs(t, err, store.ErrNotFound, "membership of an unknown organisation")
}

func testSessions(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	alice, bob := e.user("alice"), e.user("bob")
	s1 := access.Session{ID: "sha256-1", UserID: alice.ID, OrgID: a.ID, CreatedAt: at(0), LastSeenAt: at(1), ExpiresAt: at(60)}
	s2 := access.Session{ID: "sha256-2", UserID: alice.ID, OrgID: a.ID, CreatedAt: at(0), LastSeenAt: at(0), ExpiresAt: at(-1)}
	s3 := access.Session{ID: "sha256-3", UserID: bob.ID, OrgID: b.ID, CreatedAt: at(0), LastSeenAt: at(0), ExpiresAt: at(0)}
	s4 := access.Session{ID: "sha256-4", UserID: bob.ID, OrgID: b.ID, CreatedAt: at(0), LastSeenAt: at(0), ExpiresAt: at(5)}
	e.write(func(tx store.Tx) error {
		for _, s := range []access.Session{s1, s2, s3, s4} {
			require.NoError(t, tx.Sessions().Create(ctx, s))
		}
		return nil
	})
	got := get(e, func(tx store.Tx) (access.Session, error) { return tx.Sessions().Get(ctx, s1.ID) })
	require.Equal(t, s1, got)
	e.notFound(func(tx store.Tx) error { _, err := tx.Sessions().Get(ctx, "nope"); return err })
	err := e.writeErr(func(tx store.Tx) error { return tx.Sessions().Create(ctx, s1) })
	require.ErrorIs(t, err, store.ErrDuplicate)

	e.write(func(tx store.Tx) error { return tx.Sessions().Touch(ctx, s1.ID, at(30), at(90).In(cest)) })
	e.write(func(tx store.Tx) error { return tx.Sessions().SetOrg(ctx, s1.ID, b.ID) })
	s1.LastSeenAt, s1.ExpiresAt, s1.OrgID = at(30), at(90), b.ID
	got = get(e, func(tx store.Tx) (access.Session, error) { return tx.Sessions().Get(ctx, s1.ID) })
	require.Equal(t, s1, got)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Sessions().Touch(ctx, "nope", at(1), at(2)) }), store.ErrNotFound)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Sessions().SetOrg(ctx, "nope", a.ID) }), store.ErrNotFound)

	// Expired means expiring at or before now.
	var n int
	e.write(func(tx store.Tx) error {
		var err error
		n, err = tx.Sessions().DeleteExpired(ctx, at(0))
		return err
	})
	require.Equal(t, 2, n)
	e.notFound(func(tx store.Tx) error { _, err := tx.Sessions().Get(ctx, s2.ID); return err })
	e.notFound(func(tx store.Tx) error { _, err := tx.Sessions().Get(ctx, s3.ID); return err })

	e.write(func(tx store.Tx) error { return tx.Sessions().DeleteForUser(ctx, bob.ID) })
	e.notFound(func(tx store.Tx) error { _, err := tx.Sessions().Get(ctx, s4.ID); return err })
	get(e, func(tx store.Tx) (access.Session, error) { return tx.Sessions().Get(ctx, s1.ID) })

	e.write(func(tx store.Tx) error { return tx.Sessions().Delete(ctx, s1.ID) })
	e.notFound(func(tx store.Tx) error { _, err := tx.Sessions().Get(ctx, s1.ID); return err })
	// Deleting a session that is gone (signing out twice) is fine.
	e.write(func(tx store.Tx) error { return tx.Sessions().Delete(ctx, s1.ID) })
}

func testTokens(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	alice, bob := e.user("alice"), e.user("bob")
	t1 := access.Token{ID: e.id(), OrgID: a.ID, UserID: alice.ID, Name: "ci", Prefix: "qk_ab12", Hash: "hash-1",
		Scope: access.ScopeWrite, CreatedAt: at(0)}
	t2 := access.Token{ID: e.id(), OrgID: a.ID, UserID: bob.ID, Name: "read", Prefix: "qk_cd34", Hash: "hash-2",
		Scope: access.ScopeRead, CreatedAt: at(1), ExpiresAt: ptr(at(1000)), LastUsedAt: ptr(at(2)), RevokedAt: ptr(at(3))}
	t3 := access.Token{ID: e.id(), OrgID: b.ID, UserID: alice.ID, Name: "admin", Prefix: "qk_ef56", Hash: "hash-3",
		Scope: access.ScopeAdmin, CreatedAt: at(2)}
	e.write(func(tx store.Tx) error {
		for _, tk := range []access.Token{t1, t2, t3} {
			require.NoError(t, tx.Tokens().Create(ctx, tk))
		}
		return nil
	})
	got := get(e, func(tx store.Tx) (access.Token, error) { return tx.Tokens().GetByHash(ctx, "hash-1") })
	require.Equal(t, t1, got)
	got = get(e, func(tx store.Tx) (access.Token, error) { return tx.Tokens().Get(ctx, a.ID, t2.ID) })
	require.Equal(t, t2, got)
	e.notFound(func(tx store.Tx) error { _, err := tx.Tokens().GetByHash(ctx, "hash-x"); return err })
	e.notFound(func(tx store.Tx) error { _, err := tx.Tokens().Get(ctx, b.ID, t1.ID); return err })

	list := get(e, func(tx store.Tx) ([]access.Token, error) { return tx.Tokens().List(ctx, a.ID, "") })
	require.Equal(t, []access.Token{t1, t2}, list)
	list = get(e, func(tx store.Tx) ([]access.Token, error) { return tx.Tokens().List(ctx, a.ID, alice.ID) })
	require.Equal(t, []access.Token{t1}, list)
	list = get(e, func(tx store.Tx) ([]access.Token, error) { return tx.Tokens().List(ctx, b.ID, "") })
	require.Equal(t, []access.Token{t3}, list)

	err := e.writeErr(func(tx store.Tx) error {
		dup := t3
		dup.ID = e.id()
		return tx.Tokens().Create(ctx, dup)
	})
	require.ErrorIs(t, err, store.ErrDuplicate, "hash taken")

	e.write(func(tx store.Tx) error { return tx.Tokens().Revoke(ctx, a.ID, t1.ID, at(5)) })
	// Revoking again keeps the first revocation time.
	e.write(func(tx store.Tx) error { return tx.Tokens().Revoke(ctx, a.ID, t1.ID, at(9)) })
	e.write(func(tx store.Tx) error { return tx.Tokens().Touch(ctx, t1.ID, at(7)) })
	t1.RevokedAt, t1.LastUsedAt = ptr(at(5)), ptr(at(7))
	got = get(e, func(tx store.Tx) (access.Token, error) { return tx.Tokens().Get(ctx, a.ID, t1.ID) })
	require.Equal(t, t1, got)

	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Tokens().Revoke(ctx, b.ID, t2.ID, at(5)) }), store.ErrNotFound)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Tokens().Revoke(ctx, a.ID, e.id(), at(5)) }), store.ErrNotFound)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Tokens().Touch(ctx, e.id(), at(5)) }), store.ErrNotFound)
	got = get(e, func(tx store.Tx) (access.Token, error) { return tx.Tokens().Get(ctx, a.ID, t2.ID) })
	require.Equal(t, t2, got, "a revocation refused in another organisation changed nothing")
}
