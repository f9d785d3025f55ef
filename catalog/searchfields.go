package catalog

import (
	"encoding/json"
	"regexp"
	"slices"
)

// maxSearchFields caps the fields indexed per schema, so one huge schema cannot crowd the index.
const maxSearchFields = 1000

// schemaFields lists the field paths in a schema ("customer.email"), for search: record
// fields in Avro, properties in JSON Schema, message fields in Protobuf. It reads what it can
// and ignores the rest; a schema it cannot read yields no fields.
func schemaFields(schemaType, text string) []string {
	var out []string
	add := func(path string) bool {
		if len(out) >= maxSearchFields {
			return false
		}
		out = append(out, path)
		return true
	}
	switch schemaType {
	case SchemaProtobuf:
		for _, m := range protoField.FindAllStringSubmatch(text, -1) {
			if !add(m[1]) {
				break
			}
		}
	case SchemaJSON:
		var v any
		if json.Unmarshal([]byte(text), &v) == nil {
			jsonSchemaFields(v, "", add, 0)
		}
	default: // AVRO, the registry's default
		var v any
		if json.Unmarshal([]byte(text), &v) == nil {
			avroFields(v, "", add, 0)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// protoField matches a field declaration: an optional label, a type, the name, = and a number.
var protoField = regexp.MustCompile(`(?m)^\s*(?:(?:optional|repeated|required)\s+)?(?:map\s*<[^>]*>|[A-Za-z_][\w.]*)\s+([A-Za-z_]\w*)\s*=\s*\d+`)

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

const maxSchemaDepth = 12

func avroFields(v any, prefix string, add func(string) bool, depth int) {
	if depth > maxSchemaDepth {
		return
	}
	switch t := v.(type) {
	case []any: // a union
		for _, b := range t {
			avroFields(b, prefix, add, depth+1)
		}
	case map[string]any:
		switch t["type"] {
		case "record", "error":
			fields, _ := t["fields"].([]any)
			for _, f := range fields {
				fm, _ := f.(map[string]any)
				name, _ := fm["name"].(string)
				if name == "" {
					continue
				}
				if !add(join(prefix, name)) {
					return
				}
				avroFields(fm["type"], join(prefix, name), add, depth+1)
			}
		case "array":
			avroFields(t["items"], prefix, add, depth+1)
		case "map":
			avroFields(t["values"], prefix, add, depth+1)
		default:
			if inner, ok := t["type"].(map[string]any); ok {
				avroFields(inner, prefix, add, depth+1)
			}
		}
	}
}

func jsonSchemaFields(v any, prefix string, add func(string) bool, depth int) {
	m, ok := v.(map[string]any)
	if !ok || depth > maxSchemaDepth {
		return
	}
	if props, ok := m["properties"].(map[string]any); ok {
		names := make([]string, 0, len(props))
		for name := range props {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if !add(join(prefix, name)) {
				return
			}
			jsonSchemaFields(props[name], join(prefix, name), add, depth+1)
		}
	}
	jsonSchemaFields(m["items"], prefix, add, depth+1)
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		if list, ok := m[k].([]any); ok {
			for _, s := range list {
				jsonSchemaFields(s, prefix, add, depth+1)
			}
		}
	}
	for _, k := range []string{"$defs", "definitions"} {
		if defs, ok := m[k].(map[string]any); ok {
			for _, s := range defs {
				jsonSchemaFields(s, prefix, add, depth+1)
			}
		}
	}
}
