package schemacheck

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// lineOf finds the line in a schema file that a difference's path points at, or 0. Avro paths
// (/fields/1/type) and JSON Schema paths (#/properties/x) are JSON pointers into the file; a
// Protobuf path (#/Msg/3, #/Msg/oneofName/3) names a message and a field number.
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

// protoLine finds the message named by the path's first part and, inside it, the field with the
// path's last part as its number; without a number it returns the line of the message or enum
// named by the last part.
func protoLine(text, path string) int {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(path, "#"), "/"), "/")
	name, number := parts[len(parts)-1], ""
	if _, err := strconv.Atoi(name); err == nil {
		name, number = parts[0], parts[len(parts)-1]
	}
	if name == "" {
		return 0
	}
	lines := strings.Split(text, "\n")
	start := -1
	for i, l := range lines {
		if declares(l, name) {
			start = i
			break
		}
	}
	if start < 0 {
		return 0
	}
	if number == "" {
		return start + 1
	}
	depth := 0
	for i := start; i < len(lines); i++ {
		if m := protoFieldNumber.FindStringSubmatch(lines[i]); m != nil && m[1] == number {
			return i + 1
		}
		depth += strings.Count(lines[i], "{") - strings.Count(lines[i], "}")
		if depth <= 0 && i > start {
			break
		}
	}
	return start + 1
}

// declares reports whether a .proto line declares the message or enum name.
func declares(line, name string) bool {
	f := strings.Fields(strings.ReplaceAll(line, "{", " { "))
	for i := 0; i+1 < len(f); i++ {
		if (f[i] == "message" || f[i] == "enum") && f[i+1] == name {
			return true
		}
	}
	return false
}
