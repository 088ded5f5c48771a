package incident

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/validation"
)

// EntryKind says what a timeline entry records.
type EntryKind string

// Timeline entry kinds.
const (
	KindAlert         EntryKind = "alert"
	KindNote          EntryKind = "note"
	KindPhase         EntryKind = "phase"
	KindTask          EntryKind = "task"
	KindAction        EntryKind = "action"
	KindEvidence      EntryKind = "evidence"
	KindCommunication EntryKind = "communication"
	KindIndicator     EntryKind = "indicator"
	KindManual        EntryKind = "manual"
	KindRole          EntryKind = "role"
	KindAsset         EntryKind = "asset"
	KindMilestone     EntryKind = "milestone"
	KindIncident      EntryKind = "incident"
)

// EntryKinds lists every timeline entry kind.
var EntryKinds = []EntryKind{KindAlert, KindNote, KindPhase, KindTask, KindAction, KindEvidence,
	KindCommunication, KindIndicator, KindManual, KindRole, KindAsset, KindMilestone, KindIncident}

// Valid reports whether k is a known kind.
func (k EntryKind) Valid() bool { return slices.Contains(EntryKinds, k) }

// MaxEntryText bounds the text of a timeline entry.
const MaxEntryText = 20000

var techniquePattern = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)

// Entry is one line of an incident's timeline.
type Entry struct {
	ID         string `json:"id"`
	OrgID      string `json:"-"`
	IncidentID string `json:"incident_id"`
	// EventAt is when it happened (UTC); EventZone keeps the zone it was reported in, as an
	// offset such as "+02:00" or an IANA name, so the original local time can be shown.
	EventAt    time.Time       `json:"event_at"`
	EventZone  string          `json:"event_zone"`
	RecordedAt time.Time       `json:"recorded_at"`
	Kind       EntryKind       `json:"kind"`
	Actor      string          `json:"actor"`
	Text       string          `json:"text"`
	Details    json.RawMessage `json:"details,omitempty"`
	Technique  string          `json:"technique,omitempty"`
	Flagged    bool            `json:"flagged"`
}

// Validate checks an entry before it is stored.
func (e *Entry) Validate() error {
	e.Text = strings.TrimSpace(e.Text)
	if e.Text == "" {
		return validation.Errorf("/text", "is required")
	}
	if len(e.Text) > MaxEntryText {
		return validation.Errorf("/text", "at most %d characters", MaxEntryText)
	}
	if !e.Kind.Valid() {
		return validation.Errorf("/kind", "must be one of %v", EntryKinds)
	}
	e.Technique = strings.ToUpper(strings.TrimSpace(e.Technique))
	if e.Technique != "" && !techniquePattern.MatchString(e.Technique) {
		return validation.Errorf("/technique", "must be an ATT&CK technique id such as T1059 or T1059.001")
	}
	if e.EventAt.IsZero() {
		return validation.Errorf("/event_at", "is required")
	}
	return nil
}

// ZoneOf returns the zone to keep for a time given by a client: the IANA name when one was
// given and is valid, else the numeric offset the time carried ("Z" for UTC).
func ZoneOf(t time.Time, ianaName string) (string, error) {
	if ianaName != "" {
		if _, err := time.LoadLocation(ianaName); err != nil {
			return "", validation.Errorf("/event_zone", "unknown time zone %q", ianaName)
		}
		return ianaName, nil
	}
	_, off := t.Zone()
	if off == 0 {
		return "Z", nil
	}
	return t.Format("-07:00"), nil
}

// Note is a Markdown note on an incident. Older bodies are kept as revisions.
type Note struct {
	ID         string    `json:"id"`
	OrgID      string    `json:"-"`
	IncidentID string    `json:"incident_id"`
	Body       string    `json:"body"`
	Author     string    `json:"author"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    int64     `json:"version"`
}

// NoteRevision is one earlier body of a note.
type NoteRevision struct {
	NoteID   string    `json:"note_id"`
	Version  int64     `json:"version"`
	Body     string    `json:"body"`
	EditedBy string    `json:"edited_by"`
	EditedAt time.Time `json:"edited_at"`
}

// MaxNoteBody bounds a note.
const MaxNoteBody = 100000

// CheckNoteBody checks a note's body.
func CheckNoteBody(body string) error {
	if strings.TrimSpace(body) == "" {
		return validation.Errorf("/body", "is required")
	}
	if len(body) > MaxNoteBody {
		return validation.Errorf("/body", "at most %d characters", MaxNoteBody)
	}
	return nil
}
