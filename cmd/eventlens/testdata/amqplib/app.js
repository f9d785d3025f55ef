// A Node service on RabbitMQ, traced the way Node services are: amqplib with
// @opentelemetry/instrumentation-amqplib under @opentelemetry/sdk-node, exporting OTLP
// protobuf over HTTP. cmd/eventlens/rabbitmq_e2e_test.go runs it in two roles:
//
//   node app.js publish EXCHANGE ROUTING_KEY COUNT   publish COUNT orders, every 5th invalid
//   node app.js consume QUEUE COUNT                  settle COUNT deliveries, then stop: ack the
//                                                    valid ones, nack the invalid ones without
//                                                    requeue (the queue dead-letters them)
//
// AMQP_URL names the broker; OTEL_SERVICE_NAME and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT are read
// by the SDK. Each settled delivery prints one line, "ack <message id>" or "nack <message id>".
'use strict';

const { NodeSDK } = require('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { AmqplibInstrumentation } = require('@opentelemetry/instrumentation-amqplib');

const sdk = new NodeSDK({
  traceExporter: new OTLPTraceExporter(),
  instrumentations: [new AmqplibInstrumentation()],
});
sdk.start();
// Loaded after start, so the instrumentation patches it.
const amqp = require('amqplib');

async function publish(exchange, routingKey, count) {
  const conn = await amqp.connect(process.env.AMQP_URL);
  const ch = await conn.createConfirmChannel();
  const service = process.env.OTEL_SERVICE_NAME;
  for (let i = 0; i < count; i++) {
    const order = { id: `${service}-${i}`, valid: i % 5 !== 4 };
    ch.publish(exchange, routingKey, Buffer.from(JSON.stringify(order)), {
      messageId: order.id,
      contentType: 'application/json',
      timestamp: Math.floor(Date.now() / 1000),
    });
  }
  await ch.waitForConfirms();
  await conn.close();
}

async function consume(queue, count) {
  const conn = await amqp.connect(process.env.AMQP_URL);
  const ch = await conn.createChannel();
  await ch.prefetch(1); // one delivery at a time, so cancelling before the last settle takes no more
  let settled = 0;
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const { consumerTag } = await ch.consume(queue, async (msg) => {
    const order = JSON.parse(msg.content.toString());
    settled++;
    if (settled === count) {
      await ch.cancel(consumerTag);
    }
    if (order.valid) {
      ch.ack(msg);
      console.log(`ack ${msg.properties.messageId}`);
    } else {
      ch.nack(msg, false, false);
      console.log(`nack ${msg.properties.messageId}`);
    }
    if (settled === count) {
      done();
    }
  });
  await finished;
  await ch.close();
  await conn.close();
}

async function main() {
  const [role, ...args] = process.argv.slice(2);
  if (role === 'publish' && args.length === 3) {
    await publish(args[0], args[1], Number(args[2]));
  } else if (role === 'consume' && args.length === 2) {
    await consume(args[0], Number(args[1]));
  } else {
    throw new Error('usage: node app.js publish EXCHANGE ROUTING_KEY COUNT | consume QUEUE COUNT');
  }
}

main()
  .then(() => sdk.shutdown()) // exports what is left
  .catch(async (err) => {
    console.error(err);
    await sdk.shutdown();
    process.exit(1);
  });
