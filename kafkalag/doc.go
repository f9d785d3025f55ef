// Package kafkalag reads consumer-group lag from Kafka brokers: it polls committed and end
// offsets with franz-go's admin client, turns them into lag in messages and in time, and judges
// each group the way Burrow does (OK, WARN, ERR; per partition STOP, STALL, REWIND).
//
// A Monitor owns the pollers and the offset history; it keeps the samples in the store, so the
// history survives a restart and, on PostgreSQL, one replica polls while every replica reads.
package kafkalag
