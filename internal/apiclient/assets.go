package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/store"
)

// AssetQuery selects assets of the inventory.
type AssetQuery struct {
	Kind asset.Kind
	// Query matches name, owner and identifier values.
	Query string
	ListOptions
}

func assetPath(id string) string { return "/api/v1/assets/" + seg(id) }

// ListAssets returns one page of the inventory (GET /api/v1/assets).
func (c *Client) ListAssets(ctx context.Context, q AssetQuery) (store.Page[asset.Asset], error) {
	v := q.ListOptions.values()
	setIf(v, "kind", string(q.Kind))
	setIf(v, "q", q.Query)
	var out store.Page[asset.Asset]
	err := c.do(ctx, http.MethodGet, "/api/v1/assets", v, 0, nil, &out)
	return out, err
}

// CreateAsset adds an asset to the inventory (POST /api/v1/assets).
func (c *Client) CreateAsset(ctx context.Context, req casework.NewAsset) (asset.Asset, error) {
	var out asset.Asset
	err := c.do(ctx, http.MethodPost, "/api/v1/assets", nil, 0, req, &out)
	return out, err
}

// GetAsset returns an asset (GET /api/v1/assets/{id}).
func (c *Client) GetAsset(ctx context.Context, id string) (asset.Asset, error) {
	var out asset.Asset
	err := c.do(ctx, http.MethodGet, assetPath(id), nil, 0, nil, &out)
	return out, err
}

// UpdateAsset changes an asset (PATCH /api/v1/assets/{id}); ifMatch, when not zero, is the
// version the change was based on.
func (c *Client) UpdateAsset(ctx context.Context, id string, patch casework.AssetPatch, ifMatch int64) (asset.Asset, error) {
	var out asset.Asset
	err := c.do(ctx, http.MethodPatch, assetPath(id), nil, ifMatch, patch, &out)
	return out, err
}

// ListAssetIncidents returns the incidents an asset was part of
// (GET /api/v1/assets/{id}/incidents).
func (c *Client) ListAssetIncidents(ctx context.Context, id string) ([]asset.Link, error) {
	var out []asset.Link
	err := c.do(ctx, http.MethodGet, assetPath(id)+"/incidents", nil, 0, nil, &out)
	return out, err
}

// ListIncidentAssets returns the assets linked to an incident
// (GET /api/v1/incidents/{key}/assets).
func (c *Client) ListIncidentAssets(ctx context.Context, key string) ([]asset.Link, error) {
	var out []asset.Link
	err := c.do(ctx, http.MethodGet, incidentPath(key)+"/assets", nil, 0, nil, &out)
	return out, err
}

// LinkAsset links an asset to an incident or changes the link's status
// (PUT /api/v1/incidents/{key}/assets/{asset}).
func (c *Client) LinkAsset(ctx context.Context, key, assetID string, req casework.LinkRequest) (asset.Link, error) {
	var out asset.Link
	err := c.do(ctx, http.MethodPut, incidentPath(key)+"/assets/"+seg(assetID), nil, 0, req, &out)
	return out, err
}

// UnlinkAsset removes an asset from an incident (DELETE /api/v1/incidents/{key}/assets/{asset}).
func (c *Client) UnlinkAsset(ctx context.Context, key, assetID string) error {
	return c.do(ctx, http.MethodDelete, incidentPath(key)+"/assets/"+seg(assetID), nil, 0, nil, nil)
}

// AuditQuery selects audit records, oldest first.
type AuditQuery struct {
	// Incident keeps the records of one incident (key or id).
	Incident string
	// After is the cursor: only records with a larger sequence number.
	After int64
	Limit int
}

// ListAudit returns one page of audit records (GET /api/v1/audit). The page's Next is the
// sequence number to pass as After; NextAfter parses it.
func (c *Client) ListAudit(ctx context.Context, q AuditQuery) (store.Page[audit.Record], error) {
	v := url.Values{}
	setIf(v, "incident", q.Incident)
	if q.After > 0 {
		v.Set("after", strconv.FormatInt(q.After, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var out store.Page[audit.Record]
	err := c.do(ctx, http.MethodGet, "/api/v1/audit", v, 0, nil, &out)
	return out, err
}

// NextAfter parses the Next of an audit page: 0 and no error on the last page.
func NextAfter(next string) (int64, error) {
	if next == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(next, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("audit cursor %q is not a sequence number", next)
	}
	return n, nil
}

// Search runs a full-text search over incidents, tasks, notes and timeline entries
// (GET /api/v1/search). Snippets are plain text.
func (c *Client) Search(ctx context.Context, query string, limit int) ([]store.SearchHit, error) {
	v := url.Values{"q": {query}}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var out []store.SearchHit
	err := c.do(ctx, http.MethodGet, "/api/v1/search", v, 0, nil, &out)
	return out, err
}

// Healthz checks that the server is up (GET /healthz).
func (c *Client) Healthz(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", nil, 0, nil, nil)
}

// Readyz checks that the server can take requests, its database included (GET /readyz).
func (c *Client) Readyz(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/readyz", nil, 0, nil, nil)
}

// ErrCursorLoop is returned by All when the server hands out the same cursor twice.
var ErrCursorLoop = errors.New("the server returned the same page cursor twice")

// All follows a list's cursors from the first page to the last and returns every item. fetch
// gets one page from a cursor ("" for the first page); max, when above zero, stops early once
// that many items are collected.
func All[T any](ctx context.Context, max int, fetch func(ctx context.Context, cursor string) (store.Page[T], error)) ([]T, error) {
	var items []T
	seen := map[string]bool{}
	cursor := ""
	for {
		if err := ctx.Err(); err != nil {
			return items, err
		}
		page, err := fetch(ctx, cursor)
		if err != nil {
			return items, err
		}
		items = append(items, page.Items...)
		if page.Next == "" || (max > 0 && len(items) >= max) {
			if max > 0 && len(items) > max {
				items = items[:max]
			}
			return items, nil
		}
		if seen[page.Next] {
			return items, ErrCursorLoop
		}
		seen[page.Next] = true
		cursor = page.Next
	}
}
