package store

import (
	"encoding/base64"
	"encoding/json"

	"github.com/quell-ir/quell/internal/validation"
)

// EncodeCursor packs the sort key values of the last row of a page into an opaque cursor.
func EncodeCursor(parts ...string) string {
	b, _ := json.Marshal(parts)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor unpacks a cursor made by EncodeCursor with n parts. A cursor that was not made
// so is reported as a validation error on the "cursor" parameter.
func DecodeCursor(cursor string, n int) ([]string, error) {
	bad := validation.Errorf("/cursor", "is not a cursor this list gave out")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, bad
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) != n {
		return nil, bad
	}
	return parts, nil
}
