package schemaregistry

import (
	"crypto/md5"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"slices"
)

// textHash is the MD5 state after a schema text, so the guid of the same text with other
// references, metadata or rule set does not hash the (often tens of kilobytes long) text again.
type textHash []byte

func hashText(text string) textHash {
	h := md5.New()
	io.WriteString(h, text)
	state, _ := h.(encoding.BinaryMarshaler).MarshalBinary() // crypto/md5 always can
	return state
}

// guid is Confluent's MD5 of a schema (MD5.ofSchema / Schema.updateHash), written as a UUID:
// the schema text (hashed already), then each reference's name, subject and big-endian
// version, then, when present, a 1 byte and the metadata (sorted tags with their sorted values,
// sorted properties, sorted sensitive names), then a 1 byte and the rule set. The schema type
// is not hashed.
func (t textHash) guid(refs []Reference, md *Metadata, rs *RuleSet) string {
	h := md5.New()
	h.(encoding.BinaryUnmarshaler).UnmarshalBinary(t) // a state hashText made: it restores
	for _, r := range refs {
		h.Write([]byte(r.Name))
		h.Write([]byte(r.Subject))
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(int32(r.Version))))
	}
	if md != nil {
		h.Write([]byte{1})
		for _, k := range sortedKeys(md.Tags) {
			h.Write([]byte(k))
			for _, v := range sortedSet(md.Tags[k]) {
				h.Write([]byte(v))
			}
		}
		writeMap(h, md.Properties)
		for _, s := range sortedSet(md.Sensitive) {
			h.Write([]byte(s))
		}
	}
	if rs != nil {
		h.Write([]byte{1})
		for _, rules := range [][]Rule{rs.MigrationRules, rs.DomainRules, rs.EncodingRules} {
			for _, r := range rules {
				hashRule(h, r)
			}
		}
		if rs.EnableAt != nil {
			h.Write([]byte(*rs.EnableAt))
		}
	}
	return uuid(h.Sum(nil))
}

func hashRule(h hash.Hash, r Rule) {
	for _, s := range []string{r.Name, r.Doc, r.Kind, r.Mode, r.Type} {
		h.Write([]byte(s))
	}
	for _, t := range sortedSet(r.Tags) {
		h.Write([]byte(t))
	}
	writeMap(h, r.Params)
	for _, s := range []string{r.Expr, r.OnSuccess, r.OnFailure} {
		h.Write([]byte(s))
	}
	if r.Disabled {
		h.Write([]byte{1})
	}
}

func writeMap(h hash.Hash, m map[string]string) {
	for _, k := range sortedKeys(m) {
		h.Write([]byte(k))
		h.Write([]byte(m[k]))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sortedSet is Java's TreeSet of the values: sorted, without duplicates.
func sortedSet(values []string) []string {
	s := slices.Clone(values)
	slices.Sort(s)
	return slices.Compact(s)
}

func uuid(b []byte) string {
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
