/**
 * Helpers for coordinator unit tests: a GroupCoordinator on a memory state log driven by a
 * ManualClock, consumer-protocol metadata, and a way to see whether a parked request was answered.
 */
import { GroupCoordinator, type GroupCoordinatorOptions } from '../../src/coordinator/group-coordinator.js';
import type { ConsumerGroupConfig, TopicInfo, TopicMetadataView } from '../../src/coordinator/consumer/consumer-group-manager.js';
import type { GroupConfig, JoinGroupParams } from '../../src/coordinator/group/group-manager.js';
import type { JoinGroupResult, SyncGroupResult } from '../../src/coordinator/group/member.js';
import type { CommitPartition } from '../../src/coordinator/offsets/offset-manager.js';
import { encodeConsumerProtocolAssignment, encodeConsumerProtocolSubscription } from '../../src/protocol/generated/records/consumer-protocol.js';
import { Writer } from '../../src/protocol/writer.js';
import { MemoryStateLogStore } from '../../src/storage/state-log.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';

export const T0 = 1_700_000_000_000;

export type TestConfig = GroupConfig & Partial<ConsumerGroupConfig>;

export function testConfig(overrides: Partial<TestConfig> = {}): TestConfig {
  return {
    groupMinSessionTimeoutMs: 6000,
    groupMaxSessionTimeoutMs: 1_800_000,
    groupInitialRebalanceDelayMs: 0,
    groupMaxSize: 1000,
    offsetMetadataMaxBytes: 4096,
    offsetsRetentionMs: 7 * 24 * 3600 * 1000,
    offsetsRetentionCheckIntervalMs: 600_000,
    ...overrides,
  };
}

export interface Fixture {
  clock: ManualClock;
  store: MemoryStateLogStore;
  config: TestConfig;
  topics: FakeTopics;
  coordinator: GroupCoordinator;
  /** Closes this coordinator and opens another on the same store: a restart. */
  restart(): Promise<GroupCoordinator>;
}

/** Topics for consumer groups to assign, without a metadata store. */
export class FakeTopics implements TopicMetadataView, NonNullable<GroupCoordinatorOptions['metadata']> {
  private readonly byName = new Map<string, TopicInfo>();
  private readonly deleted: ((topic: { name: string }) => void)[] = [];
  private next = 1;

  /** Adds a topic (or changes its partition count); its id is a fixed-looking uuid. */
  add(name: string, partitions: number): TopicInfo {
    const old = this.byName.get(name);
    const topicId = old?.topicId ?? `00000000-0000-0000-0000-${String(this.next++).padStart(12, '0')}`;
    const t = { name, topicId, partitions };
    this.byName.set(name, t);
    return t;
  }

  remove(name: string): void {
    this.byName.delete(name);
    for (const l of this.deleted) l({ name });
  }

  id(name: string): string {
    return this.byName.get(name)!.topicId;
  }

  topic(name: string): TopicInfo | undefined {
    return this.byName.get(name);
  }

  topicById(topicId: string): TopicInfo | undefined {
    for (const t of this.byName.values()) if (t.topicId === topicId) return t;
    return undefined;
  }

  topics(): Iterable<TopicInfo> {
    return this.byName.values();
  }

  onTopicDeleted(listener: (topic: { name: string }) => void): void {
    this.deleted.push(listener);
  }
}

export async function openFixture(overrides: Partial<TestConfig> = {}, store = new MemoryStateLogStore(), topics = new FakeTopics()): Promise<Fixture> {
  const clock = new ManualClock(T0);
  const config = testConfig(overrides);
  const holder = { config };
  const open = () => GroupCoordinator.open({ location: store, clock, logger: silentLogger, config: () => holder.config, metadata: topics });
  const coordinator = await open();
  const fixture: Fixture = {
    clock,
    store,
    topics,
    get config() {
      return holder.config;
    },
    set config(c: TestConfig) {
      holder.config = c;
    },
    coordinator,
    async restart() {
      await fixture.coordinator.close();
      fixture.coordinator = await open();
      return fixture.coordinator;
    },
  };
  return fixture;
}

/** Consumer-protocol subscription metadata (v0) for these topics. */
export function subscription(topics: string[], userData: string | null = null): Buffer {
  const w = new Writer(64, false);
  w.int16(0);
  encodeConsumerProtocolSubscription(w, 0, {
    topics,
    userData: userData === null ? null : Buffer.from(userData),
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
  });
  return w.toBuffer();
}

export function assignment(topic: string, partitions: number[]): Buffer {
  const w = new Writer(64, false);
  w.int16(0);
  encodeConsumerProtocolAssignment(w, 0, { assignedPartitions: [{ topic, partitions }], userData: null });
  return w.toBuffer();
}

export function joinParams(overrides: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    requireKnownMemberId: false,
    supportSkippingAssignment: false,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 30_000,
    sessionTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    reason: null,
    ...overrides,
  };
}

export interface Tracked<T> {
  done: boolean;
  value: T | undefined;
  promise: Promise<T>;
}

/** Wraps a promise so a test can check synchronously whether it has settled. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const t: Tracked<T> = { done: false, value: undefined, promise };
  void promise.then((v) => {
    t.done = true;
    t.value = v;
  });
  return t;
}

/** Lets pending promise work (state log appends and their continuations) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function settle<T>(t: Tracked<T>): Promise<T> {
  await flush();
  if (!t.done) throw new Error('the request is still parked');
  return t.value!;
}

export type Join = Tracked<JoinGroupResult>;
export type Sync = Tracked<SyncGroupResult>;

/** One partition of an offset commit, with no leader epoch, metadata or timestamp unless given. */
export function commitPart(topic: string, partition: number, offset: number, extra: Partial<CommitPartition> = {}): CommitPartition {
  return { topic, partition, offset: BigInt(offset), leaderEpoch: -1, metadata: null, commitTimestamp: -1, ...extra };
}

/** A classic group of one member, stable, assigned partition 0 of the first of `topics`. */
export async function stableMember(
  f: Fixture,
  { groupId = 'g', topics = ['t'], sessionTimeoutMs = 10_000, groupInstanceId = null }: { groupId?: string; topics?: string[]; sessionTimeoutMs?: number; groupInstanceId?: string | null } = {},
): Promise<JoinGroupResult> {
  const j = track(f.coordinator.joinGroup(joinParams({ groupId, groupInstanceId, sessionTimeoutMs, protocols: [{ name: 'range', metadata: subscription(topics) }] })));
  f.clock.advance(0);
  const r = await settle(j);
  await settle(
    track(
      f.coordinator.syncGroup({ groupId, generationId: r.generationId, memberId: r.memberId, groupInstanceId, protocolType: null, protocolName: null, assignments: [{ memberId: r.memberId, assignment: assignment(topics[0], [0]) }] }),
    ),
  );
  return r;
}
