package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// The OpenAPI document is made from the route table and the Go types of the request and
// response bodies, so it cannot drift from what the server does.

// enumValues lists the allowed values of the domain's string enums, for the schemas.
var enumValues = map[reflect.Type][]string{
	reflect.TypeFor[incident.Phase]():       stringsOf(incident.Phases),
	reflect.TypeFor[incident.Severity]():    stringsOf(incident.Severities),
	reflect.TypeFor[incident.Type]():        stringsOf(incident.Types),
	reflect.TypeFor[incident.TLP]():         stringsOf(incident.TLPs),
	reflect.TypeFor[incident.Resolution]():  stringsOf(incident.Resolutions),
	reflect.TypeFor[incident.Role]():        stringsOf(incident.Roles),
	reflect.TypeFor[incident.TaskStatus]():  stringsOf(incident.TaskStatuses),
	reflect.TypeFor[incident.EntryKind]():   stringsOf(incident.EntryKinds),
	reflect.TypeFor[incident.Milestone]():   stringsOf(incident.AllMilestones),
	reflect.TypeFor[incident.Priority]():    {"P1", "P2", "P3", "P4"},
	reflect.TypeFor[incident.Direction]():   {"forward", "back", "reopen"},
	reflect.TypeFor[asset.Kind]():           stringsOf(asset.Kinds),
	reflect.TypeFor[asset.LinkStatus]():     stringsOf(asset.LinkStatuses),
	reflect.TypeFor[asset.IdentifierType](): stringsOf(asset.IdentifierTypes),
	reflect.TypeFor[asset.Classification](): stringsOf(asset.Classifications),
	reflect.TypeFor[access.Role]():          stringsOf(access.Roles),
	reflect.TypeFor[access.Scope]():         stringsOf(access.Scopes),
	reflect.TypeFor[store.IncidentSort]():   {"created", "updated", "severity", "priority"},
}

func stringsOf[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

type schemaBuilder struct {
	components map[string]any
}

var genericName = regexp.MustCompile(`[^A-Za-z0-9]+`)

// name gives a type a component name, e.g. incident.Task → IncidentTask.
func (b *schemaBuilder) name(t reflect.Type) string {
	pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
	n := t.Name()
	if i := strings.Index(n, "["); i >= 0 {
		arg := n[i+1 : len(n)-1]
		arg = arg[strings.LastIndex(arg, "/")+1:]
		n = n[:i] + "Of" + genericName.ReplaceAllString(strings.ReplaceAll(arg, ".", ""), "")
	}
	return strings.ToUpper(pkg[:1]) + pkg[1:] + n
}

func (b *schemaBuilder) schema(t reflect.Type) map[string]any {
	if vals, ok := enumValues[t]; ok {
		return map[string]any{"type": "string", "enum": vals}
	}
	switch t {
	case reflect.TypeFor[time.Time]():
		return map[string]any{"type": "string", "format": "date-time"}
	case reflect.TypeFor[json.RawMessage]():
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := b.schema(t.Elem())
		return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Uint32:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": b.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": b.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := b.name(t)
		if _, done := b.components[name]; !done {
			b.components[name] = nil // reserve against recursion
			props := map[string]any{}
			b.fields(t, props)
			b.components[name] = map[string]any{"type": "object", "properties": props}
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (b *schemaBuilder) fields(t reflect.Type, props map[string]any) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			b.fields(ft, props)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = b.schema(f.Type)
	}
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI builds the OpenAPI 3.1 document of the routes.
func OpenAPI(version string, routes []Route) map[string]any {
	b := &schemaBuilder{components: map[string]any{}}
	problem := b.schema(reflect.TypeFor[Problem]())
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		op := map[string]any{
			"operationId": operationID(rt),
			"summary":     rt.Summary,
			"tags":        []string{rt.Tag},
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Pattern, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "required": false, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": b.schema(reflect.TypeOf(rt.Body))}}}
		}
		ok := map[string]any{"description": http.StatusText(rt.Status)}
		if rt.Response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": b.schema(reflect.TypeOf(rt.Response))}}
		}
		problemResp := map[string]any{"description": "Problem", "content": map[string]any{"application/problem+json": map[string]any{"schema": problem}}}
		op["responses"] = map[string]any{strconv.Itoa(rt.Status): ok, "default": problemResp}
		if rt.Min == Public {
			op["security"] = []any{}
		} else {
			op["x-quell-min-role"] = string(rt.Min)
		}
		if paths[rt.Pattern] == nil {
			paths[rt.Pattern] = map[string]any{}
		}
		paths[rt.Pattern][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Quell API", "version": version,
			"description": "Incident response: incidents, phases, tasks, notes, timeline, assets, users, tokens and the audit trail."},
		"paths": paths,
		"components": map[string]any{
			"schemas": b.components,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
			},
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}},
	}
}

func operationID(rt Route) string {
	words := []string{strings.ToLower(rt.Method)}
	for part := range strings.SplitSeq(strings.TrimPrefix(rt.Pattern, "/api/v1/"), "/") {
		part = strings.Trim(part, "{}")
		part = genericName.ReplaceAllString(part, "")
		if part != "" {
			words = append(words, strings.ToUpper(part[:1])+part[1:])
		}
	}
	return strings.Join(words, "")
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request, _ access.Principal) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(s.openapiDoc)
	return err
}
