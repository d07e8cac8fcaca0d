"""confluent-kafka (librdkafka) driver for Gregor's compat suite.

Reads one JSON command on stdin, runs it with confluent-kafka the way an application would, and
prints one JSON result on stdout: {"ok": true, ...} or {"ok": false, "error": {...}}. Bytes travel
as base64.

Commands (field "op"):
  capabilities                      client and librdkafka versions, builtin features
  metadata     topics               brokers, cluster id, controller, topics with partitions and leaders
  create_topic name partitions configs
  delete_topic name
  produce      topic messages codec acks idempotent max_message_bytes
  consume      topic count timeout_ms [group] [max_bytes]   assign() from the beginning, or subscribe
  list_offsets topic partitions spec            spec: "earliest", "latest" or {"timestamp": ms}
  txn_produce  topic transactional_id steps     one transactional producer: per step begin_transaction,
               produce the step's messages, then commit_transaction or abort_transaction
  txn_transform input output group transactional_id count prefix end
               consume-transform-produce: a consumer in the group (read_committed) reads count
               records, one transaction produces them transformed and sends the group's offsets
               (send_offsets_to_transaction), then commits or aborts; returns the offsets sent
  produce_stream topic partitions seconds value_bytes     steady acks=all load for the kill -9 test:
               prints one line per acknowledged message ("A partition offset index") as it is
               acknowledged, and "E index error" for a failed one; runs until killed or time is up
  idempotent_stream topic rate prefix [debug]   enable.idempotence=true, acks=all, unique values (prefix + index,
               also the key) at a steady rate until SIGTERM, then flushes: one line per delivery
               report as it arrives ("A partition offset value", "E value error fatal|-"), "X name
               fatal|- message" for an error callback, "DONE produced undelivered" at the end
"""
import base64
import json
import signal
import sys
import time
import traceback

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def b64(b):
    return None if b is None else base64.b64encode(b).decode('ascii')


def unb64(s):
    return None if s is None else base64.b64decode(s)


def kafka_error(err, where):
    """err: a confluent_kafka.KafkaError."""
    code = err.code()
    # Negative codes are librdkafka's own (local) errors; positive ones are Kafka's.
    return {
        'code': code if code > 0 else None,
        'name': err.name(),
        'message': err.str(),
        'where': where if code > 0 else 'local',
    }


def base_config(cmd):
    return {
        'bootstrap.servers': cmd['bootstrap'],
        'client.id': 'gregor-compat-confluent-kafka',
        'log_level': 3,
    }


def capabilities(_cmd):
    return {'version': confluent_kafka.version()[0], 'librdkafka': confluent_kafka.libversion()[0]}


def metadata(cmd):
    a = AdminClient(base_config(cmd))
    topics = cmd.get('topics') or []
    if topics:
        tmds = []
        md = None
        for t in topics:
            md = a.list_topics(topic=t, timeout=15)
            tmds.extend(md.topics.values())
    else:
        md = a.list_topics(timeout=15)
        tmds = list(md.topics.values())
    return {
        'brokers': [{'nodeId': b.id, 'host': b.host, 'port': b.port} for b in md.brokers.values()],
        'clusterId': md.cluster_id,
        'controllerId': md.controller_id,
        'topics': [{
            'name': t.topic,
            'error': None if t.error is None else t.error.name(),
            'partitions': [{'partition': p.id, 'leader': p.leader} for p in t.partitions.values()],
        } for t in tmds],
    }


def admin_result(futures):
    for _name, f in futures.items():
        try:
            f.result(timeout=30)
        except KafkaException as e:
            return {'ok': False, 'error': kafka_error(e.args[0], 'broker')}
    return {}


def create_topic(cmd):
    a = AdminClient(base_config(cmd))
    return admin_result(a.create_topics([NewTopic(cmd['name'], num_partitions=cmd['partitions'], replication_factor=1,
                                                  config=cmd.get('configs') or {})], operation_timeout=15))


def delete_topic(cmd):
    a = AdminClient(base_config(cmd))
    return admin_result(a.delete_topics([cmd['name']], operation_timeout=15))


def producer_config(cmd):
    conf = base_config(cmd)
    conf.update({
        'acks': 'all' if cmd.get('acks', -1) == -1 else str(cmd['acks']),
        'compression.type': cmd.get('codec') or 'none',
        'linger.ms': 5,
        'enable.idempotence': bool(cmd.get('idempotent')),
    })
    if not cmd.get('idempotent'):
        # Without idempotence, one request in flight keeps per-partition order across retries.
        conf['max.in.flight.requests.per.connection'] = 1
    if cmd.get('max_message_bytes'):
        conf['message.max.bytes'] = cmd['max_message_bytes']
    return conf


def produce(cmd):
    producer = Producer(producer_config(cmd))
    results = []
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(kafka_error(err, 'broker'))
        else:
            results.append({'partition': msg.partition(), 'offset': msg.offset()})

    for m in cmd['messages']:
        kwargs = dict(key=unb64(m.get('key')), value=unb64(m.get('value')),
                      headers=[(h['key'], unb64(h['value'])) for h in m.get('headers', [])],
                      on_delivery=on_delivery)
        if m.get('partition') is not None:
            kwargs['partition'] = m['partition']
        if m.get('timestamp') is not None:
            kwargs['timestamp'] = m['timestamp']
        while True:
            try:
                producer.produce(cmd['topic'], **kwargs)
                break
            except BufferError:
                producer.poll(0.05)
            except KafkaException as e:
                return {'ok': False, 'error': kafka_error(e.args[0], 'local')}
        producer.poll(0)
    remaining = producer.flush(60)
    if errors:
        return {'ok': False, 'error': errors[0], 'failed': len(errors), 'acked': len(results)}
    if remaining:
        return {'ok': False, 'error': {'code': None, 'name': 'FLUSH_TIMEOUT', 'where': 'local',
                                       'message': f'{remaining} messages still undelivered after 60 s'}}
    return {'acked': len(results), 'offsets': results}


def message_out(msg):
    ts_type, ts = msg.timestamp()
    return {
        'partition': msg.partition(),
        'offset': msg.offset(),
        'timestamp': ts,
        'key': b64(msg.key()),
        'value': b64(msg.value()),
        'headers': [{'key': k, 'value': b64(v if v is not None else b'')} for (k, v) in (msg.headers() or [])],
    }


def consume(cmd):
    group = cmd.get('group')
    conf = base_config(cmd)
    conf.update({
        # librdkafka wants a group.id for a KafkaConsumer even when it only assign()s.
        'group.id': group or 'gregor-compat-assign',
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
        'fetch.wait.max.ms': 100,
    })
    if group:
        conf['session.timeout.ms'] = 10000
    if cmd.get('isolation'):
        conf['isolation.level'] = cmd['isolation']
    if cmd.get('max_bytes'):
        conf['max.partition.fetch.bytes'] = cmd['max_bytes']
    consumer = Consumer(conf)
    out = []
    try:
        if group:
            consumer.subscribe([cmd['topic']])
        else:
            md = consumer.list_topics(topic=cmd['topic'], timeout=15)
            t = md.topics[cmd['topic']]
            if t.error is not None:
                return {'ok': False, 'error': kafka_error(t.error, 'broker')}
            consumer.assign([TopicPartition(cmd['topic'], p, confluent_kafka.OFFSET_BEGINNING) for p in sorted(t.partitions)])
        deadline = time.time() + cmd.get('timeout_ms', 60000) / 1000
        while len(out) < cmd['count'] and time.time() < deadline:
            msgs = consumer.consume(num_messages=min(500, cmd['count'] - len(out)), timeout=0.2)
            for msg in msgs:
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    return {'ok': False, 'error': kafka_error(msg.error(), 'broker'), 'consumed': len(out)}
                out.append(message_out(msg))
        if group and out:
            consumer.commit(asynchronous=False)
        return {'messages': out}
    finally:
        consumer.close()


def list_offsets(cmd):
    conf = base_config(cmd)
    conf.update({'group.id': 'gregor-compat-offsets', 'enable.auto.commit': False})
    consumer = Consumer(conf)
    try:
        spec = cmd['spec']
        out = []
        if spec in ('earliest', 'latest'):
            for p in cmd['partitions']:
                low, high = consumer.get_watermark_offsets(TopicPartition(cmd['topic'], p), timeout=15, cached=False)
                out.append({'partition': p, 'offset': low if spec == 'earliest' else high})
        else:
            res = consumer.offsets_for_times([TopicPartition(cmd['topic'], p, spec['timestamp']) for p in cmd['partitions']],
                                             timeout=15)
            for tp in res:
                if tp.error is not None:
                    return {'ok': False, 'error': kafka_error(tp.error, 'broker')}
                out.append({'partition': tp.partition, 'offset': tp.offset})
        return {'offsets': out}
    finally:
        consumer.close()


def transactional_producer(cmd):
    conf = base_config(cmd)
    conf.update({'transactional.id': cmd['transactional_id'], 'enable.idempotence': True, 'acks': 'all', 'linger.ms': 5})
    producer = Producer(conf)
    producer.init_transactions(30)
    return producer


def end_transaction(producer, end):
    if end == 'commit':
        producer.commit_transaction(30)
    else:
        # abort_transaction purges what is still queued; flushing first puts the records in the log,
        # where the abort marker then has something to abort.
        producer.flush(30)
        producer.abort_transaction(30)


def txn_produce(cmd):
    producer = transactional_producer(cmd)
    errors = []

    def on_delivery(err, _msg):
        if err is not None:
            errors.append(kafka_error(err, 'broker'))

    for step in cmd['steps']:
        producer.begin_transaction()
        for m in step['messages']:
            kwargs = dict(key=unb64(m.get('key')), value=unb64(m.get('value')),
                          headers=[(h['key'], unb64(h['value'])) for h in m.get('headers', [])], on_delivery=on_delivery)
            if m.get('partition') is not None:
                kwargs['partition'] = m['partition']
            producer.produce(cmd['topic'], **kwargs)
            producer.poll(0)
        end_transaction(producer, step['end'])
        if errors and step['end'] == 'commit':
            return {'ok': False, 'error': errors[0]}
    return {}


def txn_transform(cmd):
    conf = base_config(cmd)
    conf.update({
        'group.id': cmd['group'],
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
        'isolation.level': 'read_committed',
        'fetch.wait.max.ms': 100,
        'session.timeout.ms': 10000,
    })
    consumer = Consumer(conf)
    try:
        consumer.subscribe([cmd['input']])
        got = []
        deadline = time.time() + cmd.get('timeout_ms', 60000) / 1000
        while len(got) < cmd['count'] and time.time() < deadline:
            for msg in consumer.consume(num_messages=cmd['count'] - len(got), timeout=0.2):
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    return {'ok': False, 'error': kafka_error(msg.error(), 'broker')}
                got.append(msg)
        if len(got) < cmd['count']:
            return {'ok': False, 'error': {'code': None, 'name': 'CONSUME_TIMEOUT', 'where': 'local',
                                           'message': f'read {len(got)} of {cmd["count"]} input records'}}
        producer = transactional_producer(cmd)
        producer.begin_transaction()
        prefix = cmd['prefix'].encode('utf8')
        for msg in got:
            producer.produce(cmd['output'], key=msg.key(), value=prefix + (msg.value() or b''), partition=msg.partition())
            producer.poll(0)
        nxt = {}
        for msg in got:
            nxt[msg.partition()] = max(nxt.get(msg.partition(), 0), msg.offset() + 1)
        producer.send_offsets_to_transaction([TopicPartition(cmd['input'], p, o) for p, o in sorted(nxt.items())],
                                             consumer.consumer_group_metadata(), 30)
        end_transaction(producer, cmd['end'])
        return {'offsets': [{'partition': p, 'offset': o} for p, o in sorted(nxt.items())]}
    finally:
        consumer.close()


def produce_stream(cmd):
    """A steady acks=all load; every acknowledged message is printed the moment it is acknowledged."""
    conf = producer_config({**cmd, 'acks': -1})
    conf.update({'message.timeout.ms': 5000, 'linger.ms': 2, 'queue.buffering.max.messages': 20000})
    producer = Producer(conf)
    w = sys.stdout
    padding = b'x' * max(0, cmd.get('value_bytes', 100) - 24)

    def on_delivery(err, msg):
        idx = int(msg.key()[len(b'kill9-'):])
        if err is None:
            w.write(f'A {msg.partition()} {msg.offset()} {idx}\n')
        else:
            w.write(f'E {idx} {err.name()}\n')

    partitions = cmd['partitions']
    stop = time.time() + cmd.get('seconds', 30)
    i = 0
    rate = cmd.get('rate', 20000)  # messages per second, steady
    started = time.time()
    while time.time() < stop:
        due = int((time.time() - started) * rate)
        while i < due:
            key = b'kill9-%d' % i
            try:
                producer.produce(cmd['topic'], key=key, value=b'v%d|' % i + padding, partition=i % partitions,
                                 on_delivery=on_delivery)
                i += 1
            except BufferError:
                break
        producer.poll(0.005)
        w.flush()
    producer.flush(10)
    w.write(f'DONE {i}\n')
    w.flush()
    return None


def idempotent_stream(cmd):
    """An application's idempotent producer under a cluster's failovers: nothing but its configuration."""
    conf = base_config(cmd)
    conf.update({'acks': 'all', 'enable.idempotence': True, 'linger.ms': 5, 'log_level': 4})
    w = sys.stdout
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    def on_delivery(err, msg):
        value = msg.value().decode('ascii')
        if err is None:
            w.write(f'A {msg.partition()} {msg.offset()} {value}\n')
        else:
            w.write(f'E {value} {err.name()} {"fatal" if err.fatal() else "-"}\n')

    def on_error(err):
        w.write(f'X {err.name()} {"fatal" if err.fatal() else "-"} {err.str()}\n')

    conf['error_cb'] = on_error
    if cmd.get('debug'):
        conf['debug'] = cmd['debug']
    producer = Producer(conf)
    prefix = cmd.get('prefix', 'c')
    rate = cmd.get('rate', 200)
    started = time.time()
    i = 0
    while not stopping:
        due = int((time.time() - started) * rate)
        while i < due and not stopping:
            value = f'{prefix}{i}'.encode('ascii')
            try:
                producer.produce(cmd['topic'], key=value, value=value, on_delivery=on_delivery)
                i += 1
            except BufferError:
                break
            except KafkaException as e:
                # A fatal error (the idempotent producer's state is lost): the application must stop.
                w.write(f'X {e.args[0].name()} fatal {e.args[0].str()}\n')
                stopping.append(True)
        producer.poll(0.01)
        w.flush()
    undelivered = producer.flush(cmd.get('flush_seconds', 120))
    w.write(f'DONE {i} {undelivered}\n')
    w.flush()
    return None


OPS = {
    'capabilities': capabilities,
    'metadata': metadata,
    'create_topic': create_topic,
    'delete_topic': delete_topic,
    'produce': produce,
    'consume': consume,
    'list_offsets': list_offsets,
    'produce_stream': produce_stream,
    'idempotent_stream': idempotent_stream,
    'txn_produce': txn_produce,
    'txn_transform': txn_transform,
}


def main():
    cmd = json.load(sys.stdin)
    try:
        result = OPS[cmd['op']](cmd)
        if result is None:
            return
        out = result if result.get('ok') is False else {'ok': True, **result}
    except KafkaException as e:
        out = {'ok': False, 'error': kafka_error(e.args[0], 'unknown'), 'trace': traceback.format_exc()}
    except Exception as e:  # a driver or client bug: report it, do not hide it
        out = {'ok': False, 'error': {'code': None, 'name': type(e).__name__, 'message': str(e), 'where': 'unknown'},
               'trace': traceback.format_exc()}
    sys.stdout.write(json.dumps(out))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
