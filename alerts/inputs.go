package alerts

import (
	"context"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/tracing"
)

// What rules read. Each is a narrow view of the package that provides it; any may be nil, and
// the rules that need a missing one find nothing.

// Health is consumer health, broker signals joined (*tracing.Ingester).
type Health interface {
	Health(ctx context.Context) (tracing.HealthReport, error)
}

// Catalog gives drift and who owns what (*catalog.Catalog).
type Catalog interface {
	Drift(ctx context.Context, q catalog.DriftQuery) ([]catalog.DriftFinding, error)
	Services(ctx context.Context) ([]catalog.Service, error)
	Channels(ctx context.Context) ([]catalog.Channel, error)
	Messages(ctx context.Context) ([]catalog.Message, error)
	MessageChannels(ctx context.Context) (map[string][]catalog.MessageChannel, error)
	Owners(ctx context.Context) ([]catalog.Owner, error)
	Operations(ctx context.Context) ([]catalog.Operation, error)
}

// Registry gives refused registrations and the subjects (*schemaregistry.Registry).
type Registry interface {
	Refusals(ctx context.Context, subject string, limit int) ([]schemaregistry.Refusal, error)
	Subjects(ctx context.Context, f schemaregistry.SubjectFilter) ([]string, error)
}

// Inputs are what the rules read.
type Inputs struct {
	Health   Health
	Catalog  Catalog
	Registry Registry
}
