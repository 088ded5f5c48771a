package sqlite

import (
	"context"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

type assetRepo struct{ *tx }

const assetCols = `a.id, a.org_id, a.kind, a.name, a.description, a.identifiers, a.criticality, a.owner,
	a.data_classification, a.personal_data, a.created_at, a.updated_at, a.version`

func scanAsset(s rowScanner) (asset.Asset, error) {
	var a asset.Asset
	err := s.Scan(&a.ID, &a.OrgID, &a.Kind, &a.Name, &a.Description, jsonCol{&a.Identifiers}, &a.Criticality,
		&a.Owner, &a.DataClassification, &a.PersonalData, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt}, &a.Version)
	return a, err
}

func (r assetRepo) Create(ctx context.Context, a asset.Asset) error {
	ids, err := jsonText(a.Identifiers)
	if err != nil {
		return err
	}
	if _, err := r.exec(ctx, `INSERT INTO assets (id, org_id, kind, name, description, identifiers, criticality,
		owner, data_classification, personal_data, created_at, updated_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.OrgID, string(a.Kind), a.Name, a.Description, ids, a.Criticality, a.Owner,
		string(a.DataClassification), boolInt(a.PersonalData), tm(a.CreatedAt), tm(a.UpdatedAt), a.Version); err != nil {
		return err
	}
	return r.writeIdentifiers(ctx, a, false)
}

// writeIdentifiers mirrors an asset's identifiers into asset_identifiers, for look-ups by value.
func (r assetRepo) writeIdentifiers(ctx context.Context, a asset.Asset, replace bool) error {
	if replace {
		if _, err := r.exec(ctx, "DELETE FROM asset_identifiers WHERE asset_id = ?", a.ID); err != nil {
			return err
		}
	}
	for i, id := range a.Identifiers {
		if _, err := r.exec(ctx, `INSERT INTO asset_identifiers (asset_id, position, org_id, type, value)
			VALUES (?, ?, ?, ?, ?)`, a.ID, i, a.OrgID, string(id.Type), id.Value); err != nil {
			return err
		}
	}
	return nil
}

func (r assetRepo) Get(ctx context.Context, orgID, id string) (asset.Asset, error) {
	return scanOne(ctx, r.tx, scanAsset, "SELECT "+assetCols+" FROM assets a WHERE a.org_id = ? AND a.id = ?", orgID, id)
}

// Update writes every field but the id, organisation and creation time.
func (r assetRepo) Update(ctx context.Context, a asset.Asset, expectVersion int64) error {
	ids, err := jsonText(a.Identifiers)
	if err != nil {
		return err
	}
	err = r.updateVersioned(ctx, "assets", "org_id = ? AND id = ?", []any{a.OrgID, a.ID}, `UPDATE assets SET
		kind = ?, name = ?, description = ?, identifiers = ?, criticality = ?, owner = ?, data_classification = ?,
		personal_data = ?, updated_at = ?, version = ? WHERE org_id = ? AND id = ? AND version = ?`,
		string(a.Kind), a.Name, a.Description, ids, a.Criticality, a.Owner, string(a.DataClassification),
		boolInt(a.PersonalData), tm(a.UpdatedAt), expectVersion+1, a.OrgID, a.ID, expectVersion)
	if err != nil {
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
	w.add("a.org_id = ?", f.OrgID)
	if f.Kind != "" {
		w.add("a.kind = ?", string(f.Kind))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		p := likePrefix(q)
		w.add(`(a.name LIKE ? ESCAPE '\' OR a.owner LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM asset_identifiers ai
			WHERE ai.asset_id = a.id AND ai.value LIKE ? ESCAPE '\'))`, p, p, p)
	}
	if f.Cursor != "" {
		parts, err := store.DecodeCursor(f.Cursor, 1)
		if err != nil {
			return page, err
		}
		w.add("a.id > ?", parts[0])
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
	page.Items = items
	if page.Items == nil {
		page.Items = []asset.Asset{}
	}
	return page, nil
}

// FindByIdentifier returns the assets carrying the identifier, in id order.
func (r assetRepo) FindByIdentifier(ctx context.Context, orgID string, id asset.Identifier) ([]asset.Asset, error) {
	return scanList(ctx, r.tx, scanAsset, "SELECT "+assetCols+` FROM assets a WHERE a.org_id = ? AND a.id IN
		(SELECT asset_id FROM asset_identifiers WHERE org_id = ? AND type = ? AND value = ?) ORDER BY a.id`,
		orgID, orgID, string(id.Type), id.Value)
}

// Link links an asset to an incident or changes the link; both must be the organisation's.
func (r assetRepo) Link(ctx context.Context, orgID string, l asset.Link) error {
	// The WHERE keeps another organisation's row untouched: no row changed is ErrNotFound.
	return r.execOne(ctx, `INSERT INTO incident_assets (incident_id, asset_id, org_id, status, note, updated_by,
		updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (incident_id, asset_id) DO UPDATE SET status = excluded.status, note = excluded.note,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at
		WHERE incident_assets.org_id = excluded.org_id`,
		l.IncidentID, l.AssetID, orgID, string(l.Status), l.Note, l.UpdatedBy, tm(l.UpdatedAt))
}

// Unlink returns ErrNotFound when the asset is not linked to the incident.
func (r assetRepo) Unlink(ctx context.Context, orgID, incidentID, assetID string) error {
	return r.execOne(ctx, "DELETE FROM incident_assets WHERE org_id = ? AND incident_id = ? AND asset_id = ?",
		orgID, incidentID, assetID)
}

const linkSelect = `SELECT l.incident_id, i.number, l.asset_id, a.name, a.criticality, l.status, l.note,
	l.updated_by, l.updated_at
	FROM incident_assets l JOIN assets a ON a.org_id = l.org_id AND a.id = l.asset_id
	JOIN incidents i ON i.org_id = l.org_id AND i.id = l.incident_id`

func scanLink(s rowScanner) (asset.Link, error) {
	var l asset.Link
	var number int64
	err := s.Scan(&l.IncidentID, &number, &l.AssetID, &l.AssetName, &l.Criticality, &l.Status, &l.Note,
		&l.UpdatedBy, timeCol{&l.UpdatedAt})
	l.IncidentKey = incident.FormatKey(number)
	return l, err
}

// Links lists an incident's assets by asset id, with name, criticality and incident key filled in.
func (r assetRepo) Links(ctx context.Context, orgID, incidentID string) ([]asset.Link, error) {
	return scanList(ctx, r.tx, scanLink, linkSelect+" WHERE l.org_id = ? AND l.incident_id = ? ORDER BY l.asset_id",
		orgID, incidentID)
}

// IncidentsOf lists the incidents an asset was part of, newest first, with keys filled in.
func (r assetRepo) IncidentsOf(ctx context.Context, orgID, assetID string) ([]asset.Link, error) {
	return scanList(ctx, r.tx, scanLink, linkSelect+" WHERE l.org_id = ? AND l.asset_id = ? ORDER BY l.incident_id DESC",
		orgID, assetID)
}

func (r assetRepo) MatchIdentifiers(ctx context.Context, orgID string, ids []asset.Identifier) (map[asset.Identifier][]store.AssetRef, error) {
	out := map[asset.Identifier][]store.AssetRef{}
	wanted := map[asset.Identifier]bool{}
	values := make([]string, 0, len(ids))
	for _, id := range ids {
		if !wanted[id] {
			wanted[id] = true
			values = append(values, id.Value)
		}
	}
	for len(values) > 0 {
		chunk := values[:min(len(values), 500)]
		values = values[len(chunk):]
		args := []any{orgID}
		for _, v := range chunk {
			args = append(args, v)
		}
		rows, err := r.query(ctx, `SELECT DISTINCT ai.type, ai.value, a.id, a.criticality FROM asset_identifiers ai
			JOIN assets a ON a.org_id = ai.org_id AND a.id = ai.asset_id
			WHERE ai.org_id = ? AND ai.value IN (`+placeholders(len(chunk))+`) ORDER BY a.id`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id asset.Identifier
			var ref store.AssetRef
			if err := rows.Scan(&id.Type, &id.Value, &ref.ID, &ref.Criticality); err != nil {
				rows.Close()
				return nil, mapErr(err)
			}
			if wanted[id] {
				out[id] = append(out[id], ref)
			}
		}
		if err := rows.Close(); err != nil {
			return nil, mapErr(err)
		}
		if err := rows.Err(); err != nil {
			return nil, mapErr(err)
		}
	}
	return out, nil
}
