"""kafka-python driver for Gregor's compat suite.

Reads one JSON command on stdin, runs it with kafka-python the way an application would, and prints
one JSON result on stdout: {"ok": true, ...} or {"ok": false, "error": {...}}. Bytes travel as
base64. The client negotiates versions itself (api_version is not pinned), as applications do.

Commands (field "op"):
  capabilities                      client version and the codecs this installation can use
  metadata     topics               brokers, cluster id, controller, topics with partitions and leaders
  create_topic name partitions configs
  delete_topic name
  produce      topic messages codec acks max_request_size
  consume      topic count timeout_ms [group]   assign() from the beginning, or a group with commit
  list_offsets topic partitions spec            spec: "earliest", "latest" or {"timestamp": ms}
"""
import base64
import json
import sys
import time
import traceback

import kafka
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka import errors as Errors
from kafka import codec as kcodec


def b64(b):
    return None if b is None else base64.b64encode(b).decode('ascii')


def unb64(s):
    return None if s is None else base64.b64decode(s)


def error_of(exc, where='broker'):
    return {
        'code': getattr(exc, 'errno', None),
        'name': type(exc).__name__,
        'message': str(exc),
        'where': where,
    }


def capabilities(_cmd):
    return {
        'version': kafka.__version__,
        'codecs': {
            'none': True,
            'gzip': kcodec.has_gzip(),
            'snappy': kcodec.has_snappy(),
            'lz4': kcodec.has_lz4(),
            'zstd': kcodec.has_zstd(),
        },
    }


def admin(cmd):
    return KafkaAdminClient(bootstrap_servers=cmd['bootstrap'], client_id='gregor-compat-kafka-python',
                            request_timeout_ms=15000)


def metadata(cmd):
    a = admin(cmd)
    try:
        cluster = a.describe_cluster()
        topics = a.describe_topics(cmd.get('topics') or None)
        return {
            'brokers': [{'nodeId': b['node_id'], 'host': b['host'], 'port': b['port']} for b in cluster['brokers']],
            'clusterId': cluster.get('cluster_id'),
            'controllerId': cluster.get('controller_id'),
            'topics': [{
                'name': t['topic'],
                'error': None if t['error_code'] == 0 else Errors.for_code(t['error_code']).__name__,
                'partitions': [{'partition': p['partition'], 'leader': p['leader']} for p in t['partitions']],
            } for t in topics],
        }
    finally:
        a.close()


def check_topic_errors(response, field):
    for entry in getattr(response, field):
        name, code = entry[0], entry[1]
        if code != 0:
            err = Errors.for_code(code)
            return {'ok': False, 'error': {'code': code, 'name': err.__name__, 'message': f'{name}: {err.__name__}',
                                           'where': 'broker'}}
    return None


def create_topic(cmd):
    a = admin(cmd)
    try:
        response = a.create_topics([NewTopic(cmd['name'], cmd['partitions'], 1,
                                             topic_configs=cmd.get('configs') or {})])
        return check_topic_errors(response, 'topic_errors') or {}
    finally:
        a.close()


def delete_topic(cmd):
    a = admin(cmd)
    try:
        response = a.delete_topics([cmd['name']])
        return check_topic_errors(response, 'topic_error_codes') or {}
    finally:
        a.close()


def produce(cmd):
    codec = cmd.get('codec') or 'none'
    config = dict(
        bootstrap_servers=cmd['bootstrap'],
        client_id='gregor-compat-kafka-python',
        acks='all' if cmd.get('acks', -1) == -1 else cmd['acks'],
        compression_type=None if codec == 'none' else codec,
        linger_ms=5,
        # One request in flight keeps per-partition order even across retries.
        max_in_flight_requests_per_connection=1,
        retries=3,
        request_timeout_ms=15000,
    )
    if cmd.get('max_request_size'):
        config['max_request_size'] = cmd['max_request_size']
    producer = KafkaProducer(**config)
    futures = []
    try:
        for m in cmd['messages']:
            try:
                futures.append(producer.send(
                    cmd['topic'],
                    key=unb64(m.get('key')),
                    value=unb64(m.get('value')),
                    headers=[(h['key'], unb64(h['value'])) for h in m.get('headers', [])],
                    partition=m.get('partition'),
                    timestamp_ms=m.get('timestamp'),
                ))
            except Errors.KafkaError as e:
                return {'ok': False, 'error': error_of(e, 'local')}
        producer.flush(timeout=60)
        offsets = []
        for f in futures:
            try:
                md = f.get(timeout=30)
            except Errors.KafkaError as e:
                return {'ok': False, 'error': error_of(e, 'broker')}
            offsets.append({'partition': md.partition, 'offset': md.offset})
        return {'acked': len(offsets), 'offsets': offsets}
    finally:
        producer.close(timeout=10)


def message_out(msg):
    return {
        'partition': msg.partition,
        'offset': msg.offset,
        'timestamp': msg.timestamp,
        'key': b64(msg.key),
        'value': b64(msg.value),
        'headers': [{'key': k, 'value': b64(v if v is not None else b'')} for (k, v) in (msg.headers or [])],
    }


def consume(cmd):
    group = cmd.get('group')
    config = dict(
        bootstrap_servers=cmd['bootstrap'],
        client_id='gregor-compat-kafka-python',
        auto_offset_reset='earliest',
        enable_auto_commit=False,
        request_timeout_ms=30000,
        fetch_max_wait_ms=100,
    )
    if cmd.get('max_bytes'):
        config['max_partition_fetch_bytes'] = cmd['max_bytes']
    if group:
        config['group_id'] = group
        config['session_timeout_ms'] = 10000
        config['heartbeat_interval_ms'] = 1000
    consumer = KafkaConsumer(**config)
    out = []
    try:
        if group:
            consumer.subscribe([cmd['topic']])
        else:
            partitions = None
            deadline = time.time() + 10
            while not partitions and time.time() < deadline:
                partitions = consumer.partitions_for_topic(cmd['topic'])
                if not partitions:
                    time.sleep(0.1)
            if not partitions:
                return {'ok': False, 'error': {'code': 3, 'name': 'UnknownTopicOrPartitionError',
                                               'message': f"no partitions for {cmd['topic']}", 'where': 'broker'}}
            tps = [TopicPartition(cmd['topic'], p) for p in sorted(partitions)]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
        deadline = time.time() + cmd.get('timeout_ms', 60000) / 1000
        while len(out) < cmd['count'] and time.time() < deadline:
            batches = consumer.poll(timeout_ms=200, max_records=cmd['count'] - len(out))
            for records in batches.values():
                out.extend(message_out(r) for r in records)
        if group:
            consumer.commit()
        return {'messages': out}
    finally:
        consumer.close(autocommit=False)


def list_offsets(cmd):
    consumer = KafkaConsumer(bootstrap_servers=cmd['bootstrap'], client_id='gregor-compat-kafka-python',
                             enable_auto_commit=False, request_timeout_ms=30000)
    try:
        tps = [TopicPartition(cmd['topic'], p) for p in cmd['partitions']]
        spec = cmd['spec']
        if spec == 'earliest':
            res = consumer.beginning_offsets(tps)
            offsets = {tp.partition: off for tp, off in res.items()}
        elif spec == 'latest':
            res = consumer.end_offsets(tps)
            offsets = {tp.partition: off for tp, off in res.items()}
        else:
            res = consumer.offsets_for_times({tp: spec['timestamp'] for tp in tps})
            offsets = {tp.partition: (-1 if ot is None else ot.offset) for tp, ot in res.items()}
        return {'offsets': [{'partition': p, 'offset': o} for p, o in sorted(offsets.items())]}
    finally:
        consumer.close(autocommit=False)


OPS = {
    'capabilities': capabilities,
    'metadata': metadata,
    'create_topic': create_topic,
    'delete_topic': delete_topic,
    'produce': produce,
    'consume': consume,
    'list_offsets': list_offsets,
}


def main():
    cmd = json.load(sys.stdin)
    try:
        result = OPS[cmd['op']](cmd)
        if result.get('ok') is False:
            out = result
        else:
            out = {'ok': True, **result}
    except Errors.KafkaError as e:
        out = {'ok': False, 'error': error_of(e, 'unknown'), 'trace': traceback.format_exc()}
    except Exception as e:  # a driver or client bug: report it, do not hide it
        out = {'ok': False, 'error': {'code': None, 'name': type(e).__name__, 'message': str(e), 'where': 'unknown'},
               'trace': traceback.format_exc()}
    sys.stdout.write(json.dumps(out))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
