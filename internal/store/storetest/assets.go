package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/store"
)

func assetID(a asset.Asset) string { return a.ID }

func (e *env) asset(orgID, name string, mod ...func(*asset.Asset)) asset.Asset {
	e.t.Helper()
	a := asset.Asset{ID: e.id(), OrgID: orgID, Kind: asset.KindHost, Name: name, Criticality: 2,
		DataClassification: asset.ClassInternal, Identifiers: []asset.Identifier{}, CreatedAt: base, UpdatedAt: base, Version: 1}
	for _, m := range mod {
		m(&a)
	}
	e.write(func(tx store.Tx) error { return tx.Assets().Create(e.ctx, a) })
	return a
}

func testAssets(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	ip := asset.Identifier{Type: asset.IDIP, Value: "10.0.0.5"}
	web := asset.Asset{ID: e.id(), OrgID: a.ID, Kind: asset.KindHost, Name: "Web-01", Description: "Public web front",
		Identifiers: []asset.Identifier{{Type: asset.IDHostname, Value: "web-01"}, ip,
			{Type: asset.IDFQDN, Value: "web-01.corp.example"}},
		Criticality: 3, Owner: "Platform Team", DataClassification: asset.ClassConfidential, PersonalData: true,
		CreatedAt: at(1).In(cest), UpdatedAt: at(2), Version: 1}
	bare := asset.Asset{ID: e.id(), OrgID: a.ID, Kind: asset.KindAccount, Name: "svc_backup", Criticality: 1,
		DataClassification: asset.ClassInternal, CreatedAt: at(3), UpdatedAt: at(3), Version: 1}
	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Assets().Create(ctx, web))
		return tx.Assets().Create(ctx, bare)
	})
	web.CreatedAt = web.CreatedAt.UTC()
	got := get(e, func(tx store.Tx) (asset.Asset, error) { return tx.Assets().Get(ctx, a.ID, web.ID) })
	require.Equal(t, web, got)
	got = get(e, func(tx store.Tx) (asset.Asset, error) { return tx.Assets().Get(ctx, a.ID, bare.ID) })
	require.Equal(t, bare, got)
	require.Nil(t, got.Identifiers)

	find := func(orgID string, id asset.Identifier) []string {
		list := get(e, func(tx store.Tx) ([]asset.Asset, error) { return tx.Assets().FindByIdentifier(ctx, orgID, id) })
		return ids(list, assetID)
	}
	require.Equal(t, []string{web.ID}, find(a.ID, ip))
	require.Empty(t, find(a.ID, asset.Identifier{Type: asset.IDHostname, Value: "10.0.0.5"}), "the type must match")
	twin := e.asset(a.ID, "web-01 twin", func(x *asset.Asset) { x.Identifiers = []asset.Identifier{ip} })
	require.Equal(t, []string{web.ID, twin.ID}, find(a.ID, ip))

	// Update replaces every changeable field, identifiers included.
	upd := web
	upd.Kind, upd.Name, upd.Description = asset.KindService, "Web front", ""
	upd.Identifiers = []asset.Identifier{{Type: asset.IDUsername, Value: "www-data"}, {Type: asset.IDHostname, Value: "web-01"}}
	upd.Criticality, upd.Owner, upd.DataClassification, upd.PersonalData = 4, "", asset.ClassRestricted, false
	upd.UpdatedAt = at(9)
	e.write(func(tx store.Tx) error { return tx.Assets().Update(ctx, upd, 1) })
	upd.Version = 2
	got = get(e, func(tx store.Tx) (asset.Asset, error) { return tx.Assets().Get(ctx, a.ID, web.ID) })
	require.Equal(t, upd, got)
	require.Equal(t, []string{twin.ID}, find(a.ID, ip))
	require.Equal(t, []string{web.ID}, find(a.ID, asset.Identifier{Type: asset.IDUsername, Value: "www-data"}))
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Assets().Update(ctx, upd, 1) }), store.ErrConflict)
	unknown := upd
	unknown.ID = e.id()
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Assets().Update(ctx, unknown, 2) }), store.ErrNotFound)
	foreign := upd
	foreign.OrgID = b.ID
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Assets().Update(ctx, foreign, 2) }), store.ErrNotFound)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Assets().Create(ctx, bare) }), store.ErrDuplicate)

	// Another organisation sees none of it.
	e.notFound(func(tx store.Tx) error { _, err := tx.Assets().Get(ctx, b.ID, web.ID); return err })
	e.notFound(func(tx store.Tx) error { _, err := tx.Assets().Get(ctx, a.ID, e.id()); return err })
	require.Empty(t, find(b.ID, ip))
	inB := e.asset(b.ID, "b-host", func(x *asset.Asset) {
		x.Owner = "Platform Team"
		x.Identifiers = []asset.Identifier{ip}
	})
	require.Equal(t, []string{inB.ID}, find(b.ID, ip))

	db := e.asset(a.ID, "db-01", func(x *asset.Asset) {
		x.Kind = asset.KindDataStore
		x.Owner = "DBA 100%"
		x.Identifiers = []asset.Identifier{{Type: asset.IDIP, Value: "10.0.1.7"}, {Type: asset.IDCIDR, Value: "10.0.1.0/24"}}
	})
	list := func(f store.AssetFilter) []string {
		out := []string{}
		for pages := 0; ; pages++ {
			require.Less(t, pages, 100)
			page := get(e, func(tx store.Tx) (store.Page[asset.Asset], error) { return tx.Assets().List(ctx, f) })
			out = append(out, ids(page.Items, assetID)...)
			if page.Next == "" {
				return out
			}
			f.Cursor = page.Next
		}
	}
	for _, limit := range []int{0, 1, 2} {
		check := func(name string, f store.AssetFilter, want ...asset.Asset) {
			t.Helper()
			if f.OrgID == "" {
				f.OrgID = a.ID
			}
			f.Limit = limit
			require.Equal(t, ids(want, assetID), list(f), "%s (limit %d)", name, limit)
		}
		check("all, by id", store.AssetFilter{}, web, bare, twin, db)
		check("org B", store.AssetFilter{OrgID: b.ID}, inB)
		check("kind", store.AssetFilter{Kind: asset.KindDataStore}, db)
		check("name prefix, any case", store.AssetFilter{Query: "WEB"}, web, twin)
		check("name prefix, several words", store.AssetFilter{Query: "web f"}, web)
		check("owner prefix", store.AssetFilter{Query: "dba"}, db)
		check("identifier prefix", store.AssetFilter{Query: "10.0."}, twin, db)
		check("identifier value", store.AssetFilter{Query: "www-data"}, web)
		check("not a substring", store.AssetFilter{Query: "01"})
		check("wildcards are literal", store.AssetFilter{Query: "%"})
		check("underscore is literal", store.AssetFilter{Query: "svc_"}, bare)
		check("underscore is not a wildcard", store.AssetFilter{Query: "svc_x"})
		check("percent in a value", store.AssetFilter{Query: "DBA 100%"}, db)
		check("kind and query", store.AssetFilter{Kind: asset.KindHost, Query: "web"}, twin)
	}
	err := e.readErr(func(tx store.Tx) error {
		_, err := tx.Assets().List(ctx, store.AssetFilter{OrgID: a.ID, Cursor: "nope"})
		return err
	})
	require.Error(t, err)
}

func testAssetLinks(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	i1, i2 := e.incident(a.ID, "first"), e.incident(a.ID, "second")
	db := e.asset(a.ID, "db-01", func(x *asset.Asset) { x.Criticality = 4 })
	laptop := e.asset(a.ID, "laptop-7", func(x *asset.Asset) { x.Criticality = 1 })
	inB := e.asset(b.ID, "b-host")
	incB := e.incident(b.ID, "b incident")

	l1 := asset.Link{IncidentID: i1.ID, AssetID: db.ID, Status: asset.LinkSuspected, UpdatedBy: "user:alice", UpdatedAt: at(1).In(cest)}
	l2 := asset.Link{IncidentID: i1.ID, AssetID: laptop.ID, Status: asset.LinkCompromised, Note: "patient zero", UpdatedBy: "system", UpdatedAt: at(2)}
	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Assets().Link(ctx, a.ID, l1))
		return tx.Assets().Link(ctx, a.ID, l2)
	})
	// Linking again changes the link.
	l1 = asset.Link{IncidentID: i1.ID, AssetID: db.ID, Status: asset.LinkContained, Note: "isolated", UpdatedBy: "user:bob", UpdatedAt: at(3)}
	e.write(func(tx store.Tx) error { return tx.Assets().Link(ctx, a.ID, l1) })
	l3 := asset.Link{IncidentID: i2.ID, AssetID: db.ID, Status: asset.LinkClean, UpdatedBy: "user:bob", UpdatedAt: at(4)}
	e.write(func(tx store.Tx) error { return tx.Assets().Link(ctx, a.ID, l3) })

	fill := func(l asset.Link, inc string, x asset.Asset) asset.Link {
		l.IncidentKey, l.AssetName, l.Criticality = inc, x.Name, x.Criticality
		return l
	}
	links := get(e, func(tx store.Tx) ([]asset.Link, error) { return tx.Assets().Links(ctx, a.ID, i1.ID) })
	require.Len(t, links, 2)
	want := []asset.Link{fill(l1, i1.Key, db), fill(l2, i1.Key, laptop)}
	for i := range links {
		require.Equal(t, want[i].AssetName, links[i].AssetName)
		require.Equal(t, want[i].Criticality, links[i].Criticality)
		links[i].IncidentKey = want[i].IncidentKey // Links need not fill the incident key
	}
	require.Equal(t, want, links, "by asset id, with asset name and criticality")

	of := get(e, func(tx store.Tx) ([]asset.Link, error) { return tx.Assets().IncidentsOf(ctx, a.ID, db.ID) })
	require.Len(t, of, 2)
	for i := range of {
		of[i].AssetName, of[i].Criticality = db.Name, db.Criticality // IncidentsOf need not fill them
	}
	require.Equal(t, []asset.Link{fill(l3, i2.Key, db), fill(l1, i1.Key, db)}, of, "newest incident first, with keys")

	e.write(func(tx store.Tx) error { return tx.Assets().Unlink(ctx, a.ID, i1.ID, laptop.ID) })
	links = get(e, func(tx store.Tx) ([]asset.Link, error) { return tx.Assets().Links(ctx, a.ID, i1.ID) })
	require.Equal(t, []string{db.ID}, []string{links[0].AssetID})
	require.Len(t, links, 1)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Assets().Unlink(ctx, a.ID, i1.ID, laptop.ID) }), store.ErrNotFound)

	// Another organisation can neither see nor change the links, nor link across organisations.
	links = get(e, func(tx store.Tx) ([]asset.Link, error) { return tx.Assets().Links(ctx, b.ID, i1.ID) })
	require.Empty(t, links)
	of = get(e, func(tx store.Tx) ([]asset.Link, error) { return tx.Assets().IncidentsOf(ctx, b.ID, db.ID) })
	require.Empty(t, of)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Assets().Unlink(ctx, b.ID, i1.ID, db.ID) }), store.ErrNotFound)
	for _, l := range []asset.Link{
		{IncidentID: i1.ID, AssetID: db.ID},     // both A's, changed from B
		{IncidentID: i1.ID, AssetID: laptop.ID}, // both A's, new from B
		{IncidentID: i1.ID, AssetID: inB.ID},    // A's incident, B's asset
		{IncidentID: incB.ID, AssetID: db.ID},   // B's incident, A's asset
	} {
		l.Status, l.UpdatedBy, l.UpdatedAt = asset.LinkCompromised, "user:mallory", at(9)
		require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Assets().Link(ctx, b.ID, l) }), store.ErrNotFound)
	}
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error {
		return tx.Assets().Link(ctx, a.ID, asset.Link{IncidentID: i1.ID, AssetID: inB.ID, Status: asset.LinkSuspected, UpdatedAt: base})
	}), store.ErrNotFound, "B's asset on A's incident")
	links = get(e, func(tx store.Tx) ([]asset.Link, error) { return tx.Assets().Links(ctx, a.ID, i1.ID) })
	require.Len(t, links, 1)
	require.Equal(t, asset.LinkContained, links[0].Status)
}
