"""
The reference broker for broker.bench.ts: librdkafka's built-in in-memory mock cluster (one
broker, written in C, no disk), in a process of its own, so that kcat reaches it over loopback TCP
exactly as it reaches Gregor.

Why ctypes and not confluent_kafka's config: python3-confluent-kafka (1.7.0 here) starts the same
mock when a client is created with {'test.mock.num.brokers': 1}, but its API offers no way to
create a topic with a chosen partition count on it (the librdkafka 2.0.2 mock answers no
CreateTopics, and auto-creates topics with 4 partitions). So this script calls librdkafka's
public mock API (rdkafka_mock.h) in the very librdkafka.so.1 that python3-confluent-kafka links:
rd_kafka_mock_cluster_new() (what test.mock.num.brokers calls inside rd_kafka_new),
rd_kafka_mock_topic_create() and rd_kafka_mock_cluster_bootstraps(). The mock serves its
sockets from one thread of its own.

    python3 scripts/bench/mock-broker.py topic:partitions ...

prints "mock broker listening on HOST:PORT" and runs until stdin closes or SIGTERM.
"""
import ctypes
import signal
import sys

lib = ctypes.CDLL('librdkafka.so.1')
lib.rd_kafka_conf_new.restype = ctypes.c_void_p
lib.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
lib.rd_kafka_new.restype = ctypes.c_void_p
lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
lib.rd_kafka_mock_cluster_new.restype = ctypes.c_void_p
lib.rd_kafka_mock_cluster_new.argtypes = [ctypes.c_void_p, ctypes.c_int]
lib.rd_kafka_mock_cluster_bootstraps.restype = ctypes.c_char_p
lib.rd_kafka_mock_cluster_bootstraps.argtypes = [ctypes.c_void_p]
lib.rd_kafka_mock_topic_create.restype = ctypes.c_int
lib.rd_kafka_mock_topic_create.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]

errstr = ctypes.create_string_buffer(512)
conf = lib.rd_kafka_conf_new()
# The handle only owns the mock cluster; it never connects anywhere. Keep it quiet.
lib.rd_kafka_conf_set(conf, b'log_level', b'3', errstr, 512)
rk = lib.rd_kafka_new(0, conf, errstr, 512)
if not rk:
    sys.exit('rd_kafka_new: ' + errstr.value.decode())
mcluster = lib.rd_kafka_mock_cluster_new(rk, 1)
if not mcluster:
    sys.exit('rd_kafka_mock_cluster_new failed')
for spec in sys.argv[1:]:
    name, _, count = spec.partition(':')
    err = lib.rd_kafka_mock_topic_create(mcluster, name.encode(), int(count or '1'), 1)
    if err != 0:
        sys.exit(f'rd_kafka_mock_topic_create({name}): error {err}')
print('mock broker listening on ' + lib.rd_kafka_mock_cluster_bootstraps(mcluster).decode(), flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    sys.stdin.read()
except KeyboardInterrupt:
    pass
