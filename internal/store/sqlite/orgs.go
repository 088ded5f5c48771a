package sqlite

import (
	"context"

	"github.com/quell-ir/quell/internal/access"
)

type orgRepo struct{ *tx }

const orgCols = "id, slug, name, created_at"

func scanOrg(s rowScanner) (access.Org, error) {
	var o access.Org
	err := s.Scan(&o.ID, &o.Slug, &o.Name, timeCol{&o.CreatedAt})
	return o, err
}

func (r orgRepo) Create(ctx context.Context, o access.Org) error {
	_, err := r.exec(ctx, "INSERT INTO orgs ("+orgCols+") VALUES (?, ?, ?, ?)", o.ID, o.Slug, o.Name, tm(o.CreatedAt))
	return err
}

func (r orgRepo) Get(ctx context.Context, id string) (access.Org, error) {
	return scanOne(ctx, r.tx, scanOrg, "SELECT "+orgCols+" FROM orgs WHERE id = ?", id)
}

func (r orgRepo) GetBySlug(ctx context.Context, slug string) (access.Org, error) {
	return scanOne(ctx, r.tx, scanOrg, "SELECT "+orgCols+" FROM orgs WHERE slug = ?", slug)
}

// List returns every organisation by slug.
func (r orgRepo) List(ctx context.Context) ([]access.Org, error) {
	return scanList(ctx, r.tx, scanOrg, "SELECT "+orgCols+" FROM orgs ORDER BY slug")
}
