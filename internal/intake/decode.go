package intake

import (
	"fmt"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/intake/formats"
	"github.com/quell-ir/quell/internal/validation"
)

// Decode reads the body of an intake request sent by src in format ("quell" for Quell's own
// schema). A source may post its own format and Quell's schema, nothing else.
func (s *Service) Decode(src alert.IntakeSource, format string, body []byte) ([]alert.Input, error) {
	if format == alert.FormatQuell {
		return formats.DecodeQuell(body)
	}
	if format != src.Format {
		return nil, fmt.Errorf("%w: this token belongs to a source of format %q", ErrWrongFormat, src.Format)
	}
	if format == "generic" {
		m, err := s.mapping(src)
		if err != nil {
			return nil, err
		}
		return m.Parse(body)
	}
	parse, ok := formats.Lookup(format)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not a format Quell reads", ErrWrongFormat, format)
	}
	return parse(body)
}

// ErrWrongFormat is returned for a format the source may not post or Quell does not read.
var ErrWrongFormat = fmt.Errorf("wrong intake format")

// mappings caches compiled generic mappings by source id and mapping text.
var mappings sync.Map // string → *formats.Mapping

func (s *Service) mapping(src alert.IntakeSource) (*formats.Mapping, error) {
	key := src.ID + "\x00" + src.Mapping
	if m, ok := mappings.Load(key); ok {
		return m.(*formats.Mapping), nil
	}
	m, err := CompileMapping(src.Mapping)
	if err != nil {
		return nil, fmt.Errorf("the mapping of intake source %q does not compile; an admin must fix it: %w", src.Name, err)
	}
	mappings.Store(key, m)
	return m, nil
}

// CompileMapping reads a generic source's mapping from YAML and compiles it.
func CompileMapping(text string) (*formats.Mapping, error) {
	if strings.TrimSpace(text) == "" {
		return nil, validation.Errorf("/mapping", "a generic source needs a mapping: at least title")
	}
	var spec formats.MappingSpec
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		return nil, validation.Errorf("/mapping", "is not a valid mapping: %v", err)
	}
	return formats.CompileMapping(spec)
}

// CheckSource validates the format and mapping of a new intake source.
func CheckSource(format, mapping string) error {
	switch {
	case format == "generic":
		_, err := CompileMapping(mapping)
		return err
	case mapping != "":
		return validation.Errorf("/mapping", "only a source of format generic takes a mapping")
	case format == alert.FormatQuell:
		return nil
	}
	if _, ok := formats.Lookup(format); !ok {
		return validation.Errorf("/format", "must be one of %s", strings.Join(alert.Formats, ", "))
	}
	return nil
}
