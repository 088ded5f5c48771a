package incident

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/validation"
)

// Incident is one security incident being worked by the team.
type Incident struct {
	ID           string            `json:"id"`
	OrgID        string            `json:"-"`
	Number       int64             `json:"number"`
	Key          string            `json:"key"`
	Title        string            `json:"title"`
	Summary      string            `json:"summary"`
	Type         Type              `json:"type"`
	Severity     Severity          `json:"severity"`
	Priority     Priority          `json:"priority"`
	Phase        Phase             `json:"phase"`
	Resolution   Resolution        `json:"resolution,omitempty"`
	TLP          TLP               `json:"tlp"`
	Restricted   bool              `json:"restricted"`
	Tags         []string          `json:"tags"`
	CustomFields map[string]string `json:"custom_fields"`
	Milestones
	// MaxCriticality is the highest criticality of the linked assets (0 when none is linked).
	MaxCriticality int       `json:"max_asset_criticality"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// Version increases by one on every change; updates name the version they read.
	Version int64 `json:"version"`
}

// KeyPrefix starts every incident key.
const KeyPrefix = "INC-"

// FormatKey returns the human key of incident number n, such as INC-42.
func FormatKey(n int64) string { return KeyPrefix + strconv.FormatInt(n, 10) }

// ParseKey returns the number in a key such as INC-42 (case-insensitive).
func ParseKey(key string) (int64, bool) {
	if len(key) <= len(KeyPrefix) || !strings.EqualFold(key[:len(KeyPrefix)], KeyPrefix) {
		return 0, false
	}
	n, err := strconv.ParseInt(key[len(KeyPrefix):], 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// Limits on free text, so that one request cannot bloat the database.
const (
	MaxTitle       = 300
	MaxSummary     = 20000
	MaxTags        = 50
	MaxTag         = 64
	MaxCustom      = 50
	MaxCustomKey   = 64
	MaxCustomValue = 2000
	MaxReason      = 2000
)

var tagPattern = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_.:/+-]*$`)

// NormalizeTags trims, lower-cases, de-duplicates and checks tags.
func NormalizeTags(pointer string, tags []string) ([]string, error) {
	if len(tags) > MaxTags {
		return nil, validation.Errorf(pointer, "at most %d tags", MaxTags)
	}
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for i, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || len(t) > MaxTag || !tagPattern.MatchString(t) {
			return nil, validation.Errorf(fmt.Sprintf("%s/%d", pointer, i),
				"a tag is 1 to %d letters, digits or _.:/+- and starts with a letter or digit", MaxTag)
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// CheckCustomFields checks the free custom fields of an incident.
func CheckCustomFields(pointer string, fields map[string]string) error {
	if len(fields) > MaxCustom {
		return validation.Errorf(pointer, "at most %d custom fields", MaxCustom)
	}
	for k, v := range fields {
		if strings.TrimSpace(k) == "" || len(k) > MaxCustomKey {
			return validation.Errorf(pointer, "custom field names are 1 to %d characters", MaxCustomKey)
		}
		if len(v) > MaxCustomValue {
			return validation.Errorf(pointer+"/"+escapePointer(k), "at most %d characters", MaxCustomValue)
		}
	}
	return nil
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// CheckTitle checks a title: required, trimmed, bounded.
func CheckTitle(pointer, title string) (string, error) {
	title = strings.TrimSpace(title)
	if title == "" {
		return "", validation.Errorf(pointer, "is required")
	}
	if len(title) > MaxTitle {
		return "", validation.Errorf(pointer, "at most %d characters", MaxTitle)
	}
	return title, nil
}

// CheckReason checks the reason given for a phase change, override or correction.
func CheckReason(pointer, reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", validation.Errorf(pointer, "a reason is required")
	}
	if len(reason) > MaxReason {
		return "", validation.Errorf(pointer, "at most %d characters", MaxReason)
	}
	return reason, nil
}

// Validate checks an incident's fields before it is stored.
func (inc *Incident) Validate() error {
	var err error
	if inc.Title, err = CheckTitle("/title", inc.Title); err != nil {
		return err
	}
	if len(inc.Summary) > MaxSummary {
		return validation.Errorf("/summary", "at most %d characters", MaxSummary)
	}
	if !inc.Type.Valid() {
		return validation.Errorf("/type", "must be one of %v", Types)
	}
	if !inc.Severity.Valid() {
		return validation.Errorf("/severity", "must be one of %v", Severities)
	}
	if !inc.TLP.Valid() {
		return validation.Errorf("/tlp", "must be one of %v", TLPs)
	}
	if !inc.Phase.Valid() {
		return validation.Errorf("/phase", "must be one of %v", Phases)
	}
	if inc.Resolution != "" && !inc.Resolution.Valid() {
		return validation.Errorf("/resolution", "must be one of %v", Resolutions)
	}
	if inc.Tags, err = NormalizeTags("/tags", inc.Tags); err != nil {
		return err
	}
	return CheckCustomFields("/custom_fields", inc.CustomFields)
}

// Reprioritize recomputes the priority from severity and the linked assets' criticality.
func (inc *Incident) Reprioritize() {
	inc.Priority = ComputePriority(inc.Severity, inc.MaxCriticality)
}

// Assignment is a person holding an incident role.
type Assignment struct {
	IncidentID string    `json:"-"`
	Role       Role      `json:"role"`
	UserID     string    `json:"user_id"`
	Username   string    `json:"username,omitempty"`
	AssignedBy string    `json:"assigned_by"`
	AssignedAt time.Time `json:"assigned_at"`
}

// MilestoneCorrection records a hand correction of a milestone, kept as history.
type MilestoneCorrection struct {
	ID         string     `json:"id"`
	IncidentID string     `json:"incident_id"`
	Milestone  Milestone  `json:"milestone"`
	Old        *time.Time `json:"old"`
	New        *time.Time `json:"new"`
	Reason     string     `json:"reason"`
	Actor      string     `json:"actor"`
	At         time.Time  `json:"at"`
}
