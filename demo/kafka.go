package demo

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/plugin/kotel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// The shop's Kafka topics. Declined payments go to the dead-letter topic of the topic they were
// read from, named the way Spring Kafka's DeadLetterPublishingRecoverer names it; nobody
// consumes it.
const (
	topicOrdersPlaced      = "orders.placed"
	topicPaymentsCompleted = "payments.completed"
	topicInventoryReserved = "inventory.reserved"
	topicShipmentsCreated  = "shipments.created"
	topicOrdersPlacedDLT   = topicOrdersPlaced + ".DLT"
)

// retention is how long the cluster keeps messages, so a demo left running for days holds
// about an hour of them in memory.
const retention = time.Hour

// Cluster is the shop's Kafka cluster: franz-go's kfake, an in-process broker that speaks the
// Kafka protocol on a loopback port, with the shop's topics (partitions as the AsyncAPI
// documents say). eventlens polls it for consumer-group lag like any other cluster.
type Cluster struct {
	fake *kfake.Cluster
	stop chan struct{}
	done sync.WaitGroup
}

// NewCluster starts the shop's Kafka cluster. Close it when the shop has stopped.
func NewCluster() (*Cluster, error) {
	fake, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.ClusterID("eventlens-demo"),
		kfake.BrokerConfigs(map[string]string{"log.retention.ms": strconv.FormatInt(retention.Milliseconds(), 10)}),
		kfake.SeedTopics(6, topicOrdersPlaced, topicOrdersPlacedDLT, topicPaymentsCompleted),
		kfake.SeedTopics(3, topicInventoryReserved, topicShipmentsCreated),
	)
	if err != nil {
		return nil, fmt.Errorf("demo Kafka cluster: %w", err)
	}
	c := &Cluster{fake: fake, stop: make(chan struct{})}
	// kfake applies retention when asked; a broker would every few minutes.
	c.done.Go(func() {
		tick := time.NewTicker(time.Minute)
		defer tick.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-tick.C:
				fake.ApplyRetention()
			}
		}
	})
	return c, nil
}

// Brokers are the addresses the cluster listens on, host:port.
func (c *Cluster) Brokers() []string { return c.fake.ListenAddrs() }

// Close stops the cluster; what it held is gone.
func (c *Cluster) Close() {
	close(c.stop)
	c.done.Wait()
	c.fake.Close()
}

// service is one of the shop's services: its tracer (for the spans that are not Kafka's), and
// its Kafka client, traced by franz-go's kotel plugin with the service's tracer provider.
type service struct {
	name   string
	group  string // its consumer group; "" for a service that only produces
	tracer trace.Tracer
	kotel  *kotel.Tracer
	client *kgo.Client
}

// newService makes the Kafka client of a service that consumes topics in group (none: it only
// produces). Consumers commit what they processed, not what they polled (AutoCommitMarks), so
// the group's committed offsets show how far behind it is.
func (s *shop) newService(name string, tp trace.TracerProvider, group string, topics ...string) (*service, error) {
	svc := &service{name: name, group: group, tracer: tp.Tracer("eventlens-demo")}
	opts := []kotel.TracerOpt{kotel.TracerProvider(tp), kotel.TracerPropagator(propagation.TraceContext{}), kotel.ClientID(name)}
	if group != "" {
		opts = append(opts, kotel.ConsumerGroup(group))
	}
	svc.kotel = kotel.NewTracer(opts...)
	// The stamp runs after kotel's hook, on the span kotel has just started.
	hooks := append(kotel.NewKotel(kotel.WithTracer(svc.kotel)).Hooks(), schemaStamp{s})
	clientOpts := []kgo.Opt{kgo.SeedBrokers(s.cluster.Brokers()...), kgo.ClientID(name), kgo.WithHooks(hooks...)}
	if group != "" {
		clientOpts = append(clientOpts, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topics...),
			kgo.AutoCommitMarks(), kgo.AutoCommitInterval(time.Second))
	}
	var err error
	if svc.client, err = kgo.NewClient(clientOpts...); err != nil {
		return nil, fmt.Errorf("demo Kafka client of %s: %w", name, err)
	}
	return svc, nil
}

// handler handles one record inside its process span.
type handler func(ctx context.Context, r *kgo.Record, span trace.Span)

// consume runs a service's consumer until ctx ends, the way a Kafka consumer is usually
// written: each partition's records are handled one at a time and in order, the partitions side
// by side, each record inside a process span, and marked for the next commit once handled.
// readWith is the schema the service decodes with; nil: the one each message names.
func (s *shop) consume(ctx context.Context, svc *service, readWith *schemaRef, handle handler) {
	type topicPartition struct {
		topic     string
		partition int32
	}
	queues := map[topicPartition]chan *kgo.Record{}
	var wg sync.WaitGroup
	defer func() {
		for _, q := range queues {
			close(q)
		}
		wg.Wait()
	}()
	for {
		fetches := svc.client.PollFetches(ctx)
		if ctx.Err() != nil {
			return
		}
		fetches.EachError(func(topic string, partition int32, err error) {
			s.opt.Logger.Debug("demo fetch", "service", svc.name, "topic", topic, "partition", partition, "error", err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			tp := topicPartition{r.Topic, r.Partition}
			q := queues[tp]
			if q == nil {
				// Deep enough for what a partition that falls behind has fetched ahead: were
				// its queue full, the others would wait for it here.
				q = make(chan *kgo.Record, 4096)
				queues[tp] = q
				wg.Go(func() {
					for r := range q {
						if ctx.Err() != nil {
							continue // stopping: what is left is for the next run to read
						}
						pctx, span := s.processSpan(svc, r, readWith)
						handle(pctx, r, span)
						span.End()
						svc.client.MarkCommitRecords(r)
					}
				})
			}
			select {
			case q <- r:
			case <-ctx.Done():
			}
		})
	}
}

// processSpan starts the process span of a record the way kotel's documentation shows
// (Tracer.WithProcessSpan: a child of the receive span its hook started), then adds what
// eventlens needs and kotel does not say:
//   - the process span's parent is kotel's receive span, not the producer's, so the span links
//     the producer's span (from the record's traceparent), as the current conventions ask, and
//     eventlens pairs the two for the end-to-end delay;
//   - the schema it decodes with (eventlens' messaging.message.schema.id and .version).
func (s *shop) processSpan(svc *service, r *kgo.Record, readWith *schemaRef) (context.Context, trace.Span) {
	ctx, span := svc.kotel.WithProcessSpan(r)
	producer := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), kotel.NewRecordCarrier(r)))
	if producer.IsValid() {
		span.AddLink(trace.Link{SpanContext: producer})
	}
	schema := s.writtenWith(r.Value)
	if readWith != nil {
		schema = *readWith
	}
	span.SetAttributes(schema.attrs()...)
	return ctx, span
}

// produce sends a record to topic, keyed by order id, its value body in the Confluent wire
// format with the id of the schema the topic's messages are written with now (index: the
// Protobuf message indexes, nil for other formats). The record is not tied to ctx's end, so a
// shop that stops sends what it has produced.
func (s *shop) produce(ctx context.Context, svc *service, topic string, orderID int64, index []int, body []byte) {
	s.send(ctx, svc, &kgo.Record{Topic: topic, Key: []byte(strconv.FormatInt(orderID, 10)), Value: frame(s.schema(topic), index, body)})
}

// send produces r; kotel's hook starts its publish span and ends it when the broker answers.
func (s *shop) send(ctx context.Context, svc *service, r *kgo.Record) {
	svc.client.Produce(context.WithoutCancel(ctx), r, func(r *kgo.Record, err error) {
		if err != nil {
			s.opt.Logger.Debug("demo produce", "service", svc.name, "topic", r.Topic, "error", err)
		}
	})
}

// stop flushes what the service produced and closes its client, leaving its group.
func (svc *service) stop(ctx context.Context) error {
	err := svc.client.Flush(ctx)
	svc.client.Close()
	if err != nil {
		return fmt.Errorf("demo %s: flush: %w", svc.name, err)
	}
	return nil
}

// confluent is the Confluent wire format's header: magic byte 0, the schema id as 4 bytes big
// endian, then (Protobuf only) the message indexes.
var confluent sr.ConfluentHeader

// frame puts body in the Confluent wire format with the schema ref's id; without a schema (the
// registry did not take it) the body goes alone, as a producer without a serializer sends it.
func frame(ref schemaRef, index []int, body []byte) []byte {
	if ref.ID == 0 {
		return body
	}
	b, _ := confluent.AppendEncode(make([]byte, 0, 6+len(body)), ref.ID, index) // never fails
	return append(b, body...)
}

// writtenWith is the schema a record value names in its Confluent header, as a deserializer
// reads it (the version from what the shop registered); the zero schema when the value has no
// header.
func (s *shop) writtenWith(value []byte) schemaRef {
	id, _, err := confluent.DecodeID(value)
	if err != nil {
		return schemaRef{}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if ref, ok := s.versions[id]; ok {
		return ref
	}
	return schemaRef{ID: id}
}

// schemaStamp names on each publish span the schema its record was written with, read from
// the record's Confluent header, as an application's serializer would tag its span. It runs
// after kotel's hook has started the span and put it in the record's context.
type schemaStamp struct{ s *shop }

var _ kgo.HookProduceRecordBuffered = schemaStamp{}

func (h schemaStamp) OnProduceRecordBuffered(r *kgo.Record) {
	trace.SpanFromContext(r.Context).SetAttributes(h.s.writtenWith(r.Value).attrs()...)
}
