package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

// assetOptions are the choices of the asset forms and filters.
type assetOptions struct {
	Kinds           []asset.Kind
	Classifications []asset.Classification
	IdentifierTypes []asset.IdentifierType
	Criticalities   []int
}

var assetChoices = assetOptions{Kinds: asset.Kinds, Classifications: asset.Classifications,
	IdentifierTypes: asset.IdentifierTypes, Criticalities: []int{4, 3, 2, 1}}

// criticalityLabel names a criticality level.
func criticalityLabel(n int) string {
	switch n {
	case 4:
		return "4 · crown jewel"
	case 3:
		return "3 · high"
	case 2:
		return "2 · medium"
	case 1:
		return "1 · low"
	}
	return "—"
}

type assetListPage struct {
	Filter  *form
	Items   []asset.Asset
	Next    string
	Paged   bool
	Options assetOptions
	Notice  string
}

func (srv *Server) assetList(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	lp := assetListPage{Filter: newForm(q), Options: assetChoices, Paged: q.Get("cursor") != ""}
	f := store.AssetFilter{Query: strings.TrimSpace(q.Get("q")), Cursor: q.Get("cursor"), Limit: store.DefaultLimit}
	if k := asset.Kind(q.Get("kind")); k != "" {
		if k.Valid() {
			f.Kind = k
		} else {
			lp.Notice = "The kind in the address was not understood and was left out."
		}
	}
	if len(f.Query) > 300 {
		f.Query, lp.Notice = "", "The search text was too long and was left out."
	}
	page, err := srv.cases.ListAssets(r.Context(), rq.p, f)
	if v, ok := validation.As(err); ok && fieldName(v.Pointer) == "cursor" {
		f.Cursor, lp.Paged, lp.Notice = "", false, "The page link was out of date; this is the first page."
		page, err = srv.cases.ListAssets(r.Context(), rq.p, f)
	}
	if err != nil {
		return err
	}
	lp.Items = page.Items
	if page.Next != "" {
		nq := url.Values{"q": {f.Query}, "kind": {string(f.Kind)}, "cursor": {page.Next}}
		lp.Next = "/assets?" + nq.Encode()
	}
	srv.render(w, r, rq, http.StatusOK, "assets", "Assets", lp)
	return nil
}

type assetPage struct {
	Asset     asset.Asset
	Incidents []asset.Link
}

func (srv *Server) assetPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	a, err := srv.cases.GetAsset(r.Context(), rq.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	links, err := srv.cases.AssetIncidents(r.Context(), rq.p, a.ID)
	if err != nil {
		return err
	}
	srv.render(w, r, rq, http.StatusOK, "asset", a.Name, assetPage{Asset: a, Incidents: links})
	return nil
}

type assetForm struct {
	Form    *form
	Options assetOptions
	// Asset is set when editing.
	Asset *asset.Asset
}

var assetFields = map[string]string{"name": "name", "kind": "kind", "criticality": "criticality", "owner": "owner",
	"description": "description", "data_classification": "classification", "identifiers": "identifiers"}

// parseIdentifiers reads the identifiers field: one "type: value" per line.
func parseIdentifiers(text string) ([]asset.Identifier, error) {
	ids := []asset.Identifier{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		typ, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: write the type, a colon and the value, such as ip: 10.0.0.5", i+1)
		}
		ids = append(ids, asset.Identifier{Type: asset.IdentifierType(strings.ToLower(strings.TrimSpace(typ))), Value: strings.TrimSpace(value)})
	}
	return ids, nil
}

func formatIdentifiers(ids []asset.Identifier) string {
	lines := make([]string, len(ids))
	for i, id := range ids {
		lines[i] = string(id.Type) + ": " + id.Value
	}
	return strings.Join(lines, "\n")
}

// assetRequest reads the asset form into the fields of a new asset.
func assetRequest(pf url.Values, f *form) casework.NewAsset {
	req := casework.NewAsset{Kind: asset.Kind(pf.Get("kind")), Name: pf.Get("name"), Description: pf.Get("description"),
		Owner: strings.TrimSpace(pf.Get("owner")), DataClassification: asset.Classification(pf.Get("classification")),
		PersonalData: pf.Get("personal_data") == "on"}
	crit, err := strconv.Atoi(pf.Get("criticality"))
	if err != nil {
		f.fieldError("criticality", "Pick a criticality from 1 (low) to 4 (crown jewel).")
	}
	req.Criticality = crit
	ids, err := parseIdentifiers(pf.Get("identifiers"))
	if err != nil {
		f.fieldError("identifiers", capitalise(err.Error())+".")
	}
	req.Identifiers = ids
	return req
}

func (srv *Server) newAssetPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm(nil).set("kind", string(asset.KindHost)).set("criticality", "2").set("classification", string(asset.ClassInternal))
	srv.render(w, r, rq, http.StatusOK, "asset-form", "Add an asset", assetForm{Form: f, Options: assetChoices})
	return nil
}

func (srv *Server) createAsset(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := newForm(r.PostForm)
	req := assetRequest(r.PostForm, f)
	if !f.Failed() {
		a, err := srv.cases.CreateAsset(r.Context(), rq.p, req)
		if err == nil {
			return seeOther(w, r, "/assets/"+a.ID)
		}
		if !f.reject(err, assetFields) {
			return err
		}
	}
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "asset-form", "Add an asset", assetForm{Form: f, Options: assetChoices})
	return nil
}

func assetValues(a asset.Asset) url.Values {
	v := url.Values{"kind": {string(a.Kind)}, "name": {a.Name}, "description": {a.Description}, "owner": {a.Owner},
		"classification": {string(a.DataClassification)}, "criticality": {strconv.Itoa(a.Criticality)},
		"identifiers": {formatIdentifiers(a.Identifiers)}, "version": {toString(a.Version)}}
	if a.PersonalData {
		v.Set("personal_data", "on")
	}
	return v
}

func (srv *Server) editAssetPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	a, err := srv.cases.GetAsset(r.Context(), rq.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	srv.render(w, r, rq, http.StatusOK, "asset-form", "Edit "+a.Name, assetForm{Form: newForm(assetValues(a)), Options: assetChoices, Asset: &a})
	return nil
}

func (srv *Server) updateAsset(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	a, err := srv.cases.GetAsset(r.Context(), rq.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	req := assetRequest(r.PostForm, f)
	if !f.Failed() {
		patch := casework.AssetPatch{Kind: &req.Kind, Name: &req.Name, Description: &req.Description, Identifiers: &req.Identifiers,
			Criticality: &req.Criticality, Owner: &req.Owner, DataClassification: &req.DataClassification,
			PersonalData: &req.PersonalData, Version: atoi64(r.PostForm.Get("version"))}
		_, err = srv.cases.UpdateAsset(r.Context(), rq.p, a.ID, patch, 0)
		switch {
		case err == nil:
			return seeOther(w, r, "/assets/"+a.ID)
		case errors.Is(err, store.ErrConflict):
			if a, err = srv.cases.GetAsset(r.Context(), rq.p, a.ID); err != nil {
				return err
			}
			f = newForm(assetValues(a)).withProblem("Someone changed this asset while you were editing it. Their version is shown below; make your change again.")
		case !f.reject(err, assetFields):
			return err
		}
	}
	srv.render(w, r, rq, http.StatusUnprocessableEntity, "asset-form", "Edit "+a.Name, assetForm{Form: f, Options: assetChoices, Asset: &a})
	return nil
}
