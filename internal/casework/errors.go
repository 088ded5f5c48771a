package casework

import "github.com/quell-ir/quell/internal/validation"

func invalid(pointer, format string, args ...any) error {
	return validation.Errorf(pointer, format, args...)
}
