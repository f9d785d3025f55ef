package demo

import (
	"context"
	"embed"
	"path"
)

//go:embed evolution/*.avsc
var evolution embed.FS

// evolvingSubject is the subject whose schema the shop changes while it runs, and
// evolvingChannel the channel it belongs to (TopicNameStrategy).
const (
	evolvingSubject = "orders.placed-value"
	evolvingChannel = "orders.placed"
)

// schemaChange is one change the orders team ships to its OrderPlaced schema.
type schemaChange struct {
	file string // in evolution/
	what string // what it changes, for the log
}

// ordersEvolution are the changes after version 1 (the payload in the AsyncAPI documents), one
// every Options.SchemaStep. The second adds a field without a default, which the registry's
// default level, BACKWARD, refuses; the others are compatible, so they become versions 2 and 3.
var ordersEvolution = []schemaChange{
	{"orders.placed-v2.avsc", "adds field storefront with a default"},
	{"orders.placed-loyalty.avsc", "adds field loyaltyTier without a default"},
	{"orders.placed-v3.avsc", "rewords the record's doc and adds the optional field couponCode"},
}

// schema is the change's schema text.
func (c schemaChange) schema() string {
	text, err := evolution.ReadFile(path.Join("evolution", c.file))
	if err != nil {
		panic(err) // embedded at build time
	}
	return string(text)
}

// evolve registers ordersEvolution through the registry's REST API, one change every
// opt.SchemaStep. A change the registry takes becomes the schema orders writes its messages
// with; one it refuses (409) is logged and changes nothing, as a serializer that fails to
// register sends nothing new. Changes an earlier run registered (a kept database) are taken at
// once, so a restarted shop does not start over from version 1.
func (s *shop) evolve(ctx context.Context, api *client) {
	var pending []schemaChange
	for _, change := range ordersEvolution {
		ref, err := api.lookup(ctx, evolvingSubject, change.schema())
		if err != nil {
			pending = append(pending, change)
			continue
		}
		s.setSchema(evolvingChannel, ref)
		s.opt.Logger.Info("demo schema already registered", "subject", evolvingSubject, "version", ref.Version, "id", ref.ID, "change", change.what)
	}
	for _, change := range pending {
		if !sleep(ctx, s.opt.SchemaStep) {
			return
		}
		var ref schemaRef
		err := retry(ctx, func() (err error) {
			ref, err = api.register(ctx, evolvingSubject, change.schema())
			return err
		})
		switch {
		case ctx.Err() != nil:
			return
		case permanent(err):
			s.opt.Logger.Warn("demo schema change refused by the registry", "subject", evolvingSubject, "change", change.what, "error", err)
		case err != nil:
			s.opt.Logger.Warn("demo schema change not registered", "subject", evolvingSubject, "change", change.what, "error", err)
		default:
			s.setSchema(evolvingChannel, ref)
			s.opt.Logger.Info("demo schema registered", "subject", evolvingSubject, "version", ref.Version, "id", ref.ID, "change", change.what)
		}
	}
}
