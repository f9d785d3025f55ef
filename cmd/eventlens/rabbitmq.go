package main

import (
	"log/slog"
	"time"

	"github.com/eventlens/eventlens/rabbitmq"
)

// rabbitmqFlags configure the RabbitMQ source: brokers whose management API eventlens polls for
// queues, bindings and dead letters.
type rabbitmqFlags struct {
	RabbitMQManagementURLs []string      `name:"rabbitmq-management-url" help:"RabbitMQ management API to poll, http://user:password@host:15672 (a user with the monitoring tag sees every vhost); repeat the flag or separate URLs with commas for several brokers. Prefer the environment variable to the flag." env:"EVENTLENS_RABBITMQ_MANAGEMENT_URL"`
	RabbitMQPollInterval   time.Duration `name:"rabbitmq-poll-interval" help:"How often each RabbitMQ broker is polled." default:"30s" env:"EVENTLENS_RABBITMQ_POLL_INTERVAL"`
	RabbitMQTimeout        time.Duration `name:"rabbitmq-timeout" help:"How long one poll of one RabbitMQ broker may take before the broker counts as unreachable (at most the poll interval)." default:"10s" env:"EVENTLENS_RABBITMQ_TIMEOUT"`
}

// monitor checks the flags and returns the monitor to Run, or nil when no broker is configured.
func (f rabbitmqFlags) monitor(log *slog.Logger) (*rabbitmq.Monitor, error) {
	if len(f.RabbitMQManagementURLs) == 0 {
		return nil, nil
	}
	return rabbitmq.New(rabbitmq.Config{URLs: f.RabbitMQManagementURLs, PollInterval: f.RabbitMQPollInterval,
		Timeout: f.RabbitMQTimeout, Logger: log})
}
