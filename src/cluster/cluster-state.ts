/**
 * What this broker last saw of the cluster store: live brokers, the controller, topics and every
 * partition's state. It is fed only by the store's watch (snapshot, then changes in order), so it is
 * always some past state of the store; the cluster view, the cluster-mode metadata store and the
 * broker's replica roles all read it, and react to its changes through `onChange`.
 */
import type { PartitionState } from '../metadata/partition-state.js';
import type { BrokerRegistration, ClusterEvent, ControllerInfo, TopicRecord } from './cluster-store.js';

export type ClusterStateListener = (event: ClusterEvent) => void;

interface Waiter {
  ready: () => boolean;
  resolve: () => void;
}

export class ClusterState {
  private brokersById = new Map<number, BrokerRegistration>();
  private controllerInfo: ControllerInfo | null = null;
  private readonly topicsByName = new Map<string, TopicRecord>();
  private readonly states = new Map<string, Map<number, PartitionState>>();
  private readonly listeners = new Set<ClusterStateListener>();
  private readonly waiters = new Set<Waiter>();

  /** Applies one event of the store's watch, then tells the listeners and wakes the waiters. */
  apply(event: ClusterEvent): void {
    switch (event.kind) {
      case 'brokers':
        this.brokersById = new Map(event.brokers.map((b) => [b.nodeId, b]));
        break;
      case 'controller':
        this.controllerInfo = event.controller;
        break;
      case 'topic':
        this.topicsByName.set(event.topic.name, event.topic);
        break;
      case 'topic-deleted':
        this.topicsByName.delete(event.name);
        this.states.delete(event.name);
        break;
      case 'partition': {
        let byPartition = this.states.get(event.topic);
        if (!byPartition) {
          byPartition = new Map<number, PartitionState>();
          this.states.set(event.topic, byPartition);
        }
        byPartition.set(event.partition, event.state);
        break;
      }
    }
    for (const listener of this.listeners) listener(event);
    for (const w of [...this.waiters]) {
      if (w.ready()) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  onChange(listener: ClusterStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves true once `ready()` holds (at once if it already does), or false after `timeoutMs`;
   * either way the wait is forgotten, so waits that time out do not pile up.
   */
  until(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const waiter: Waiter = {
        ready,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.add(waiter);
    });
  }

  brokers(): BrokerRegistration[] {
    return [...this.brokersById.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  broker(nodeId: number): BrokerRegistration | undefined {
    return this.brokersById.get(nodeId);
  }

  isAlive(nodeId: number): boolean {
    return this.brokersById.has(nodeId);
  }

  controller(): ControllerInfo | null {
    return this.controllerInfo;
  }

  topic(name: string): TopicRecord | undefined {
    return this.topicsByName.get(name);
  }

  topics(): TopicRecord[] {
    return [...this.topicsByName.values()];
  }

  partitionState(topic: string, partition: number): PartitionState | undefined {
    return this.states.get(topic)?.get(partition);
  }
}
