package protobuf

func printFile(f *fileElem, ctx *typeContext) string { return "" }

func (s *Schema) normalizeContext() *typeContext { return nil }
