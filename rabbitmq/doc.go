// Package rabbitmq reads RabbitMQ brokers' management HTTP API: exchanges, queues (depth,
// consumers, rates), bindings and dead-letter settings, and works out which queues are the
// dead-letter queues of which. It also maps the names RabbitMQ instrumentations put on spans onto
// exchange and queue, so broker and traces describe one topology.
//
// A Monitor polls each broker on its own; a broker that is down, slow or refuses the credentials
// only changes that broker's State. The package knows nothing of HTTP serving or pages: callers
// take a Topology from Snapshot and join it with what spans show.
package rabbitmq
