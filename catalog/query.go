package catalog

import (
	"context"
	"fmt"
)

// Domains lists every domain, by name.
func (c *Catalog) Domains(ctx context.Context) ([]Domain, error) { return c.store.domains(ctx) }

// Domain returns one domain with its services.
func (c *Catalog) Domain(ctx context.Context, name string) (Domain, error) {
	return c.store.domain(ctx, name)
}

// Services lists every service, by name.
func (c *Catalog) Services(ctx context.Context) ([]Service, error) { return c.store.services(ctx) }

// Service returns one service with what it sends and receives and the servers its document
// declares.
func (c *Catalog) Service(ctx context.Context, name string) (Service, error) {
	return c.store.service(ctx, name)
}

// Channels lists every channel, by name.
func (c *Catalog) Channels(ctx context.Context) ([]Channel, error) { return c.store.channels(ctx) }

// Channel returns one channel with its servers, its messages (and their subjects), the
// operations on it and its consumer groups.
func (c *Catalog) Channel(ctx context.Context, name string) (Channel, error) {
	return c.store.channel(ctx, name)
}

// Servers lists every server, by name.
func (c *Catalog) Servers(ctx context.Context) ([]Server, error) { return c.store.servers(ctx) }

// Server returns one server with the services whose documents declare it and the channels
// available on it.
func (c *Catalog) Server(ctx context.Context, name string) (Server, error) {
	return c.store.server(ctx, name)
}

// Messages lists every message, by name.
func (c *Catalog) Messages(ctx context.Context) ([]Message, error) { return c.store.messages(ctx) }

// Message returns one message with the channels it travels on (and its subject on each), and
// the services that send and receive it.
func (c *Catalog) Message(ctx context.Context, name string) (Message, error) {
	return c.store.message(ctx, name)
}

// MessageChannels lists the channels of every message (with its subjects there), by message
// name: what Message fills for one message, for lists of them.
func (c *Catalog) MessageChannels(ctx context.Context) (map[string][]MessageChannel, error) {
	return c.store.messageChannels(ctx)
}

// Owners lists every owner, by name, with how many of each kind of thing it owns.
func (c *Catalog) Owners(ctx context.Context) ([]Owner, error) { return c.store.owners(ctx) }

// Owner returns one owner with what it owns.
func (c *Catalog) Owner(ctx context.Context, name string) (Owner, error) {
	return c.store.owner(ctx, name)
}

// DocumentHistory lists the versions of the document with key, oldest first.
func (c *Catalog) DocumentHistory(ctx context.Context, key string) ([]DocumentVersion, error) {
	versions, err := c.store.documentHistory(ctx, key)
	if err == nil && len(versions) == 0 {
		err = notFound("document", key)
	}
	return versions, err
}

// unmarshalObject reads stored bindings or variables, integers as integers; {} is nil.
func unmarshalObject(text string, dst *map[string]any) error {
	v, err := decodeSchema(text)
	if err != nil {
		return err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("stored %s: not an object", text)
	}
	*dst = m
	if len(m) == 0 {
		*dst = nil
	}
	return nil
}
