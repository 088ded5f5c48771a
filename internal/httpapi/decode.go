package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/validation"
)

// decode reads a JSON request body into a T. It refuses other media types, unknown fields,
// trailing data and bodies over the size limit, and names the bad field when a value has the
// wrong type.
func decode[T any](r *http.Request) (T, error) {
	var v T
	ct := r.Header.Get("Content-Type")
	if ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return v, httpError(http.StatusUnsupportedMediaType, "Send the request body as application/json.")
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return v, err
		}
		return v, validation.Errorf("", "the request body must hold exactly one JSON value")
	}
	return v, nil
}

func decodeError(err error) error {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
		maxErr  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &maxErr):
		return err
	case errors.Is(err, io.EOF):
		return validation.Errorf("", "the request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return validation.Errorf("", "the request body ends in the middle of a JSON value")
	case errors.As(err, &syntax):
		return validation.Errorf("", "the request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typeErr):
		ptr := "/" + strings.ReplaceAll(typeErr.Field, ".", "/")
		if typeErr.Field == "" {
			return validation.Errorf("", "the request body must be a JSON object")
		}
		return validation.Errorf(ptr, "must be %s", jsonKind(typeErr.Type.Kind().String()))
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return validation.Errorf("/"+name, "is not a field of this request")
	}
	if strings.Contains(msg, "parsing time") || strings.Contains(msg, "Time.UnmarshalJSON") {
		return validation.Errorf("", "a time is not in RFC 3339 form, such as 2026-03-01T14:30:00+01:00")
	}
	return validation.Errorf("", "the request body could not be read as this request's JSON")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	}
	return "of another type"
}

// ifMatch reads the version in an If-Match header ("5", "\"5\"" or "W/\"5\""); 0 when absent.
func ifMatch(r *http.Request) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	h = strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	n, err := strconv.ParseInt(h, 10, 64)
	if err != nil || n <= 0 {
		return 0, validation.Errorf("?If-Match", "must be the ETag of the object, a version number such as \"3\"")
	}
	return n, nil
}

// listParam returns the values of a query parameter given repeated or comma-separated.
func listParam(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// enumParam parses a list parameter whose values must be in allowed.
func enumParam[T ~string](r *http.Request, name string, allowed []T) ([]T, error) {
	var out []T
	for _, v := range listParam(r, name) {
		if !slices.Contains(allowed, T(v)) {
			return nil, validation.Errorf("?"+name, "must be one of %v", allowed)
		}
		out = append(out, T(v))
	}
	return out, nil
}

// intParam parses an integer parameter within bounds; def when absent.
func intParam(r *http.Request, name string, def, lo, hi int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, validation.Errorf("?"+name, "must be a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

// boolParam parses a true/false parameter.
func boolParam(r *http.Request, name string) (bool, error) {
	switch s := r.URL.Query().Get(name); s {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, validation.Errorf("?"+name, "must be true or false")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// writeVersioned writes an object with its version as the ETag.
func writeVersioned(w http.ResponseWriter, status int, version int64, v any) {
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, version))
	writeJSON(w, status, v)
}
