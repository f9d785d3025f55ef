package schemacheck

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// lineOf finds the line in a schema file that a path into that schema points at, or 0. Avro
// paths (/fields/1/type) and JSON Schema paths (#/properties/x) are JSON pointers into the file;
// a Protobuf path (#/Msg/3, #/Outer/Inner/oneofName/3) names messages, maybe a oneof, and a
// field number.
func lineOf(schemaType, text, path string) int {
	if path == "" {
		return 0
	}
	if schemaType == "PROTOBUF" {
		return protoLine(text, path)
	}
	return jsonPointerLine([]byte(text), strings.TrimPrefix(path, "#"))
}

// jsonPointerLine returns the line where the value at pointer starts (for an object member,
// the line of its key), walking the document token by token. A pointer that goes deeper than
// the document yields the line of the deepest part found.
func jsonPointerLine(doc []byte, pointer string) int {
	var want []string
	for _, p := range strings.Split(strings.Trim(pointer, "/"), "/") {
		if p != "" {
			want = append(want, strings.NewReplacer("~1", "/", "~0", "~").Replace(p))
		}
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	if len(want) == 0 { // the whole document, e.g. the root record holding a removed field
		if _, err := dec.Token(); err != nil {
			return 0
		}
		return lineOfNextToken(doc, 0)
	}
	line := func() int { return 1 + bytes.Count(doc[:dec.InputOffset()], []byte("\n")) }
	best := 0
	// walk reads one value; depth is how many parts of want the path to it matched, or -1 when
	// the value is off that path.
	var walk func(depth int) bool
	walk = func(depth int) bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		delim, ok := tok.(json.Delim)
		if !ok || (delim != '{' && delim != '[') {
			return true
		}
		for i := 0; dec.More(); i++ {
			key := strconv.Itoa(i)
			if delim == '{' {
				k, err := dec.Token()
				if err != nil {
					return false
				}
				key, _ = k.(string)
			}
			next := -1
			if depth >= 0 && depth < len(want) && key == want[depth] {
				next = depth + 1
				best = line()
				if delim == '[' { // an element starts after the comma, maybe on a later line
					best = lineOfNextToken(doc, int(dec.InputOffset()))
				}
			}
			if !walk(next) {
				return false
			}
		}
		_, err = dec.Token() // the closing delimiter
		return err == nil
	}
	walk(0)
	return best
}

// lineOfNextToken is the line of the first non-space, non-comma byte at or after offset.
func lineOfNextToken(doc []byte, offset int) int {
	for offset < len(doc) && strings.ContainsRune(" \t\r\n,", rune(doc[offset])) {
		offset++
	}
	return 1 + bytes.Count(doc[:offset], []byte("\n"))
}

var protoFieldNumber = regexp.MustCompile(`=\s*(\d+)\s*[;\[]`)

// protoLine follows the path's names from the top of the file, each declared (message, enum or
// oneof) directly inside the one before, then finds the field or enum value whose number is
// the path's last part. What it cannot find yields the line of the deepest declaration found:
// a field the file lacks is located at its message.
func protoLine(text, path string) int {
	lines := strings.Split(text, "\n")
	// depth[i] is the brace depth at the start of line i, outside line comments.
	depth := make([]int, len(lines)+1)
	for i, l := range lines {
		l, _, _ = strings.Cut(l, "//")
		lines[i] = l
		depth[i+1] = depth[i] + strings.Count(l, "{") - strings.Count(l, "}")
	}
	// The block being searched is the file, then each declaration found: its lines after from
	// whose depth is at least inner, its own declarations being at depth inner.
	from, inner, line := -1, 0, 0
	parts := strings.Split(strings.Trim(strings.TrimPrefix(path, "#"), "/"), "/")
	for k, part := range parts {
		if _, err := strconv.Atoi(part); err == nil && k == len(parts)-1 {
			if n := numberLine(lines, depth, from, inner, part); n > 0 {
				return n
			}
			return line
		}
		found := -1
		for i := from + 1; i < len(lines) && depth[i] >= inner; i++ {
			if depth[i] == inner && declares(lines[i], part) {
				found = i
				break
			}
		}
		if found < 0 {
			return line
		}
		from, inner, line = found, depth[found]+1, found+1
	}
	return line
}

// numberLine is the line of the field or enum value numbered number declared in the block after
// line from, directly or inside one of its oneofs; 0 when there is none.
func numberLine(lines []string, depth []int, from, inner int, number string) int {
	inOneof := false
	for i := from + 1; i < len(lines) && depth[i] >= inner; i++ {
		if depth[i] == inner {
			inOneof = declaresKind(lines[i], "oneof")
		} else if depth[i] != inner+1 || !inOneof {
			continue // inside a nested message or enum
		}
		if m := protoFieldNumber.FindStringSubmatch(lines[i]); m != nil && m[1] == number {
			return i + 1
		}
	}
	return 0
}

// declares reports whether a .proto line declares the message, enum or oneof name.
func declares(line, name string) bool {
	f := protoWords(line)
	for i := 0; i+1 < len(f); i++ {
		if (f[i] == "message" || f[i] == "enum" || f[i] == "oneof") && f[i+1] == name {
			return true
		}
	}
	return false
}

// declaresKind reports whether a .proto line starts a declaration of kind ("oneof").
func declaresKind(line, kind string) bool {
	f := protoWords(line)
	return len(f) > 1 && f[0] == kind
}

func protoWords(line string) []string { return strings.Fields(strings.ReplaceAll(line, "{", " { ")) }
