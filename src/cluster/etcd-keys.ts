/**
 * Where the cluster store keeps each thing in etcd, and how a stored key-value reads back: the JSON
 * value plus what etcd itself records about the key (create revision as an epoch, mod revision as
 * a compare-and-swap version).
 */
import type { IKeyValue } from 'etcd3';
import type { PartitionState } from '../metadata/partition-state.js';
import type { BrokerRegistration, ControllerInfo, TopicRecord } from './cluster-store.js';

export class EtcdKeys {
  readonly root: string;
  readonly brokersPrefix: string;
  readonly controller: string;
  readonly topicsPrefix: string;
  readonly partitionsPrefix: string;
  readonly producerIds: string;

  constructor(clusterId: string) {
    this.root = `/gregor/${clusterId}/`;
    this.brokersPrefix = `${this.root}brokers/`;
    this.controller = `${this.root}controller`;
    this.topicsPrefix = `${this.root}topics/`;
    this.partitionsPrefix = `${this.root}partitions/`;
    this.producerIds = `${this.root}producer-ids`;
  }

  broker(nodeId: number): string {
    return `${this.brokersPrefix}${nodeId}`;
  }

  topic(name: string): string {
    return `${this.topicsPrefix}${name}`;
  }

  /** With the trailing slash, so topic "a" never covers topic "a.b"'s partitions. */
  partitionsOf(topic: string): string {
    return `${this.partitionsPrefix}${topic}/`;
  }

  partition(topic: string, partition: number): string {
    return `${this.partitionsOf(topic)}${partition}`;
  }

  /** What a key under the root names. */
  classify(key: string):
    | { kind: 'broker'; nodeId: number }
    | { kind: 'controller' }
    | { kind: 'topic'; name: string }
    | { kind: 'partition'; topic: string; partition: number }
    | { kind: 'other' } {
    if (key === this.controller) return { kind: 'controller' };
    if (key.startsWith(this.brokersPrefix)) {
      const nodeId = Number(key.slice(this.brokersPrefix.length));
      return Number.isInteger(nodeId) ? { kind: 'broker', nodeId } : { kind: 'other' };
    }
    if (key.startsWith(this.topicsPrefix)) return { kind: 'topic', name: key.slice(this.topicsPrefix.length) };
    if (key.startsWith(this.partitionsPrefix)) {
      const rest = key.slice(this.partitionsPrefix.length);
      const slash = rest.lastIndexOf('/');
      const partition = Number(rest.slice(slash + 1));
      if (slash > 0 && Number.isInteger(partition)) return { kind: 'partition', topic: rest.slice(0, slash), partition };
    }
    return { kind: 'other' };
  }
}

function json(kv: IKeyValue): Record<string, unknown> {
  const value: unknown = JSON.parse(kv.value.toString('utf8'));
  if (typeof value !== 'object' || value === null) throw new Error(`etcd key ${kv.key.toString('utf8')} does not hold a JSON object`);
  return value as Record<string, unknown>;
}

export function parseBroker(kv: IKeyValue): BrokerRegistration {
  const v = json(kv);
  return {
    nodeId: v.nodeId as number,
    host: v.host as string,
    port: v.port as number,
    rack: (v.rack ?? null) as string | null,
    epoch: BigInt(kv.create_revision),
  };
}

export function parseController(kv: IKeyValue): ControllerInfo {
  return { nodeId: json(kv).nodeId as number, epoch: BigInt(kv.create_revision) };
}

export function parseTopic(kv: IKeyValue): TopicRecord {
  const v = json(kv);
  return {
    name: v.name as string,
    topicId: v.topicId as string,
    assignment: v.assignment as number[][],
    configs: (v.configs ?? {}) as Record<string, string>,
  };
}

export function parsePartitionState(kv: IKeyValue): PartitionState {
  const v = json(kv);
  return {
    leader: v.leader as number,
    leaderEpoch: v.leaderEpoch as number,
    isr: v.isr as number[],
    replicas: v.replicas as number[],
    version: BigInt(kv.mod_revision),
  };
}
