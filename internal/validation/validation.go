// Package validation carries the error that says which field of a request is wrong and why,
// so that every layer can report bad input the same way and the API can point at the field.
package validation

import (
	"errors"
	"fmt"
)

// Error names the field of a request that is wrong and why. Pointer is a JSON Pointer
// (RFC 6901) into the request body, such as "/severity"; it is empty when the whole request is wrong.
type Error struct {
	Pointer string
	Detail  string
}

func (e *Error) Error() string {
	if e.Pointer == "" {
		return e.Detail
	}
	return fmt.Sprintf("%s: %s", e.Pointer, e.Detail)
}

// Errorf returns an *Error for the field at pointer.
func Errorf(pointer, format string, args ...any) error {
	return &Error{Pointer: pointer, Detail: fmt.Sprintf(format, args...)}
}

// As returns the *Error inside err, if there is one.
func As(err error) (*Error, bool) {
	var v *Error
	ok := errors.As(err, &v)
	return v, ok
}
