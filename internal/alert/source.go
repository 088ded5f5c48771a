package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"time"

	"github.com/quell-ir/quell/internal/validation"
)

// IntakeSource is a tool that sends alerts, with the token it authenticates with. The token is
// usable for intake only, and only for the source's own format and Quell's own schema. Only the
// SHA-256 of the token is stored; the secret is shown once, when the source is created.
type IntakeSource struct {
	ID    string `json:"id"`
	OrgID string `json:"-"`
	// Name says which tool or instance this is ("prod-alertmanager", "dmz-suricata").
	Name string `json:"name"`
	// Format is the native format the source posts ("alertmanager", "suricata", … or "quell").
	Format string `json:"format"`
	// Mapping is the expression mapping of a source of format "generic", as YAML.
	Mapping    string     `json:"mapping,omitempty"`
	Prefix     string     `json:"prefix"`
	Hash       string     `json:"-"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Active reports whether the source's token may be used.
func (s IntakeSource) Active() bool { return s.RevokedAt == nil }

// FormatQuell is the format name of Quell's own alert schema.
const FormatQuell = "quell"

var sourceNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$`)

// ValidateSourceName checks an intake source's name.
func ValidateSourceName(name string) error {
	if !sourceNamePattern.MatchString(name) {
		return validation.Errorf("/name", "must be 1–64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit")
	}
	return nil
}

// Formats lists the formats an intake source can post: Quell's own schema, the native payloads
// of the tools Quell reads, and generic (an expression mapping over any JSON).
var Formats = []string{FormatQuell, "alertmanager", "elastic", "splunk", "wazuh", "suricata", "falco",
	"defender", "crowdstrike", "generic"}

// IntakeTokenPrefix starts every intake token, so that a leaked one is easy to recognise and
// never mistaken for an API token.
const IntakeTokenPrefix = "quelli_"

// HashIntakeToken is the stored form of an intake token.
func HashIntakeToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
