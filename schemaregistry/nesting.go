package schemaregistry

// nesting is how deep brackets ({, [, () nest in a schema text, outside string literals and
// comments: the same measure for JSON (Avro, JSON Schema) and .proto text, taken before a parser
// recurses into it.
func nesting(text string) int {
	depth, deepest := 0, 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '"', '\'':
			for i++; i < len(text) && text[i] != c; i++ {
				if text[i] == '\\' {
					i++
				}
			}
		case '/':
			if i+1 < len(text) && text[i+1] == '/' {
				for i < len(text) && text[i] != '\n' {
					i++
				}
			} else if i+1 < len(text) && text[i+1] == '*' {
				for i += 2; i+1 < len(text) && !(text[i] == '*' && text[i+1] == '/'); i++ {
				}
				i++
			}
		case '{', '[', '(':
			depth++
			deepest = max(deepest, depth)
		case '}', ']', ')':
			depth--
		}
	}
	return deepest
}
