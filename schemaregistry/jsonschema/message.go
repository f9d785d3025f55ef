package jsonschema

import "strings"

// Message is Confluent's description of the change, with the schema being checked called "new"
// and the one it is checked against "old".
func (c Change) Message() string {
	p := "'" + c.Path + "'"
	t := c.Type
	switch {
	case messageKeywordMissing[t]:
		return "The keyword at path " + p + " in the new schema is not present in the old schema"
	case messageIncreased[t]:
		return "The value at path " + p + " in the new schema is more than its value in the old schema"
	case messageDecreased[t]:
		return "The value at path " + p + " in the new schema is less than its value in the old schema"
	case t == "PATTERN_CHANGED" || t == "MULTIPLE_OF_CHANGED" || t == "DEPENDENCY_ARRAY_CHANGED":
		return "The value at path " + p + " is different between the new and old schema"
	case strings.HasSuffix(t, "_NARROWED") && t != "PRODUCT_TYPE_NARROWED" && t != "NOT_TYPE_NARROWED" &&
		t != "DEPENDENCY_ARRAY_NARROWED" && t != "TYPE_NARROWED":
		return "An array or combined type at path " + p + " has fewer elements in the new schema than the old schema"
	case t == "DEPENDENCY_ARRAY_EXTENDED" || t == "PRODUCT_TYPE_EXTENDED" || t == "SUM_TYPE_EXTENDED" ||
		t == "NOT_TYPE_EXTENDED":
		return "An array or combined type at path " + p + " has more elements in the new schema than the old schema"
	case t == "TYPE_CHANGED" || t == "TYPE_NARROWED" || t == "COMBINED_TYPE_CHANGED" ||
		t == "COMBINED_TYPE_SUBSCHEMAS_CHANGED" || t == "ENUM_ARRAY_CHANGED":
		return "A type at path " + p + " is different between the new schema and the old schema"
	case t == "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" ||
		t == "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL" ||
		t == "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" || t == "ITEM_ADDED_TO_OPEN_CONTENT_MODEL":
		return "The new schema has an open content model and has a property or item at path " + p +
			" which is missing in the old schema"
	case t == "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL":
		return "The new schema has an unopen content model and has a required property at path " + p +
			" which is missing in the old schema"
	case t == "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" || t == "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL":
		return "The new has a closed content model and is missing a property or item present at path " + p +
			" in the old schema"
	case t == "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" ||
		t == "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL":
		return "A property or item is missing in the new schema but present at path " + p +
			" in the old schema and is not covered by its partially open content model"
	case t == "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" ||
		t == "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL":
		return "The new schema has a property or item at path " + p +
			" which is missing in the old schema and is not covered by its partially open content model"
	case t == tooComplex:
		return "The schemas are too large or too recursive to compare; the change is refused"
	}
	return t + " at path " + p
}

var messageKeywordMissing = setOf("MAXIMUM_ADDED", "MINIMUM_ADDED", "EXCLUSIVE_MAXIMUM_ADDED",
	"EXCLUSIVE_MINIMUM_ADDED", "MULTIPLE_OF_ADDED", "MAX_LENGTH_ADDED", "MIN_LENGTH_ADDED", "PATTERN_ADDED",
	"REQUIRED_ATTRIBUTE_ADDED", "MAX_PROPERTIES_ADDED", "MIN_PROPERTIES_ADDED", "DEPENDENCY_ARRAY_ADDED",
	"DEPENDENCY_SCHEMA_ADDED", "MAX_ITEMS_ADDED", "MIN_ITEMS_ADDED", "MAX_CONTAINS_ADDED", "MIN_CONTAINS_ADDED",
	"UNIQUE_ITEMS_ADDED", "ADDITIONAL_ITEMS_REMOVED", "ADDITIONAL_PROPERTIES_REMOVED",
	"UNEVALUATED_PROPERTIES_REMOVED", "UNEVALUATED_ITEMS_REMOVED")

var messageIncreased = setOf("MIN_LENGTH_INCREASED", "MINIMUM_INCREASED", "EXCLUSIVE_MINIMUM_INCREASED",
	"MIN_PROPERTIES_INCREASED", "MULTIPLE_OF_EXPANDED", "MIN_ITEMS_INCREASED", "MIN_CONTAINS_INCREASED")

var messageDecreased = setOf("MAX_LENGTH_DECREASED", "MAXIMUM_DECREASED", "MAX_ITEMS_DECREASED",
	"MAX_CONTAINS_DECREASED", "EXCLUSIVE_MAXIMUM_DECREASED", "MAX_PROPERTIES_DECREASED")

// written is a schema's type as people write it: its JSON type ("integer", "array<string>"),
// an enum with its first values, alternatives joined by " | " (anyOf, oneOf, a list of
// types) or " & " (allOf), "any" for a schema that accepts anything; "" for no schema.
// References are followed to a small depth, which stops recursive schemas.
func written(n *node, depth int) string {
	if n == nil {
		return ""
	}
	if depth > 3 {
		return "…"
	}
	n = deref(n)
	switch n.kind {
	case kindEmpty, kindTrue:
		return "any"
	case kindFalse:
		return "false"
	case kindObject:
		return "object"
	case kindArray:
		if n.allItems == nil {
			return "array"
		}
		return "array<" + written(n.allItems, depth+1) + ">"
	case kindString:
		return "string"
	case kindNumber:
		if n.requiresInteger {
			return "integer"
		}
		return "number"
	case kindBoolean:
		return "boolean"
	case kindNull:
		return "null"
	case kindEnum:
		values := sortedKeys(n.enumValues)
		if len(values) > maxWrittenValues {
			values = append(values[:maxWrittenValues], "…")
		}
		return "enum [" + strings.Join(values, ", ") + "]"
	case kindConst:
		return "const " + n.constValue
	case kindCombined:
		sep := " | "
		if n.criterion == "allOf" {
			sep = " & "
		}
		subs := make([]string, len(n.subs))
		for i, s := range n.subs {
			subs[i] = written(s, depth+1)
		}
		return strings.Join(subs, sep)
	case kindNot:
		return "not " + written(n.not, depth+1)
	case kindConditional:
		return "if/then/else"
	}
	return ""
}

// maxWrittenValues is how many values of an enum a written type shows.
const maxWrittenValues = 8
