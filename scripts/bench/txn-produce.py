"""
Transactional against idempotent produce for transactions.bench.ts, with librdkafka
(python3-confluent-kafka):

    python3 scripts/bench/txn-produce.py BOOTSTRAP TOPIC COUNT SIZE PER_TXN idempotent|transactional [TRANSACTIONAL_ID]

Produces COUNT records of SIZE bytes (no key: librdkafka's partitioner spreads them), acks=all
and idempotence in both modes. idempotent: one producer, every record queued as fast as librdkafka
takes it, then flush(): what an application without transactions reaches. transactional: the
same records in transactions of PER_TXN (begin_transaction, PER_TXN produce() calls,
commit_transaction, which flushes and waits for the commit), one after the other. Prints one
JSON line: {"ms": wall time from the first record to the last acknowledgement or commit, "acked": N}.
Start-up (init_transactions, the topic's metadata: one record produced, in a transaction when
transactional) happens before the clock starts, as an application's start-up.
"""
import json
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, count, size, per_txn, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
conf = {'bootstrap.servers': bootstrap, 'acks': 'all', 'enable.idempotence': True, 'linger.ms': 5, 'log_level': 3}
if mode == 'transactional':
    conf['transactional.id'] = sys.argv[7]
p = Producer(conf)
value = b'x' * size
acked = 0
failed = []


def on_delivery(err, _msg):
    global acked
    if err is None:
        acked += 1
    else:
        failed.append(err.str())


# Start-up before the clock: the producer id (and transactional id), and the topic's metadata,
# which librdkafka otherwise fetches on the first produce() after a delay of its own.
if mode == 'transactional':
    p.init_transactions(30)
    p.begin_transaction()
    p.produce(topic, value)
    p.commit_transaction(60)
else:
    p.produce(topic, value)
    p.flush(60)
t0 = time.monotonic()
if mode == 'transactional':
    for start in range(0, count, per_txn):
        p.begin_transaction()
        for _ in range(min(per_txn, count - start)):
            p.produce(topic, value, on_delivery=on_delivery)
            p.poll(0)
        p.commit_transaction(60)
else:
    for _ in range(count):
        while True:
            try:
                p.produce(topic, value, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.005)
        p.poll(0)
    p.flush(60)
ms = (time.monotonic() - t0) * 1000
if failed or acked != count:
    sys.stderr.write(f'{mode}: {acked} of {count} acknowledged; first failure: {failed[0] if failed else "none"}\n')
    sys.exit(1)
print(json.dumps({'ms': ms, 'acked': acked}))
