#!/bin/bash
# Runs eventlens serve under /usr/bin/time and $PROCS telemetrygen processes against it for 60 s.
# Usage (from the repository root): go build -o eventlens ./cmd/eventlens && RATE=10000 PROCS=6 WORKERS=2 bash docs/telemetrygen-bench.sh
set -u
EVENTLENS=${EVENTLENS:-$(pwd)/eventlens}
export BENCH_DIR=${BENCH_DIR:-/tmp/tgbench}
mkdir -p "$BENCH_DIR"
cd "$BENCH_DIR"
rm -f eventlens.db*
/usr/bin/time -v $EVENTLENS serve --addr 127.0.0.1:18080 --otlp-grpc-addr 127.0.0.1:14317 --db ${BENCH_DIR:-/tmp/tgbench}/eventlens.db --log-level warn 2> serve.stderr &
SERVE=$!
sleep 2
for i in $(seq 1 ${PROCS:-4}); do
~/go/bin/telemetrygen traces --otlp-endpoint 127.0.0.1:18080 --otlp-http --otlp-insecure --rate ${RATE:-5000} --workers ${WORKERS:-1} --duration 60s \
  --child-spans 2 --batch-size 1000 --service "bench-$i" \
  --telemetry-attributes 'messaging.system="kafka"' --telemetry-attributes 'messaging.operation.type="send"' \
  --telemetry-attributes "messaging.destination.name=\"bench-orders-$i\"" --telemetry-attributes 'server.address="kafka-1"' \
  > telemetrygen-$i.log 2>&1 &
done
wait $(jobs -p | grep -v "^$SERVE\$")
curl -s 127.0.0.1:18080/metrics > metrics.txt
curl -s "127.0.0.1:18080/api/flows?since=5m" > flows.json
kill -TERM $(pgrep -P $SERVE)
wait $SERVE
python3 - <<'PY'
import os, sqlite3, re
d = os.environ['BENCH_DIR']
c = sqlite3.connect(d + '/eventlens.db')
n, secs = c.execute('select sum(spans), (max(committed_ns)-min(committed_ns))/1e9 from span_batch').fetchone()
m = c.execute('select count(*) from span where channel is not null').fetchone()[0]
print(f"stored {n} spans in {secs:.1f}s = {n/secs:,.0f} spans/s; messaging {m} ({100*m/n:.0f}%)")
buckets = []
for line in open(d + '/metrics.txt'):
    mm = re.match(r'eventlens_http_request_duration_seconds_bucket\{method="POST",route="/v1/traces",status="(\d+)",le="([^"]+)"\} (\d+)', line)
    if mm: buckets.append((mm.group(1), float(mm.group(2)), int(mm.group(3))))
by = {}
for st, le, cnt in buckets: by.setdefault(st, []).append((le, cnt))
for st, bs in by.items():
    total = bs[-1][1]
    p99 = next(le for le, cnt in bs if cnt >= 0.99*total)
    p50 = next(le for le, cnt in bs if cnt >= 0.5*total)
    print(f"status {st}: {total} requests, p50 <= {p50}s, p99 <= {p99}s")
PY
grep -E "Maximum resident|Percent of CPU" serve.stderr
