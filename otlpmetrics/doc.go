// Package otlpmetrics reads the OTLP metrics eventlens understands (the Collector's kafkametrics
// and rabbitmq receivers, and the messaging semantic-convention client metrics) onto the channels
// and consumers spans name, and keeps the latest point of each series in a table every replica
// shares; everything else is counted and dropped.
//
// A Store takes decoded exports (FromMetrics), caps the series each source may hold, writes
// each export in one transaction, and answers Snapshot, the view consumer health reads.
package otlpmetrics
