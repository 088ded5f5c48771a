package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

type assetRepo struct{ *tx }

var assetCols = `a.id, a.org_id, a.kind, a.name, a.description, a.identifiers, a.criticality, a.owner,
	a.data_classification, a.personal_data, ` + tc("a.created_at") + ", " + tc("a.updated_at") + ", a.version"

func scanAsset(s rowScanner) (asset.Asset, error) {
	var a asset.Asset
	err := s.Scan(dest(&a.ID, &a.OrgID, &a.Kind, &a.Name, &a.Description, &a.Identifiers, &a.Criticality,
		&a.Owner, &a.DataClassification, &a.PersonalData, tcol(&a.CreatedAt), tcol(&a.UpdatedAt), &a.Version)...)
	return a, err
}

// assetFields sets the columns an update may change.
func assetFields(c *cols, a asset.Asset) (*cols, error) {
	ids, err := jsonArg(a.Identifiers, a.Identifiers == nil)
	if err != nil {
		return nil, err
	}
	return c.set("kind", string(a.Kind)).set("name", a.Name).set("description", a.Description).
		set("identifiers", ids).set("criticality", a.Criticality).set("owner", a.Owner).
		set("data_classification", string(a.DataClassification)).set("personal_data", a.PersonalData).
		setTime("updated_at", a.UpdatedAt), nil
}

func (r assetRepo) Create(ctx context.Context, a asset.Asset) error {
	c, err := assetFields((&cols{}).set("id", a.ID).set("org_id", a.OrgID).setTime("created_at", a.CreatedAt).
		set("version", a.Version), a)
	if err != nil {
		return err
	}
	if _, err := r.exec(ctx, c.insert("assets"), c.args...); err != nil {
		return err
	}
	return r.writeIdentifiers(ctx, a, false)
}

// writeIdentifiers mirrors an asset's identifiers into asset_identifiers, for look-ups by value.
func (r assetRepo) writeIdentifiers(ctx context.Context, a asset.Asset, replace bool) error {
	if replace {
		if _, err := r.exec(ctx, "DELETE FROM asset_identifiers WHERE asset_id = $1", a.ID); err != nil {
			return err
		}
	}
	if len(a.Identifiers) == 0 {
		return nil
	}
	types := make([]string, len(a.Identifiers))
	values := make([]string, len(a.Identifiers))
	for i, id := range a.Identifiers {
		types[i], values[i] = string(id.Type), id.Value
	}
	_, err := r.exec(ctx, `INSERT INTO asset_identifiers (asset_id, position, org_id, type, value)
		SELECT $1, x.n - 1, $2, x.type, x.value FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS x (type, value, n)`,
		a.ID, a.OrgID, types, values)
	return err
}

func (r assetRepo) Get(ctx context.Context, orgID, id string) (asset.Asset, error) {
	return scanOne(ctx, r.tx, scanAsset, "SELECT "+assetCols+" FROM assets a WHERE a.org_id = $1 AND a.id = $2", orgID, id)
}

// Update writes every field but the id, organisation and creation time.
func (r assetRepo) Update(ctx context.Context, a asset.Asset, expectVersion int64) error {
	c, err := assetFields(&cols{}, a)
	if err != nil {
		return err
	}
	c.set("version", expectVersion+1)
	q := "UPDATE assets SET " + c.assignments() + " WHERE org_id = " + c.args.add(a.OrgID) +
		" AND id = " + c.args.add(a.ID) + " AND version = " + c.args.add(expectVersion)
	if err := r.updateVersioned(ctx, "assets", "org_id = $1 AND id = $2", []any{a.OrgID, a.ID}, q, c.args...); err != nil {
		return err
	}
	return r.writeIdentifiers(ctx, a, true)
}

// likePrefix makes a LIKE pattern matching values that start with s.
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// List returns a page of assets in id order.
func (r assetRepo) List(ctx context.Context, f store.AssetFilter) (store.Page[asset.Asset], error) {
	var page store.Page[asset.Asset]
	w := &where{}
	org := w.arg(f.OrgID)
	w.add("a.org_id = " + org)
	if f.Kind != "" {
		w.add("a.kind = " + w.arg(string(f.Kind)))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		// Prefix, case-insensitive: the pattern is folded in Go, the columns with lower().
		p := w.arg(likePrefix(strings.ToLower(q)))
		w.add(`(lower(a.name) LIKE ` + p + ` ESCAPE '\' OR lower(a.owner) LIKE ` + p + ` ESCAPE '\'
			OR a.id IN (SELECT asset_id FROM asset_identifiers WHERE org_id = ` + org + ` AND lower(value) LIKE ` + p + ` ESCAPE '\'))`)
	}
	if f.Cursor != "" {
		parts, err := store.DecodeCursor(f.Cursor, 1)
		if err != nil {
			return page, err
		}
		w.add("a.id > " + w.arg(parts[0]))
	}
	limit := store.ClampLimit(f.Limit)
	items, err := scanList(ctx, r.tx, scanAsset, "SELECT "+assetCols+" FROM assets a"+w.sql()+
		" ORDER BY a.id LIMIT "+strconv.Itoa(limit+1), w.args...)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = store.EncodeCursor(items[limit-1].ID)
	}
	page.Items = nonNil(items)
	return page, nil
}

// FindByIdentifier returns the assets carrying the identifier, in id order.
func (r assetRepo) FindByIdentifier(ctx context.Context, orgID string, id asset.Identifier) ([]asset.Asset, error) {
	return scanList(ctx, r.tx, scanAsset, "SELECT "+assetCols+` FROM assets a WHERE a.org_id = $1 AND a.id IN
		(SELECT asset_id FROM asset_identifiers WHERE org_id = $1 AND type = $2 AND value = $3) ORDER BY a.id`,
		orgID, string(id.Type), id.Value)
}

// Link links an asset to an incident or changes the link; both must be the organisation's.
func (r assetRepo) Link(ctx context.Context, orgID string, l asset.Link) error {
	at, ns := splitTime(l.UpdatedAt)
	// The WHERE keeps another organisation's row untouched: no row changed is ErrNotFound.
	return r.execOne(ctx, `INSERT INTO incident_assets (incident_id, asset_id, org_id, status, note, updated_by,
		updated_at, updated_at_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (incident_id, asset_id) DO UPDATE SET status = excluded.status, note = excluded.note,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at, updated_at_ns = excluded.updated_at_ns
		WHERE incident_assets.org_id = excluded.org_id`,
		l.IncidentID, l.AssetID, orgID, string(l.Status), l.Note, l.UpdatedBy, at, ns)
}

// Unlink returns ErrNotFound when the asset is not linked to the incident.
func (r assetRepo) Unlink(ctx context.Context, orgID, incidentID, assetID string) error {
	return r.execOne(ctx, "DELETE FROM incident_assets WHERE org_id = $1 AND incident_id = $2 AND asset_id = $3",
		orgID, incidentID, assetID)
}

const linkSelect = `SELECT l.incident_id, i.number, l.asset_id, a.name, a.criticality, l.status, l.note,
	l.updated_by, l.updated_at, l.updated_at_ns
	FROM incident_assets l JOIN assets a ON a.org_id = l.org_id AND a.id = l.asset_id
	JOIN incidents i ON i.org_id = l.org_id AND i.id = l.incident_id`

func scanLink(s rowScanner) (asset.Link, error) {
	var l asset.Link
	var number int64
	err := s.Scan(dest(&l.IncidentID, &number, &l.AssetID, &l.AssetName, &l.Criticality, &l.Status, &l.Note,
		&l.UpdatedBy, tcol(&l.UpdatedAt))...)
	l.IncidentKey = incident.FormatKey(number)
	return l, err
}

// Links lists an incident's assets by asset id, with name, criticality and incident key filled in.
func (r assetRepo) Links(ctx context.Context, orgID, incidentID string) ([]asset.Link, error) {
	return scanList(ctx, r.tx, scanLink, linkSelect+" WHERE l.org_id = $1 AND l.incident_id = $2 ORDER BY l.asset_id",
		orgID, incidentID)
}

// IncidentsOf lists the incidents an asset was part of, newest first, with keys filled in.
func (r assetRepo) IncidentsOf(ctx context.Context, orgID, assetID string) ([]asset.Link, error) {
	return scanList(ctx, r.tx, scanLink, linkSelect+" WHERE l.org_id = $1 AND l.asset_id = $2 ORDER BY l.incident_id DESC",
		orgID, assetID)
}

func (r assetRepo) MatchIdentifiers(ctx context.Context, orgID string, ids []asset.Identifier) (map[asset.Identifier][]store.AssetRef, error) {
	out := map[asset.Identifier][]store.AssetRef{}
	if len(ids) == 0 {
		return out, nil
	}
	wanted := map[asset.Identifier]bool{}
	var values []string
	for _, id := range ids {
		if !wanted[id] {
			wanted[id] = true
			values = append(values, id.Value)
		}
	}
	rows, err := r.pgTx.Query(ctx, `SELECT DISTINCT ai.type, ai.value, a.id, a.criticality FROM asset_identifiers ai
		JOIN assets a ON a.org_id = ai.org_id AND a.id = ai.asset_id
		WHERE ai.org_id = $1 AND ai.value = ANY($2) ORDER BY a.id`, orgID, values)
	if err != nil {
		return nil, r.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id asset.Identifier
		var ref store.AssetRef
		if err := rows.Scan(&id.Type, &id.Value, &ref.ID, &ref.Criticality); err != nil {
			return nil, r.mapErr(err)
		}
		if wanted[id] {
			out[id] = append(out[id], ref)
		}
	}
	return out, r.mapErr(rows.Err())
}
