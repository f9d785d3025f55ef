//go:build cgo

// confluent-kafka-go's serde packages import its Kafka client, which needs cgo (librdkafka);
// its registry client alone does not (clients_test.go).

package server

import (
	"testing"

	ckgsr "github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/avrov2"
)

type shipment struct {
	ID     string `avro:"id"`
	Weight int    `avro:"weight"`
}

// confluent-kafka-go v2.14's serializer on its defaults asks the associations of the topic
// before it registers: an associated topic's schema goes to the associated subject, another
// topic's to <topic>-value. Its deserializer reads both back.
func TestConfluentGoSerializerFollowsAssociations(t *testing.T) {
	ts := startServer(t)
	cl, err := ckgsr.NewClient(ckgsr.NewConfig(ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	const schema = `{"type":"record","name":"shipment","fields":[{"name":"id","type":"string"},{"name":"weight","type":"int"}]}`
	if _, err := cl.Register("shipments-contract", ckgsr.SchemaInfo{Schema: schema}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateAssociation(ckgsr.AssociationCreateOrUpdateRequest{ResourceName: "shipments", ResourceNamespace: "lkc-1", ResourceID: "t-1",
		Associations: []ckgsr.AssociationCreateOrUpdateInfo{{Subject: "shipments-contract", Lifecycle: ckgsr.WEAK}}}); err != nil {
		t.Fatal(err)
	}
	ser, err := avrov2.NewSerializer(cl, serde.ValueSerde, avrov2.NewSerializerConfig())
	if err != nil {
		t.Fatal(err)
	}
	deser, err := avrov2.NewDeserializer(cl, serde.ValueSerde, avrov2.NewDeserializerConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{"shipments", "returns"} {
		payload, err := ser.Serialize(topic, &shipment{ID: "s-1", Weight: 7})
		if err != nil {
			t.Fatalf("serialize to %s: %v", topic, err)
		}
		var got shipment
		if err := deser.DeserializeInto(topic, payload, &got); err != nil || got != (shipment{ID: "s-1", Weight: 7}) {
			t.Fatalf("deserialize from %s: %+v %v", topic, got, err)
		}
	}
	subjects, err := cl.GetAllSubjects()
	if err != nil {
		t.Fatal(err)
	}
	if len(subjects) != 2 || subjects[0] != "returns-value" || subjects[1] != "shipments-contract" {
		t.Errorf("subjects %v, want the associated shipments-contract and returns-value (no association)", subjects)
	}
	if versions, err := cl.GetAllVersions("shipments-contract"); err != nil || len(versions) != 1 {
		t.Errorf("shipments-contract versions %v %v: the serializer should have found version 1", versions, err)
	}
}
