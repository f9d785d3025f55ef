package avro

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

// Incompatibility types, spelled as Java Avro's SchemaIncompatibilityType (and so Confluent).
const (
	NameMismatch                   = "NAME_MISMATCH"
	FixedSizeMismatch              = "FIXED_SIZE_MISMATCH"
	MissingEnumSymbols             = "MISSING_ENUM_SYMBOLS"
	ReaderFieldMissingDefaultValue = "READER_FIELD_MISSING_DEFAULT_VALUE"
	TypeMismatch                   = "TYPE_MISMATCH"
	MissingUnionBranch             = "MISSING_UNION_BRANCH"
)

// checker follows Java Avro's ReaderWriterCompatibilityChecker step by step, because Confluent
// reports exactly what it reports: every incompatibility, with the location of each. Pairs of
// named types are memoised; a pair met again while still being checked counts as compatible,
// which is what stops recursive types from looping.
type checker struct {
	memo map[[2]*node]*pairResult
	err  error // set when Java would throw; Confluent then reports only the exception
	// quick is set while only a verdict is needed (inside unions): differences are then not
	// worded. Pairs of named types are always checked in full, since their memoised result
	// may be reported later.
	quick bool
	// fields are the pairs being compared, outermost first: from fields[base], the root of
	// the current comparison, then one per record field entered, so that a difference can
	// name its field and the field's two types.
	fields []fieldPair
	base   int
}

// fieldPair is a reader field and the writer field it reads, or, with no name, the root of a
// comparison.
type fieldPair struct {
	record, name   string // the simple name of the reader record the field is in, and the field's
	reader, writer *node  // the field's types; writer is nil when the writer record lacks it
	writerPos      string // the writer field's position, as a location token
}

// verdictOnly is what a difference is while checking quickly; only its presence counts.
var verdictOnly = []format.Difference{{}}

type pairResult struct {
	inProgress bool
	diffs      []format.Difference
}

// check compares reader and writer at the location given as a stack of path tokens whose first
// token stands for the root.
func (c *checker) check(token string, reader, writer *node, loc []string) []format.Difference {
	loc = append(loc, token)
	if !reader.named() || !writer.named() {
		// Only named types can recur, so only their pairs need the memo.
		return c.calculate(reader, writer, loc)
	}
	key := [2]*node{reader, writer}
	if r, ok := c.memo[key]; ok {
		if r.inProgress {
			return nil
		}
		return r.diffs
	}
	if c.memo == nil {
		c.memo = map[[2]*node]*pairResult{}
	}
	r := &pairResult{inProgress: true}
	c.memo[key] = r
	quick := c.quick
	c.quick = false
	r.diffs = c.calculate(reader, writer, loc)
	c.quick = quick
	r.inProgress = false
	return r.diffs
}

// compare checks reader against writer from the root.
func (c *checker) compare(reader, writer *node) []format.Difference {
	c.fields = append(make([]fieldPair, 0, 8), fieldPair{reader: reader, writer: writer})
	return c.check("", reader, writer, make([]string, 0, 16))
}

// fresh checks a pair from a new root location, as Java's two-argument getCompatibility does
// inside unions; only whether it is compatible is used. The named pairs it checks in full are
// described from that root too, as their paths are.
func (c *checker) fresh(reader, writer *node) bool {
	quick, base := c.quick, c.base
	c.quick, c.base = true, len(c.fields)
	c.fields = append(c.fields, fieldPair{reader: reader, writer: writer})
	ok := len(c.check("", reader, writer, make([]string, 0, 8))) == 0
	c.fields = c.fields[:c.base]
	c.quick, c.base = quick, base
	return ok
}

func (c *checker) calculate(reader, writer *node, loc []string) []format.Difference {
	rk, wk := reader.kind(), writer.kind()
	if rk == wk {
		switch rk {
		case "array":
			return c.check("items", reader.items, writer.items, loc)
		case "map":
			return c.check("values", reader.items, writer.items, loc)
		case "fixed":
			diffs := c.checkNames(reader, writer, loc)
			if reader.size != writer.size {
				diffs = append(diffs, c.incompatible(FixedSizeMismatch, append(loc, "size"),
					"expected: ", strconv.Itoa(writer.size), ", found: ", strconv.Itoa(reader.size))...)
			}
			return diffs
		case "enum":
			return append(c.checkNames(reader, writer, loc), c.checkSymbols(reader, writer, loc)...)
		case "record":
			return append(c.checkNames(reader, writer, loc), c.checkFields(reader, writer, loc)...)
		case "union":
			var diffs []format.Difference
			for i, branch := range writer.branches {
				if !c.fresh(reader, branch) {
					diffs = append(diffs, c.incompatible(MissingUnionBranch, append(loc, indexToken(i)),
						"reader union lacking writer type: ", javaType(branch))...)
				}
			}
			return diffs
		}
		return nil // primitives of the same type
	}
	if wk == "union" {
		var diffs []format.Difference
		for i, branch := range writer.branches {
			diffs = append(diffs, c.check(indexToken(i), reader, branch, loc)...)
		}
		return diffs
	}
	switch {
	case rk == "long" && wk == "int",
		rk == "float" && (wk == "int" || wk == "long"),
		rk == "double" && (wk == "int" || wk == "long" || wk == "float"),
		rk == "bytes" && wk == "string",
		rk == "string" && wk == "bytes":
		return nil
	case rk == "union":
		for _, branch := range reader.branches {
			if c.fresh(branch, writer) {
				return nil
			}
		}
		return c.incompatible(MissingUnionBranch, loc, "reader union lacking writer type: ", javaType(writer))
	}
	return c.incompatible(TypeMismatch, loc,
		"reader type: ", javaType(reader), " not compatible with writer type: ", javaType(writer))
}

func (c *checker) checkFields(reader, writer *node, loc []string) []format.Difference {
	var diffs []format.Difference
	loc = append(loc, "fields")
	for _, rf := range reader.fields {
		floc := append(loc, rf.posToken)
		wf, err := writerField(writer, rf)
		if err != nil {
			c.err = err
			continue
		}
		pair := fieldPair{record: reader.name, name: rf.name, reader: rf.typ}
		if wf != nil {
			pair.writer, pair.writerPos = wf.typ, wf.posToken
		}
		c.fields = append(c.fields, pair)
		switch {
		case wf != nil:
			diffs = append(diffs, c.check("type", rf.typ, wf.typ, floc)...)
		case rf.def != nil:
		case rf.typ.typ == "enum" && rf.typ.enumDefault != nil:
			// Java compares the enum with the writer record here, which never matches.
			diffs = append(diffs, c.check("type", rf.typ, writer, floc)...)
		default:
			diffs = append(diffs, c.incompatible(ReaderFieldMissingDefaultValue, floc, rf.name)...)
		}
		c.fields = c.fields[:len(c.fields)-1]
	}
	return diffs
}

// writerField finds the writer field a reader field reads, by name and by the reader's aliases.
func writerField(writer *node, rf *field) (*field, error) {
	found := writer.fieldIndex[rf.name]
	matches := 0
	if found != nil {
		matches++
	}
	for _, alias := range rf.aliases {
		if f := writer.fieldIndex[alias]; f != nil {
			found = f
			matches++
		}
	}
	if matches <= 1 {
		return found, nil
	}
	return nil, fmt.Errorf("Reader record field %s matches multiple fields in writer record schema %s",
		rf.name, writer.fullName())
}

// checkNames compares simple names, then the reader's aliases with the writer's full name.
func (c *checker) checkNames(reader, writer *node, loc []string) []format.Difference {
	if reader.name == writer.name || slices.Contains(reader.aliases, writer.fullName()) {
		return nil
	}
	return c.incompatible(NameMismatch, append(loc, "name"), "expected: ", writer.fullName())
}

func (c *checker) checkSymbols(reader, writer *node, loc []string) []format.Difference {
	var missing []string
	for _, s := range writer.symbols {
		if !slices.Contains(reader.symbols, s) && !slices.Contains(missing, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if reader.enumDefault != nil && slices.Contains(reader.symbols, *reader.enumDefault) {
		return nil
	}
	slices.Sort(missing)
	return c.incompatible(MissingEnumSymbols, append(loc, "symbols"), "[", strings.Join(missing, ", "), "]")
}

// javaType is the name Java's Schema.Type gives a type in messages.
func javaType(n *node) string { return javaTypes[n.kind()] }

var javaTypes = map[string]string{
	"null": "NULL", "boolean": "BOOLEAN", "int": "INT", "long": "LONG", "float": "FLOAT",
	"double": "DOUBLE", "bytes": "BYTES", "string": "STRING", "record": "RECORD", "enum": "ENUM",
	"fixed": "FIXED", "array": "ARRAY", "map": "MAP", "union": "UNION",
}

// incompatible reports one incompatibility whose additional information is info joined, at the
// innermost field being compared; while checking quickly it words nothing.
func (c *checker) incompatible(typ string, loc []string, info ...string) []format.Difference {
	if c.quick {
		return verdictOnly
	}
	d := incompatibility(typ, strings.Join(info, ""), loc)
	pairs := c.fields[c.base:]
	if len(pairs) > 1 {
		// Named from the outermost record down, the way people refer to a nested field:
		// Order.customer.address.city.
		names := []string{pairs[1].record}
		for _, p := range pairs[1:] {
			names = append(names, p.name)
		}
		d.Field = strings.Join(names, ".")
	}
	innermost := pairs[len(pairs)-1]
	d.NewType, d.OldType = written(innermost.reader), written(innermost.writer)
	d.NewPath, d.OldPath = c.paths(loc)
	return []format.Difference{d}
}

// paths renders loc as a JSON pointer into each schema, worked out here rather than kept
// beside loc while checking, which would slow every check for the few that find something.
// Confluent's loc follows the reader's fields but the writer's union branches: a number after
// "fields" is a reader field's position, any other number a writer union's branch (the reader
// never enters one of its own here: a reader union is judged from a fresh root). So the
// reader's path leaves the branches out, staying at its type, which lacks them or is no union;
// the writer's takes each field's position in the writer record from the fields being
// compared, and stays at the record that lacks one.
func (c *checker) paths(loc []string) (reader, writer string) {
	pairs := c.fields[c.base+1:]
	r, w := make([]string, 0, len(loc)), make([]string, 0, len(loc))
	lacking := false
	for i := 1; i < len(loc); i++ {
		token := loc[i]
		switch {
		case token == "fields" && i+1 < len(loc) && len(pairs) > 0:
			r = append(r, token, loc[i+1])
			if pairs[0].writer == nil {
				lacking = true
			} else if !lacking {
				w = append(w, token, pairs[0].writerPos)
			}
			pairs = pairs[1:]
			i++
		case token[0] >= '0' && token[0] <= '9':
			if !lacking {
				w = append(w, token)
			}
		default:
			r = append(r, token)
			if !lacking {
				w = append(w, token)
			}
		}
	}
	return pointer(r), pointer(w)
}

// written is a type as people write it: primitives and named types by name, arrays and maps as
// array<items> and map<values>, a union as its branches joined by " | ", a logical type after
// the type it annotates ("long (timestamp-millis)"); "" for no type.
func written(n *node) string {
	switch {
	case n == nil:
		return ""
	case n.named():
		return n.fullName()
	case n.typ == "array":
		return "array<" + written(n.items) + ">"
	case n.typ == "map":
		return "map<" + written(n.items) + ">"
	case n.typ == "union":
		branches := make([]string, len(n.branches))
		for i, b := range n.branches {
			branches[i] = written(b)
		}
		return strings.Join(branches, " | ")
	}
	if name, precision, scale, ok := logicalType(n); ok {
		if name == "decimal" {
			name = fmt.Sprintf("decimal(%d,%d)", precision, scale)
		}
		return n.typ + " (" + name + ")"
	}
	return n.typ
}

// incompatibility builds the Difference Confluent reports for a backward check, where the reader
// is the new schema and the writer the old one.
func incompatibility(typ, info string, loc []string) format.Difference {
	path := pointer(loc[1:]) // without the root token
	var description string
	switch typ {
	case FixedSizeMismatch:
		description = "The size of FIXED type field at path '" + path + "' in the new schema does not match with the old schema"
	case TypeMismatch:
		description = "The type (path '" + path + "') of a field in the new schema does not match with the old schema"
	case NameMismatch:
		description = "The name of the schema has changed (path '" + path + "')"
	case MissingEnumSymbols:
		description = "The new schema is missing enum symbols '" + info + "' at path '" + path + "' in the old schema"
	case MissingUnionBranch:
		description = "The new schema is missing a type inside a union field at path '" + path + "' in the old schema"
	case ReaderFieldMissingDefaultValue:
		description = "The field '" + info + "' at path '" + path + "' in the new schema has no default value and is missing in the old schema"
	}
	return format.Difference{
		Type:    typ,
		Path:    path,
		Message: "{errorType:'" + typ + "', description:'" + description + "', additionalInfo:'" + info + "'}",
	}
}

// indexTokens spares the hot path from formatting small indexes.
var indexTokens = func() []string {
	t := make([]string, 256)
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

func indexToken(i int) string {
	if i < len(indexTokens) {
		return indexTokens[i]
	}
	return strconv.Itoa(i)
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// pointer renders path tokens as a JSON pointer.
func pointer(tokens []string) string {
	var b strings.Builder
	b.WriteByte('/')
	for i, token := range tokens {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(pointerEscaper.Replace(token))
	}
	return b.String()
}
