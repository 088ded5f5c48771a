package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// CreateAsset adds an asset to the inventory.
func (s *Service) CreateAsset(ctx context.Context, p access.Principal, req NewAsset) (asset.Asset, error) {
	var out asset.Asset
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		a := asset.Asset{ID: NewID(), OrgID: p.OrgID, Kind: req.Kind, Name: req.Name, Description: req.Description,
			Identifiers: slices.Clone(req.Identifiers), Criticality: req.Criticality, Owner: req.Owner,
			DataClassification: req.DataClassification, PersonalData: req.PersonalData,
			CreatedAt: w.now, UpdatedAt: w.now, Version: 1}
		if a.Identifiers == nil {
			a.Identifiers = []asset.Identifier{}
		}
		if err := a.Validate(); err != nil {
			return err
		}
		if err := w.tx.Assets().Create(ctx, a); err != nil {
			return err
		}
		if err := w.audit("asset.create", "asset", a.ID, "", a); err != nil {
			return err
		}
		out = a
		return nil
	})
	return out, err
}

// GetAsset returns an asset of the principal's organisation.
func (s *Service) GetAsset(ctx context.Context, p access.Principal, id string) (asset.Asset, error) {
	var out asset.Asset
	err := s.read(ctx, p, func(w *work) error {
		var err error
		out, err = w.tx.Assets().Get(ctx, p.OrgID, id)
		return err
	})
	return out, err
}

// ListAssets lists the inventory.
func (s *Service) ListAssets(ctx context.Context, p access.Principal, f store.AssetFilter) (store.Page[asset.Asset], error) {
	var out store.Page[asset.Asset]
	f.OrgID = p.OrgID
	err := s.read(ctx, p, func(w *work) error {
		var err error
		out, err = w.tx.Assets().List(ctx, f)
		return err
	})
	if out.Items == nil {
		out.Items = []asset.Asset{}
	}
	return out, err
}

// UpdateAsset changes an asset. A change of criticality re-ranks the incidents it is linked to.
func (s *Service) UpdateAsset(ctx context.Context, p access.Principal, id string, patch AssetPatch, ifMatch int64) (asset.Asset, error) {
	var out asset.Asset
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		a, err := w.tx.Assets().Get(ctx, p.OrgID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(a.Version, ifMatch, patch.Version); err != nil {
			return err
		}
		before := a
		before.Identifiers = slices.Clone(a.Identifiers)
		applyAssetPatch(&a, patch)
		if err := a.Validate(); err != nil {
			return err
		}
		a.UpdatedAt = w.now
		if err := w.tx.Assets().Update(ctx, a, before.Version); err != nil {
			return err
		}
		a.Version = before.Version + 1
		if err := w.audit("asset.update", "asset", a.ID, "", audit.Diff{"asset": {before, a}}); err != nil {
			return err
		}
		if a.Criticality != before.Criticality {
			links, err := w.tx.Assets().IncidentsOf(ctx, p.OrgID, a.ID)
			if err != nil {
				return err
			}
			for _, l := range links {
				if err := w.reprioritize(l.IncidentID); err != nil {
					return err
				}
			}
		}
		out = a
		return nil
	})
	return out, err
}

func applyAssetPatch(a *asset.Asset, p AssetPatch) {
	if p.Kind != nil {
		a.Kind = *p.Kind
	}
	if p.Name != nil {
		a.Name = *p.Name
	}
	if p.Description != nil {
		a.Description = *p.Description
	}
	if p.Identifiers != nil {
		a.Identifiers = slices.Clone(*p.Identifiers)
	}
	if p.Criticality != nil {
		a.Criticality = *p.Criticality
	}
	if p.Owner != nil {
		a.Owner = *p.Owner
	}
	if p.DataClassification != nil {
		a.DataClassification = *p.DataClassification
	}
	if p.PersonalData != nil {
		a.PersonalData = *p.PersonalData
	}
}

// reprioritize recomputes an incident's highest asset criticality and priority after its
// links changed, writing it (and a timeline entry) only when the priority moved.
func (w *work) reprioritize(incidentID string) error {
	inc, err := w.tx.Incidents().Get(w.ctx, w.p.OrgID, incidentID)
	if err != nil {
		return err
	}
	links, err := w.tx.Assets().Links(w.ctx, w.p.OrgID, incidentID)
	if err != nil {
		return err
	}
	maxCrit := 0
	for _, l := range links {
		maxCrit = max(maxCrit, l.Criticality)
	}
	before := inc
	inc.MaxCriticality = maxCrit
	inc.Reprioritize()
	if inc.MaxCriticality == before.MaxCriticality && inc.Priority == before.Priority {
		return nil
	}
	inc.UpdatedAt = w.now
	if err := w.tx.Incidents().Update(w.ctx, inc, before.Version); err != nil {
		return err
	}
	if inc.Priority != before.Priority {
		if err := w.timeline(inc.ID, incident.KindIncident, fmt.Sprintf("Priority %s → %s (highest asset criticality now %d)",
			before.Priority, inc.Priority, maxCrit), nil); err != nil {
			return err
		}
	}
	return w.audit("incident.reprioritize", "incident", inc.ID, inc.ID, audit.Diff{
		"priority": {before.Priority, inc.Priority}, "max_asset_criticality": {before.MaxCriticality, maxCrit}})
}

// LinkAsset links an asset to an incident with a status, or changes the status.
func (s *Service) LinkAsset(ctx context.Context, p access.Principal, key, assetID string, req LinkRequest) (asset.Link, error) {
	var out asset.Link
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		if req.Status == "" {
			req.Status = asset.LinkSuspected
		}
		if !req.Status.Valid() {
			return invalid("/status", "must be one of %v", asset.LinkStatuses)
		}
		if len(req.Note) > 2000 {
			return invalid("/note", "at most 2000 characters")
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		a, err := w.tx.Assets().Get(ctx, p.OrgID, assetID)
		if err != nil {
			return err
		}
		var previous asset.LinkStatus
		links, err := w.tx.Assets().Links(ctx, p.OrgID, inc.ID)
		if err != nil {
			return err
		}
		for _, l := range links {
			if l.AssetID == a.ID {
				previous = l.Status
			}
		}
		l := asset.Link{IncidentID: inc.ID, IncidentKey: inc.Key, AssetID: a.ID, AssetName: a.Name, Criticality: a.Criticality,
			Status: req.Status, Note: req.Note, UpdatedBy: actor(p), UpdatedAt: w.now}
		if err := w.tx.Assets().Link(ctx, p.OrgID, l); err != nil {
			return err
		}
		text := fmt.Sprintf("Asset %s (%s, criticality %d) linked as %s", a.Name, a.Kind, a.Criticality, l.Status)
		if previous != "" {
			text = fmt.Sprintf("Asset %s: %s → %s", a.Name, previous, l.Status)
		}
		if l.Note != "" {
			text += ": " + l.Note
		}
		if err := w.timeline(inc.ID, incident.KindAsset, text, map[string]any{"asset_id": a.ID, "from": previous, "to": l.Status}); err != nil {
			return err
		}
		if err := w.audit("incident.asset.link", "asset", a.ID, inc.ID, l); err != nil {
			return err
		}
		out = l
		return w.reprioritize(inc.ID)
	})
	return out, err
}

// UnlinkAsset removes an asset from an incident.
func (s *Service) UnlinkAsset(ctx context.Context, p access.Principal, key, assetID string) error {
	return s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		a, err := w.tx.Assets().Get(ctx, p.OrgID, assetID)
		if err != nil {
			return err
		}
		err = w.tx.Assets().Unlink(ctx, p.OrgID, inc.ID, a.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil // not linked: nothing to remove or record
		}
		if err != nil {
			return err
		}
		if err := w.timeline(inc.ID, incident.KindAsset, fmt.Sprintf("Asset %s unlinked", a.Name), map[string]string{"asset_id": a.ID}); err != nil {
			return err
		}
		if err := w.audit("incident.asset.unlink", "asset", a.ID, inc.ID, nil); err != nil {
			return err
		}
		return w.reprioritize(inc.ID)
	})
}

// IncidentAssets lists the assets linked to an incident.
func (s *Service) IncidentAssets(ctx context.Context, p access.Principal, key string) ([]asset.Link, error) {
	var out []asset.Link
	err := s.read(ctx, p, func(w *work) error {
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		out, err = w.tx.Assets().Links(ctx, p.OrgID, inc.ID)
		return err
	})
	if out == nil {
		out = []asset.Link{}
	}
	return out, err
}

// AssetIncidents lists the incidents an asset was part of, leaving out those the principal
// may not see.
func (s *Service) AssetIncidents(ctx context.Context, p access.Principal, assetID string) ([]asset.Link, error) {
	out := []asset.Link{}
	err := s.read(ctx, p, func(w *work) error {
		if _, err := w.tx.Assets().Get(ctx, p.OrgID, assetID); err != nil {
			return err
		}
		links, err := w.tx.Assets().IncidentsOf(ctx, p.OrgID, assetID)
		if err != nil {
			return err
		}
		for _, l := range links {
			if _, err := w.incidentByID(l.IncidentID); err == nil {
				out = append(out, l)
			}
		}
		return nil
	})
	return out, err
}
