package postgres

import (
	"context"

	"github.com/quell-ir/quell/internal/access"
)

type orgRepo struct{ *tx }

var orgCols = "id, slug, name, " + tc("created_at")

func scanOrg(s rowScanner) (access.Org, error) {
	var o access.Org
	err := s.Scan(dest(&o.ID, &o.Slug, &o.Name, tcol(&o.CreatedAt))...)
	return o, err
}

func (r orgRepo) Create(ctx context.Context, o access.Org) error {
	c := (&cols{}).set("id", o.ID).set("slug", o.Slug).set("name", o.Name).setTime("created_at", o.CreatedAt)
	_, err := r.exec(ctx, c.insert("orgs"), c.args...)
	return err
}

func (r orgRepo) Get(ctx context.Context, id string) (access.Org, error) {
	return scanOne(ctx, r.tx, scanOrg, "SELECT "+orgCols+" FROM orgs WHERE id = $1", id)
}

func (r orgRepo) GetBySlug(ctx context.Context, slug string) (access.Org, error) {
	return scanOne(ctx, r.tx, scanOrg, "SELECT "+orgCols+" FROM orgs WHERE slug = $1", slug)
}

// List returns every organisation by slug.
func (r orgRepo) List(ctx context.Context) ([]access.Org, error) {
	return scanList(ctx, r.tx, scanOrg, "SELECT "+orgCols+" FROM orgs ORDER BY slug")
}
