package catalog

import "time"

// Kinds of message, as EventCatalog names them (x-eventcatalog-message-type).
const (
	KindEvent   = "event"
	KindCommand = "command"
	KindQuery   = "query"
)

// Actions of an operation, as AsyncAPI 3.0 names them: what the service does with the channel.
const (
	ActionSend    = "send"
	ActionReceive = "receive"
)

// Schema types, as the schema registry names them.
const (
	SchemaJSON     = "JSON"
	SchemaAvro     = "AVRO"
	SchemaProtobuf = "PROTOBUF"
)

// OwnerCounts is how many of each kind of thing an owner owns.
type OwnerCounts struct {
	Domains  int `json:"domains"`
	Services int `json:"services"`
	Channels int `json:"channels"`
	Messages int `json:"messages"`
}

// Owner is a team or a person responsible for services, channels, messages or domains.
type Owner struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"` // team or person
	Email       string `json:"email,omitempty"`
	URL         string `json:"url,omitempty"`
	Description string `json:"description,omitempty"`

	// Filled by Owner (get by name), not by Owners (list).
	Services []string `json:"services,omitempty"`
	Channels []string `json:"channels,omitempty"`
	Messages []string `json:"messages,omitempty"`
	Domains  []string `json:"domains,omitempty"`

	// Owns counts what it owns; filled by Owners (list).
	Owns *OwnerCounts `json:"owns,omitempty"`
}

// Domain groups services, e.g. "shipping".
type Domain struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"` // Markdown
	Owner       string   `json:"owner,omitempty"`
	Tags        []string `json:"tags"`
	Services    []string `json:"services,omitempty"` // filled by Domain (get by name)
}

// Service is one application, described by one AsyncAPI document.
type Service struct {
	Name        string   `json:"name"`
	Version     string   `json:"version,omitempty"`
	Description string   `json:"description,omitempty"` // Markdown
	Domain      string   `json:"domain,omitempty"`
	Owner       string   `json:"owner,omitempty"`
	Tags        []string `json:"tags"`
	Document    string   `json:"document,omitempty"` // key of the document that describes it

	// Filled by Service (get by name).
	Operations []Operation `json:"operations,omitempty"`
	Servers    []string    `json:"servers,omitempty"` // the servers its document declares
	// The same servers in full, for pages; the API lists the names (GET /api/catalog/servers/<name>).
	ServerDetails []Server `json:"-"`
}

// Server is a broker or other host that services connect to, as AsyncAPI's servers describe it.
type Server struct {
	Name            string         `json:"name"` // its key in the documents' servers
	Host            string         `json:"host"` // may include the port and {variables}
	Pathname        string         `json:"pathname,omitempty"`
	Protocol        string         `json:"protocol"` // kafka, kafka-secure, amqp, mqtt, ws, ...
	ProtocolVersion string         `json:"protocolVersion,omitempty"`
	Description     string         `json:"description,omitempty"` // Markdown
	Variables       map[string]any `json:"variables,omitempty"`   // server variables used in host and pathname
	Bindings        map[string]any `json:"bindings,omitempty"`    // as the document gives them (kafka schemaRegistryUrl, ...)
	Tags            []string       `json:"tags"`
	Document        string         `json:"document,omitempty"` // key of the first document that declares it, whose values win

	// Filled by Server (get by name).
	Services []string `json:"services,omitempty"` // whose documents declare it
	Channels []string `json:"channels,omitempty"` // available on it
}

// Operation is one thing a service does with a channel: send or receive some of its messages.
type Operation struct {
	Name          string   `json:"name"`
	Service       string   `json:"service"`
	Action        string   `json:"action"` // send or receive
	Channel       string   `json:"channel"`
	Messages      []string `json:"messages"`
	ConsumerGroup string   `json:"consumerGroup,omitempty"` // Kafka groupId of a receiving operation
	Summary       string   `json:"summary,omitempty"`
	Description   string   `json:"description,omitempty"`

	// As the document gives them (Kafka groupId and clientId, AMQP deliveryMode, MQTT qos, ...).
	Bindings map[string]any `json:"bindings,omitempty"`
}

// Channel is where messages travel: a Kafka topic, an AMQP exchange or queue, an MQTT topic.
type Channel struct {
	Name        string         `json:"name"` // the Kafka topic if there is one, else the address
	Address     string         `json:"address,omitempty"`
	KafkaTopic  string         `json:"kafkaTopic,omitempty"`
	Bindings    map[string]any `json:"bindings,omitempty"` // as the document gives them (amqp, kafka, ...)
	Description string         `json:"description,omitempty"`
	Owner       string         `json:"owner,omitempty"`
	Tags        []string       `json:"tags"`

	// Filled by Channel (get by name).
	Servers        []string         `json:"servers,omitempty"` // the servers it is available on
	ServerDetails  []Server         `json:"-"`                 // the same servers in full, for pages
	Messages       []ChannelMessage `json:"messages,omitempty"`
	Operations     []Operation      `json:"operations,omitempty"`
	ConsumerGroups []string         `json:"consumerGroups,omitempty"`
}

// ChannelMessage is a message on a channel, with the registry subjects of its payload and key there.
type ChannelMessage struct {
	Message    string `json:"message"`
	Subject    string `json:"subject"`
	KeySubject string `json:"keySubject,omitempty"` // <channel>-key, when the message has a Kafka key schema
}

// MessageChannel is a channel a message travels on, with the registry subjects of its payload and key there.
type MessageChannel struct {
	Channel    string `json:"channel"`
	Subject    string `json:"subject"`
	KeySubject string `json:"keySubject,omitempty"` // <channel>-key, when the message has a Kafka key schema
}

// Message is an event, command or query with its payload schema.
type Message struct {
	Name         string `json:"name"`
	Kind         string `json:"kind"` // event, command or query
	Title        string `json:"title,omitempty"`
	Summary      string `json:"summary,omitempty"`
	Description  string `json:"description,omitempty"` // Markdown
	ContentType  string `json:"contentType,omitempty"`
	SchemaFormat string `json:"schemaFormat,omitempty"` // as the document says it
	SchemaType   string `json:"schemaType,omitempty"`   // JSON, AVRO or PROTOBUF; empty if the format is none of them
	Payload      string `json:"payload,omitempty"`      // the payload schema with references resolved
	Subject      string `json:"subject,omitempty"`      // x-eventlens-subject, if the document names one
	// The Kafka message key's schema (bindings.kafka.key), registered as <channel>-key.
	KeySchemaFormat string   `json:"keySchemaFormat,omitempty"` // as the document says it, if it does
	KeySchemaType   string   `json:"keySchemaType,omitempty"`   // JSON, AVRO or PROTOBUF; empty if none or another format
	Key             string   `json:"key,omitempty"`             // the key schema with references resolved
	Owner           string   `json:"owner,omitempty"`
	Tags            []string `json:"tags"`

	// The other bindings, merged from the documents (AMQP contentEncoding, Kafka
	// schemaIdLocation, ...); the Kafka key is Key, not repeated here.
	Bindings map[string]any `json:"bindings,omitempty"`

	// Filled by Message (get by name).
	Channels []MessageChannel `json:"channels,omitempty"`
	Senders  []string         `json:"senders,omitempty"`
	Readers  []string         `json:"receivers,omitempty"`
}

// DocumentVersion is one import of a document that changed it.
type DocumentVersion struct {
	Document   string    `json:"document"`
	Version    int       `json:"version"`
	Hash       string    `json:"hash"`
	Source     string    `json:"source"`
	ImportedAt time.Time `json:"importedAt"`
}

// Outcomes of registering an imported payload with the schema registry.
const (
	Registered = "registered" // a new version of the subject
	Unchanged  = "unchanged"  // the subject already held this schema
	Refused    = "refused"    // the registry said no (incompatible, invalid, read-only, ...)
)

// SchemaRegistration is what the schema registry did with one message payload (or Kafka key
// schema) of an import, registered under Subject.
type SchemaRegistration struct {
	Subject    string `json:"subject"`
	SchemaType string `json:"schemaType"` // JSON, AVRO or PROTOBUF
	Message    string `json:"message"`
	Channel    string `json:"channel"`
	Key        bool   `json:"key,omitempty"`       // the message's Kafka key schema, not its payload
	Status     string `json:"status"`              // registered, unchanged or refused
	Version    int    `json:"version,omitempty"`   // the subject version holding the schema, unless refused
	ID         int    `json:"id,omitempty"`        // the schema's global id, unless refused
	ErrorCode  int    `json:"errorCode,omitempty"` // the registry's error code when refused (409: incompatible)
	Reason     string `json:"reason,omitempty"`    // the registry's message when refused
}
