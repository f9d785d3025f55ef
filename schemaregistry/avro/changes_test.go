package avro

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

const demoV1 = `{"type":"record","name":"OrderPlaced","namespace":"shop.orders.v1","doc":"An order as the customer placed it.","fields":[
	{"name":"orderId","type":"long"},{"name":"customerId","type":"string"},{"name":"totalCents","type":"long"},
	{"name":"currency","type":"string","default":"EUR"},{"name":"placedAt","type":{"type":"long","logicalType":"timestamp-millis"}}]}`

// TestDiff checks every kind of change Diff names, where, in what words, and which ways it
// breaks.
func TestDiff(t *testing.T) {
	demo := func(name string) string {
		text, err := os.ReadFile("../../demo/evolution/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(text)
	}
	record := func(fields string) string {
		return `{"type":"record","name":"Payment","namespace":"shop","fields":[` + fields + `]}`
	}
	order := func(address string) string {
		return `{"type":"record","name":"Order","fields":[{"name":"customer","type":{"type":"record","name":"Customer","fields":[
			{"name":"address","type":` + address + `}]}}]}`
	}
	status := func(symbols string) string {
		return record(`{"name":"status","type":{"type":"enum","name":"Status","symbols":[` + symbols + `]}}`)
	}
	tests := []struct {
		name, old, new string
		want           []string // type, field, path: message, then the ways it breaks
	}{
		// v1 is the demo's AsyncAPI payload (demo/asyncapi/orders.yaml): v2 without storefront.
		{"the demo's v1 to v3", demoV1, demo("orders.placed-v3.avsc"), []string{
			`DOC_CHANGED OrderPlaced /doc: Record doc changed: "An order as the customer placed it." → "An order as the customer placed it: who, how much, when and where."`,
			`FIELD_ADDED OrderPlaced.storefront /fields/5: Field added: string, default "web"`,
			`FIELD_ADDED OrderPlaced.couponCode /fields/6: Field added: null | string, default null`,
		}},
		{"the demo's refused change", demo("orders.placed-v2.avsc"), demo("orders.placed-loyalty.avsc"), []string{
			`FIELD_ADDED OrderPlaced.loyaltyTier /fields/6: Field added: string, no default; breaks backward`,
		}},
		{"no change", record(`{"name":"id","type":"string"}`), record(`{"name":"id","type":"string"}`), nil},
		{"field removed without a default",
			record(`{"name":"id","type":"string"},{"name":"note","type":"string"}`), record(`{"name":"id","type":"string"}`),
			[]string{`FIELD_REMOVED Payment.note /fields/1: Field removed: string, no default; breaks forward`}},
		{"field removed with a default",
			record(`{"name":"id","type":"string"},{"name":"note","type":"string","default":""}`), record(`{"name":"id","type":"string"}`),
			[]string{`FIELD_REMOVED Payment.note /fields/1: Field removed: string, default ""`}},
		{"type changed", record(`{"name":"id","type":"string"}`), record(`{"name":"id","type":"long"}`),
			[]string{`TYPE_CHANGED Payment.id /fields/0/type: Type changed: string → long; breaks backward, forward`}},
		{"type promoted", record(`{"name":"n","type":"int"}`), record(`{"name":"n","type":"long"}`),
			[]string{`TYPE_CHANGED Payment.n /fields/0/type: Type changed: int → long; breaks forward`}},
		{"logical type", record(`{"name":"at","type":"long"}`), record(`{"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}}`),
			[]string{`TYPE_CHANGED Payment.at /fields/0/type: Type changed: long → long (timestamp-millis)`}},
		{"union widened", record(`{"name":"v","type":["null","string"]}`), record(`{"name":"v","type":["null","string","int"]}`),
			[]string{`TYPE_CHANGED Payment.v /fields/0/type: Type changed: null | string → null | string | int; breaks forward`}},
		{"union reordered", record(`{"name":"v","type":["null","string"]}`), record(`{"name":"v","type":["string","null"]}`),
			[]string{`TYPE_CHANGED Payment.v /fields/0/type: Type changed: null | string → string | null`}},
		{"made optional", record(`{"name":"v","type":"string"}`), record(`{"name":"v","type":["null","string"],"default":null}`), []string{
			`DEFAULT_ADDED Payment.v /fields/0/default: Default added: null`,
			`TYPE_CHANGED Payment.v /fields/0/type: Type changed: string → null | string; breaks forward`,
		}},
		{"array items", record(`{"name":"tags","type":{"type":"array","items":"int"}}`), record(`{"name":"tags","type":{"type":"array","items":"string"}}`),
			[]string{`TYPE_CHANGED Payment.tags /fields/0/type/items: Type changed: array<int> → array<string>; breaks backward, forward`}},
		{"defaults", record(`{"name":"a","type":"string"},{"name":"b","type":"string","default":"x"},{"name":"c","type":"int","default":1}`),
			record(`{"name":"a","type":"string","default":"EUR"},{"name":"b","type":"string","default":"y"},{"name":"c","type":"int"}`), []string{
				`DEFAULT_ADDED Payment.a /fields/0/default: Default added: "EUR"`,
				`DEFAULT_CHANGED Payment.b /fields/1/default: Default changed: "x" → "y"`,
				`DEFAULT_REMOVED Payment.c /fields/2/default: Default removed (was 1)`,
			}},
		{"docs", `{"type":"record","name":"R","fields":[{"name":"a","type":"int","doc":"A"},{"name":"b","type":"int"}]}`,
			`{"type":"record","name":"R","doc":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int","doc":"B"}]}`, []string{
				`DOC_CHANGED R /doc: Record doc added: "R"`,
				`DOC_CHANGED R.a /fields/0/doc: Field doc removed (was "A")`,
				`DOC_CHANGED R.b /fields/1/doc: Field doc added: "B"`,
			}},
		{"field renamed through an alias", record(`{"name":"note","type":"string"}`), record(`{"name":"memo","type":"string","aliases":["note"]}`), []string{
			`FIELD_RENAMED Payment.memo /fields/0/name: Field renamed: note → memo; breaks forward`,
			`ALIASES_CHANGED Payment.memo /fields/0/aliases: Field aliases changed: none → [note]`,
		}},
		{"sort order", record(`{"name":"n","type":"int"}`), record(`{"name":"n","type":"int","order":"descending"}`),
			[]string{`ORDER_CHANGED Payment.n /fields/0/order: Sort order changed: ascending → descending`}},
		{"enum symbols added", status(`"NEW","PAID"`), status(`"NEW","PAID","REFUNDED"`),
			[]string{`ENUM_SYMBOLS_ADDED Payment.status /fields/0/type/symbols: Enum symbols added: REFUNDED; breaks forward`}},
		{"enum symbols removed", status(`"NEW","PAID","REFUNDED"`), status(`"NEW","PAID"`),
			[]string{`ENUM_SYMBOLS_REMOVED Payment.status /fields/0/type/symbols: Enum symbols removed: REFUNDED; breaks backward`}},
		{"enum default covers a removed symbol",
			`{"type":"enum","name":"E","symbols":["A","B","U"]}`, `{"type":"enum","name":"E","symbols":["A","U"],"default":"U"}`, []string{
				`ENUM_SYMBOLS_REMOVED E /symbols: Enum symbols removed: B`,
				`ENUM_DEFAULT_CHANGED E /default: Enum default changed: none → U`,
			}},
		{"fixed size", `{"type":"fixed","name":"F","size":4}`, `{"type":"fixed","name":"F","size":8}`,
			[]string{`FIXED_SIZE_CHANGED F /size: Fixed size changed: 4 → 8; breaks backward, forward`}},
		{"record renamed", `{"type":"record","name":"Charge","namespace":"shop","fields":[]}`, record(``),
			[]string{`NAME_CHANGED Payment /name: Record renamed: shop.Charge → shop.Payment; breaks backward, forward`}},
		{"record renamed with an alias", `{"type":"record","name":"Charge","namespace":"shop","fields":[]}`,
			`{"type":"record","name":"Payment","namespace":"shop","aliases":["Charge"],"fields":[]}`, []string{
				`NAME_CHANGED Payment /name: Record renamed: shop.Charge → shop.Payment; breaks forward`,
				`ALIASES_CHANGED Payment /aliases: Record aliases changed: none → [shop.Charge]`,
			}},
		{"namespace", `{"type":"record","name":"Payment","namespace":"shop.v1","fields":[]}`, record(``),
			[]string{`NAMESPACE_CHANGED Payment /namespace: Record namespace changed: shop.v1 → shop`}},
		{"nested records", order(`{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}]}`),
			order(`{"type":"record","name":"Address","doc":"Where","fields":[{"name":"city","type":"long"},{"name":"zip","type":"string","default":""}]}`), []string{
				`DOC_CHANGED Order.customer.address /fields/0/type/fields/0/type/doc: Record doc added: "Where"`,
				`TYPE_CHANGED Order.customer.address.city /fields/0/type/fields/0/type/fields/0/type: Type changed: string → long; breaks backward, forward`,
				`FIELD_ADDED Order.customer.address.zip /fields/0/type/fields/0/type/fields/1: Field added: string, default ""`,
			}},
		{"a record in a union", order(`["null",{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}]}]`),
			order(`["null",{"type":"record","name":"Address","fields":[{"name":"city","type":"long"}]}]`), []string{
				`TYPE_CHANGED Order.customer.address.city /fields/0/type/fields/0/type/1/fields/0/type: Type changed: string → long; breaks backward, forward`,
			}},
		{"a record made optional and changed", order(`{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}]}`),
			order(`["null",{"type":"record","name":"Address","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string"}]}]`), []string{
				`TYPE_CHANGED Order.customer.address /fields/0/type/fields/0/type: Type changed: Address → null | Address; breaks forward`,
				`FIELD_ADDED Order.customer.address.zip /fields/0/type/fields/0/type/1/fields/1: Field added: string, no default; breaks backward`,
			}},
		{"union branch renamed", record(`{"name":"p","type":["null",{"type":"record","name":"Card","fields":[]}]}`),
			record(`{"name":"p","type":["null",{"type":"record","name":"CreditCard","fields":[]}]}`), []string{
				`NAME_CHANGED Payment.p /fields/0/type/1/name: Record renamed: shop.Card → shop.CreditCard; breaks backward, forward`,
			}},
		{"array of records", `{"type":"record","name":"Order","fields":[{"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[{"name":"sku","type":"int"}]}}}]}`,
			`{"type":"record","name":"Order","fields":[{"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[{"name":"sku","type":"string"}]}}}]}`, []string{
				`TYPE_CHANGED Order.lines.sku /fields/0/type/items/fields/0/type: Type changed: int → string; breaks backward, forward`,
			}},
		{"a type used twice is compared once",
			`{"type":"record","name":"Order","fields":[{"name":"billing","type":{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}]}},{"name":"shipping","type":"Address"}]}`,
			`{"type":"record","name":"Order","fields":[{"name":"billing","type":{"type":"record","name":"Address","fields":[{"name":"city","type":"long"}]}},{"name":"shipping","type":"Address"}]}`, []string{
				`TYPE_CHANGED Order.billing.city /fields/0/type/fields/0/type: Type changed: string → long; breaks backward, forward`,
			}},
		{"recursive record", `{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}`,
			`{"type":"record","name":"Node","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","Node"]}]}`, []string{
				`TYPE_CHANGED Node.v /fields/0/type: Type changed: int → long; breaks forward`,
			}},
		{"map values", record(`{"name":"m","type":{"type":"map","values":"string"}}`), record(`{"name":"m","type":{"type":"map","values":"bytes"}}`),
			[]string{`TYPE_CHANGED Payment.m /fields/0/type/values: Type changed: map<string> → map<bytes>`}},
		{"a union of one type", `["string"]`, `"string"`, []string{`TYPE_CHANGED  /: Type changed: union of string → string`}},
		{"an empty union", `[]`, `"string"`, []string{`TYPE_CHANGED  /: Type changed: empty union → string; breaks forward`}},
		{"root type", `"string"`, `"long"`, []string{`TYPE_CHANGED  /: Type changed: string → long; breaks backward, forward`}},
		{"a record and an enum of one name", record(`{"name":"s","type":{"type":"record","name":"S","fields":[]}}`),
			record(`{"name":"s","type":{"type":"enum","name":"S","symbols":["A"]}}`),
			[]string{`TYPE_CHANGED Payment.s /fields/0/type: Type changed: record shop.S → enum shop.S; breaks backward, forward`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes, unexplained := diff(mustParse(t, tt.old), mustParse(t, tt.new))
			var got []string
			for _, c := range changes {
				got = append(got, describeChange(c))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if len(unexplained) > 0 {
				t.Errorf("incompatibilities on no change: %v", unexplained)
			}
		})
	}
}

func describeChange(c Change) string {
	s := c.Type + " " + c.Field + " " + c.Path + ": " + c.Message()
	var breaks []string
	if c.BreaksBackward {
		breaks = append(breaks, "backward")
	}
	if c.BreaksForward {
		breaks = append(breaks, "forward")
	}
	if len(breaks) > 0 {
		s += "; breaks " + strings.Join(breaks, ", ")
	}
	return s
}

// TestDiffTypes checks the types each change names for its field, as the incompatibilities do.
func TestDiffTypes(t *testing.T) {
	old := mustParse(t, `{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"gone","type":"string"}]}`)
	new := mustParse(t, `{"type":"record","name":"R","fields":[{"name":"a","type":["null","long"],"default":null},{"name":"b","type":{"type":"array","items":"string"},"default":[]}]}`)
	var got []string
	for _, c := range Diff(old, new) {
		got = append(got, c.Type+" "+c.Field+" "+c.OldType+" → "+c.NewType)
	}
	want := []string{"DEFAULT_ADDED R.a int → null | long", "TYPE_CHANGED R.a int → null | long",
		"FIELD_ADDED R.b  → array<string>", "FIELD_REMOVED R.gone string → "}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestDiffCorpus pins every incompatibility Apache Avro's compatibility cases find, both ways,
// on a change Diff names: what breaks is always among the changes.
func TestDiffCorpus(t *testing.T) {
	for i, c := range loadCompatibilityCases(t) {
		t.Run(fmt.Sprint(i, " ", c.Test), func(t *testing.T) {
			reader, writer := mustParse(t, string(c.Reader)), mustParse(t, string(c.Writer))
			changes, unexplained := diff(writer, reader)
			if len(unexplained) > 0 {
				var names []string
				for _, c := range changes {
					names = append(names, describeChange(c))
				}
				t.Errorf("incompatibilities on no change: %+v\nchanges:\n%s", unexplained, strings.Join(names, "\n"))
			}
			if !c.Compatible && !slices.ContainsFunc(changes, func(ch Change) bool { return ch.BreaksBackward }) {
				t.Errorf("incompatible, but no change breaks backward")
			}
		})
	}
}

// BenchmarkDiff diffs a record of 100 fields with the version before it, which lacked the
// last one: the diff and the two compatibility checks that mark its changes.
func BenchmarkDiff(b *testing.B) {
	newer, older := mustParse(b, recordWith(100)), mustParse(b, recordWith(99))
	b.ReportAllocs()
	for b.Loop() {
		if changes := Diff(older, newer); len(changes) != 1 {
			b.Fatal(changes)
		}
	}
}
