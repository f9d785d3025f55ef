package demo

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDocumentsAgree checks what the catalog cannot: a channel or message that several documents
// mention is written the same way in each (the catalog keeps one of them, whichever was imported
// last), every reference points somewhere, and fraud-check stays undocumented.
func TestDocumentsAgree(t *testing.T) {
	type described struct {
		by   string
		node any
	}
	channels, messages := map[string]described{}, map[string]described{}
	same := func(kind string, seen map[string]described, service string, all map[string]any) {
		for name, node := range all {
			first, ok := seen[name]
			if !ok {
				seen[name] = described{service, node}
				continue
			}
			if !reflect.DeepEqual(first.node, node) {
				t.Errorf("%s %q differs between the documents of %s and %s", kind, name, first.by, service)
			}
		}
	}
	for _, doc := range Documents() {
		var d struct {
			AsyncAPI   string `yaml:"asyncapi"`
			ID         string `yaml:"id"`
			Info       struct{ Title string }
			Channels   map[string]any `yaml:"channels"`
			Operations map[string]struct {
				Action  string
				Channel struct {
					Ref string `yaml:"$ref"`
				}
			} `yaml:"operations"`
			Components struct {
				Messages map[string]any `yaml:"messages"`
			} `yaml:"components"`
		}
		if err := yaml.Unmarshal(doc.YAML, &d); err != nil {
			t.Fatalf("%s: %v", doc.Service, err)
		}
		if d.AsyncAPI != "3.0.0" || d.Info.Title != doc.Service || d.ID != "urn:eventlens:demo:"+doc.Service {
			t.Errorf("%s: asyncapi %q, title %q, id %q", doc.Service, d.AsyncAPI, d.Info.Title, d.ID)
		}
		same("channel", channels, doc.Service, d.Channels)
		same("message", messages, doc.Service, d.Components.Messages)
		for name, ch := range d.Channels {
			for key, ref := range ch.(map[string]any)["messages"].(map[string]any) {
				target := strings.TrimPrefix(fmt.Sprint(ref.(map[string]any)["$ref"]), "#/components/messages/")
				if _, ok := d.Components.Messages[target]; !ok || target != key {
					t.Errorf("%s: channel %s message %s refers to %q", doc.Service, name, key, target)
				}
			}
		}
		for name, op := range d.Operations {
			if _, ok := d.Channels[strings.TrimPrefix(op.Channel.Ref, "#/channels/")]; !ok {
				t.Errorf("%s: operation %s: channel %q is not in the document", doc.Service, name, op.Channel.Ref)
			}
		}
		if strings.Contains(string(doc.YAML), "fraud") {
			t.Errorf("%s mentions fraud-check, the consumer the demo keeps undocumented", doc.Service)
		}
	}
	if len(channels) != 5 || len(messages) != 5 {
		t.Errorf("%d channels and %d messages in all, want 5 and 5", len(channels), len(messages))
	}
}

// TestRunRefusesAMalformedKey: a key is "id:secret"; anything else is a mistake to report at once.
func TestRunRefusesAMalformedKey(t *testing.T) {
	for _, key := range []string{"secret-only", ":secret", "id:"} {
		err := Run(t.Context(), Options{Endpoint: "http://127.0.0.1:1", APIKey: key})
		if err == nil || !strings.Contains(err.Error(), "id:secret") {
			t.Errorf("key %q: %v, want an error asking for id:secret", key, err)
		}
	}
}
