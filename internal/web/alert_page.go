package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// The page of one alert: its normalised fields, labels and observables, the assets and the
// incident it was matched to, the raw payload as the source sent it, and triage for it alone.

// maxAssetNames bounds the assets whose names the alert page looks up; the rest show by id.
const maxAssetNames = 20

type labelPair struct{ Key, Value string }

type assetRef struct{ ID, Name string }

type alertPage struct {
	Alert  alert.Alert
	Labels []labelPair
	// Raw is the raw payload for reading: indented when it is JSON, else as it came.
	Raw     string
	RawJSON bool
	// Incident is the incident the alert belongs to, when there is one.
	Incident *incident.Incident
	Assets   []assetRef
	// Silence is the silence that muted the alert, when there is one.
	Silence *alert.Silence
	// HostSilence describes the host matcher a silence of this host would use ("" when the
	// alert names no host).
	HostSilence string
	Triage      *form
	Options     alertOptions
}

// obsTypeNames spell the observable types that are abbreviations.
var obsTypeNames = map[alert.ObservableType]string{alert.ObsIPv4: "IPv4", alert.ObsIPv6: "IPv6", alert.ObsURL: "URL",
	alert.ObsMD5: "MD5", alert.ObsSHA1: "SHA-1", alert.ObsSHA256: "SHA-256", alert.ObsCVE: "CVE"}

// ObsType names an observable type for people.
func (alertPage) ObsType(t alert.ObservableType) string {
	if n, ok := obsTypeNames[t]; ok {
		return n
	}
	return label(t)
}

// rawText prepares a raw payload for a <pre>: JSON indented with encoding/json, anything else
// as text. The template escapes it like any other text.
func rawText(raw []byte) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	if json.Valid(raw) {
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "  "); err == nil {
			return buf.String(), true
		}
	}
	return strings.ToValidUTF8(string(raw), "\uFFFD"), false
}

// sortedLabels lists labels in key order.
func sortedLabels(m map[string]string) []labelPair {
	out := make([]labelPair, 0, len(m))
	for k, v := range m {
		out = append(out, labelPair{k, v})
	}
	slices.SortFunc(out, func(a, b labelPair) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// hostLabels are the labels that name the host an alert is about, as the formats Quell reads
// spell them, in order of preference.
var hostLabels = []string{"host", "hostname", "host.name", "host.hostname", "agent.name", "computer_name", "instance", "node"}

// hostMatcher is the matcher that selects an alert's host: a host label when it has one, else
// its first host observable.
func hostMatcher(a alert.Alert) (alert.Matcher, bool) {
	for _, k := range hostLabels {
		if v := a.Labels[k]; v != "" {
			return alert.Matcher{Name: k, Op: alert.OpEqual, Value: v}, true
		}
	}
	for _, o := range a.Observables {
		if o.Type == alert.ObsHost {
			return alert.Matcher{Name: "observable", Op: alert.OpEqual, Value: o.Value}, true
		}
	}
	return alert.Matcher{}, false
}

// silenceMatchers are the matchers a silence made from an alert starts with: its source and
// either its fingerprint (this problem again) or its host (anything from this host).
func silenceMatchers(a alert.Alert, byHost bool) []alert.Matcher {
	ms := []alert.Matcher{{Name: "source", Op: alert.OpEqual, Value: a.Source}}
	if byHost {
		if m, ok := hostMatcher(a); ok {
			return append(ms, m)
		}
	}
	return append(ms, alert.Matcher{Name: "fingerprint", Op: alert.OpEqual, Value: a.Fingerprint})
}

func (srv *Server) alertPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return srv.showAlert(w, r, rq, http.StatusOK, newForm(nil))
}

func (srv *Server) showAlert(w http.ResponseWriter, r *http.Request, rq *request, status int, tf *form) error {
	ctx := r.Context()
	a, err := srv.cases.GetAlert(ctx, rq.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	ap := alertPage{Alert: a, Labels: sortedLabels(a.Labels), Triage: tf, Options: alertChoices}
	ap.Raw, ap.RawJSON = rawText(a.Raw)
	if a.IncidentID != "" {
		d, err := srv.cases.GetIncident(ctx, rq.p, a.IncidentID)
		switch {
		case err == nil:
			ap.Incident = &d.Incident
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	for i, id := range a.AssetIDs {
		ref := assetRef{ID: id}
		if i < maxAssetNames {
			as, err := srv.cases.GetAsset(ctx, rq.p, id)
			switch {
			case err == nil:
				ref.Name = as.Name
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		ap.Assets = append(ap.Assets, ref)
	}
	if a.SilenceID != "" {
		s, err := srv.cases.GetSilence(ctx, rq.p, a.SilenceID)
		switch {
		case err == nil:
			ap.Silence = &s
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	if m, ok := hostMatcher(a); ok {
		ap.HostSilence = m.Name + " " + string(m.Op) + " " + m.Value
	}
	srv.render(w, r, rq, status, "alert", shorten(80, a.Title), ap)
	return nil
}

// triageAlert handles the triage buttons of one alert's page.
func (srv *Server) triageAlert(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := srv.cases.GetAlert(r.Context(), rq.p, id); err != nil {
		return err
	}
	target, res, f, err := srv.triage(r, rq, []string{id})
	switch {
	case err != nil:
		return err
	case target != "":
		return seeOther(w, r, target)
	case res != nil:
		return seeOther(w, r, "/alerts/"+url.PathEscape(id))
	}
	return srv.showAlert(w, r, rq, http.StatusUnprocessableEntity, f)
}
