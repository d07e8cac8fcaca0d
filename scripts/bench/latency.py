"""
End-to-end latency for broker.bench.ts, with librdkafka clients (python3-confluent-kafka):

    python3 scripts/bench/latency.py consume BOOTSTRAP TOPIC COUNT   # start first
    python3 scripts/bench/latency.py produce BOOTSTRAP TOPIC COUNT RATE

The producer sends COUNT messages at RATE messages/s (acks=all, linger.ms=0 so that the latency
measured is the broker's and not librdkafka's batching wait), each carrying its send time from
CLOCK_MONOTONIC (one clock for every process on the machine). The consumer (assigned to every
partition from offset 0, fetch.wait.max.ms left at librdkafka's 500: a broker that long-polls
answers as soon as data arrives) prints one JSON line with the latencies in microseconds when it
has seen COUNT messages, or after 30 s without a message.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

mode, bootstrap, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
now_us = lambda: time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000

if mode == 'produce':
    rate = float(sys.argv[5])
    p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'linger.ms': 0})
    pad = b'.' * 80
    t0 = time.monotonic()
    for i in range(count):
        due = t0 + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        p.produce(topic, b'%d ' % now_us() + pad)
        p.poll(0)
    p.flush(30)
    print(json.dumps({'sent': count, 'seconds': time.monotonic() - t0}), flush=True)
else:
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': 'gregor-bench-latency',
        'enable.auto.commit': False,
        'fetch.min.bytes': 1,
        # The librdkafka mock does not long-poll (it holds an empty fetch for the whole wait), so
        # the bench can shorten the wait to measure the clients' own floor against it.
        'fetch.wait.max.ms': int(os.environ.get('LATENCY_FETCH_WAIT_MS', '500')),
    })
    md = c.list_topics(topic, timeout=10)
    c.assign([TopicPartition(topic, p, 0) for p in md.topics[topic].partitions])
    print('ready', flush=True)
    lat = []
    last = time.monotonic()
    while len(lat) < count and time.monotonic() - last < 30:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        t = now_us()
        last = time.monotonic()
        lat.append(t - int(m.value().split(b' ', 1)[0]))
    c.close()
    print(json.dumps({'latenciesUs': lat}), flush=True)
