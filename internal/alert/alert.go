// Package alert holds the domain model of an alert: one signal from one source, normalised into
// one shape whatever tool sent it. It defines the fields, the rules that make an incoming alert
// well-formed (Normalise), the observables an alert carries and how they are found in text, and
// the life of an alert in the triage queue. It is pure: no I/O, no clock.
//
// The shape, in short:
//
//	Input      what a parser of a native format (or Quell's own schema) produces
//	Normalise  Input → Alert: validates, clamps sizes, computes the fingerprint, extracts observables
//	Alert      what is stored: the normalised fields plus intake state (count, first/last seen,
//	           status, verdict, silence, incident link)
//
// Deduplication is keyed on (organisation, source, fingerprint) among open alerts; the source's own
// id (SourceRef) or an Idempotency-Key makes a retried post land on the same alert.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/validation"
)

// Severity is the same scale as an incident's: critical, high, medium, low, informational.
type Severity = incident.Severity

// ParseSeverity reads a severity name as tools spell it: the five names, "info", "warning" (medium),
// "error" and "major" (high), "fatal" and "emergency" (critical), in any case. ok is false for
// anything else.
func ParseSeverity(s string) (Severity, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical", "crit", "fatal", "emergency", "emerg", "alert", "p1", "sev1":
		return incident.SeverityCritical, true
	case "high", "error", "err", "major", "severe", "p2", "sev2":
		return incident.SeverityHigh, true
	case "medium", "moderate", "warning", "warn", "p3", "sev3":
		return incident.SeverityMedium, true
	case "low", "minor", "notice", "p4", "sev4":
		return incident.SeverityLow, true
	case "informational", "info", "information", "debug", "none", "unknown", "p5", "sev5":
		return incident.SeverityInformational, true
	}
	return "", false
}

// Status is where an alert stands in the triage queue.
type Status string

// Alert statuses. New and triaged alerts are open: a repeat of their fingerprint folds into them.
const (
	StatusNew       Status = "new"
	StatusTriaged   Status = "triaged"
	StatusPromoted  Status = "promoted"
	StatusDismissed Status = "dismissed"
	StatusResolved  Status = "resolved"
)

// Statuses lists every status.
var Statuses = []Status{StatusNew, StatusTriaged, StatusPromoted, StatusDismissed, StatusResolved}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Open reports whether an alert in this status still takes repeats of its fingerprint.
// A promoted alert stays open: repeats of the same problem keep counting on it while its
// incident is worked.
func (s Status) Open() bool { return s == StatusNew || s == StatusTriaged || s == StatusPromoted }

// Verdict is what triage concluded about an alert.
type Verdict string

// Verdicts.
const (
	VerdictTruePositive  Verdict = "true_positive"
	VerdictBenign        Verdict = "benign"
	VerdictFalsePositive Verdict = "false_positive"
	VerdictDuplicate     Verdict = "duplicate"
)

// Verdicts lists every verdict.
var Verdicts = []Verdict{VerdictTruePositive, VerdictBenign, VerdictFalsePositive, VerdictDuplicate}

// Valid reports whether v is a known verdict.
func (v Verdict) Valid() bool { return slices.Contains(Verdicts, v) }

// Limits on the parts of an alert. Anything longer is cut (and, for the raw payload, flagged),
// never refused: a tool that sends a long title still gets its alert taken.
const (
	MaxSourceLen      = 64
	MaxSourceRefLen   = 256
	MaxFingerprintLen = 256
	MaxTitleLen       = 512
	MaxDescriptionLen = 16 << 10
	MaxLabels         = 64
	MaxLabelKeyLen    = 128
	MaxLabelValueLen  = 1024
	MaxObservables    = 256
	MaxObservableLen  = 2048
	// DefaultMaxRaw is how much of the original payload is kept per alert unless configured.
	DefaultMaxRaw = 64 << 10
)

// Input is an alert as a parser hands it over, before normalisation. Only Source and Title are
// required; everything else is optional and filled in or clamped by Normalise.
type Input struct {
	Source string `json:"source"`
	// SourceRef is the sending tool's own id for this alert, if it has one. A second post with the
	// same source and SourceRef is a retry and lands on the same alert.
	SourceRef string `json:"source_ref,omitempty"`
	// Fingerprint is the deduplication key: the same problem seen again has the same fingerprint.
	// Empty means: computed from the title and the labels.
	Fingerprint string            `json:"fingerprint,omitempty"`
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	Severity    Severity          `json:"severity,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Observables []Observable      `json:"observables,omitempty"`
	// OccurredAt is when the source saw the event; zero means the time of intake.
	OccurredAt time.Time `json:"occurred_at,omitzero"`
	// Resolved is set by sources that send an all-clear for an earlier alert (Alertmanager's
	// "resolved"): the open alert with the same fingerprint is resolved.
	Resolved bool `json:"resolved,omitempty"`
	// Raw is the original payload of this alert as received.
	Raw []byte `json:"-"`
}

// Alert is a normalised alert with its intake state.
type Alert struct {
	ID          string            `json:"id"`
	OrgID       string            `json:"-"`
	Source      string            `json:"source"`
	SourceRef   string            `json:"source_ref,omitempty"`
	Fingerprint string            `json:"fingerprint"`
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	Severity    Severity          `json:"severity"`
	Priority    incident.Priority `json:"priority"`
	Labels      map[string]string `json:"labels"`
	Observables []Observable      `json:"observables"`
	// AssetIDs are the inventory assets the alert names, matched by hostname, address or user.
	AssetIDs     []string  `json:"asset_ids"`
	Raw          []byte    `json:"-"`
	RawTruncated bool      `json:"raw_truncated"`
	OccurredAt   time.Time `json:"occurred_at"`
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
	Count        int       `json:"count"`
	Status       Status    `json:"status"`
	Verdict      Verdict   `json:"verdict,omitempty"`
	// SilenceID names the silence that muted this alert; a muted alert is kept and marked.
	SilenceID  string `json:"silence_id,omitempty"`
	IncidentID string `json:"incident_id,omitempty"`
	Version    int64  `json:"version"`
}

var sourcePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// Normalise turns an Input into the normalised fields of an Alert, received at now, keeping at
// most maxRaw bytes of the raw payload (DefaultMaxRaw when maxRaw ≤ 0). It fails only when the
// alert has no usable source or title; every other part is clamped to its limit.
// The intake state (ID, org, count, status, seen times) is left for the caller.
func Normalise(in Input, now time.Time, maxRaw int) (Alert, error) {
	source := strings.ToLower(strings.TrimSpace(in.Source))
	if source == "" {
		return Alert{}, validation.Errorf("/source", "is required")
	}
	if len(source) > MaxSourceLen || !sourcePattern.MatchString(source) {
		return Alert{}, validation.Errorf("/source", "must be 1–%d characters of a-z, 0-9, '.', '_' or '-'", MaxSourceLen)
	}
	title := clean(in.Title, MaxTitleLen)
	if title == "" {
		return Alert{}, validation.Errorf("/title", "is required")
	}
	sev := in.Severity
	if sev == "" {
		sev = incident.SeverityMedium
	} else if parsed, ok := ParseSeverity(string(sev)); ok {
		sev = parsed
	} else {
		return Alert{}, validation.Errorf("/severity", "must be one of critical, high, medium, low, informational")
	}
	a := Alert{
		Source:      source,
		SourceRef:   clean(in.SourceRef, MaxSourceRefLen),
		Title:       title,
		Description: cut(strings.ToValidUTF8(in.Description, "\uFFFD"), MaxDescriptionLen),
		Severity:    sev,
		Labels:      normaliseLabels(in.Labels),
		OccurredAt:  in.OccurredAt.UTC(),
	}
	if a.OccurredAt.IsZero() {
		a.OccurredAt = now.UTC()
	}
	a.Fingerprint = clean(in.Fingerprint, MaxFingerprintLen)
	if a.Fingerprint == "" {
		a.Fingerprint = ComputeFingerprint(a.Title, a.Labels)
	}
	a.Observables = collectObservables(in.Observables, a)
	if maxRaw <= 0 {
		maxRaw = DefaultMaxRaw
	}
	if len(in.Raw) > maxRaw {
		a.Raw = slices.Clone(in.Raw[:maxRaw])
		a.RawTruncated = true
	} else {
		a.Raw = slices.Clone(in.Raw)
	}
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	a.AssetIDs = []string{}
	a.Priority = incident.ComputePriority(a.Severity, 0)
	return a, nil
}

// ComputeFingerprint is the default deduplication key: a SHA-256 over the title and the labels in
// key order, so the same problem reported again folds into one alert.
func ComputeFingerprint(title string, labels map[string]string) string {
	h := sha256.New()
	h.Write([]byte(title))
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{1})
		h.Write([]byte(labels[k]))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func normaliseLabels(in map[string]string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make(map[string]string, min(len(keys), MaxLabels))
	for _, k := range keys {
		key := clean(k, MaxLabelKeyLen)
		if key == "" {
			continue
		}
		if len(out) == MaxLabels {
			break
		}
		out[key] = clean(in[k], MaxLabelValueLen)
	}
	return out
}

// clean trims, replaces invalid UTF-8 and control characters, and cuts to max bytes.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return cut(strings.TrimSpace(s), max)
}

// cut shortens s to at most max bytes without splitting a character.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}
