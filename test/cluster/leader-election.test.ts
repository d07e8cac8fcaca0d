import { describe, expect, it } from '@jest/globals';
import { controlledShutdownElection, offlineElection, preferredReplicaElection } from '../../src/cluster/leader-election.js';
import { NO_LEADER } from '../../src/metadata/partition-state.js';

const live = (...ids: number[]): Set<number> => new Set(ids);

describe('offline election', () => {
  it('picks the first live ISR member in assignment order and narrows the ISR to live replicas', () => {
    expect(offlineElection({ replicas: [1, 2, 3], isr: [3, 2, 1] }, live(2, 3), false)).toEqual({ leader: 2, isr: [3, 2], unclean: false });
  });

  it('passes over live replicas that are out of sync', () => {
    expect(offlineElection({ replicas: [1, 2, 3], isr: [1, 3] }, live(2, 3), false)).toEqual({ leader: 3, isr: [3], unclean: false });
  });

  it('finds no leader when no ISR member is live, and keeps the ISR', () => {
    expect(offlineElection({ replicas: [1, 2, 3], isr: [1] }, live(2, 3), false)).toEqual({ leader: NO_LEADER, isr: [1], unclean: false });
  });

  it('with unclean election allowed, takes the first live replica alone in the ISR', () => {
    expect(offlineElection({ replicas: [1, 2, 3], isr: [1] }, live(3, 2), true)).toEqual({ leader: 2, isr: [2], unclean: true });
  });

  it('prefers a clean leader even when unclean election is allowed', () => {
    expect(offlineElection({ replicas: [1, 2, 3], isr: [1, 3] }, live(2, 3), true)).toEqual({ leader: 3, isr: [3], unclean: false });
  });

  it('finds none when no replica at all is live, unclean or not', () => {
    expect(offlineElection({ replicas: [1, 2], isr: [1, 2] }, live(5), true)).toEqual({ leader: NO_LEADER, isr: [1, 2], unclean: false });
  });
});

describe('controlled shutdown election', () => {
  it('moves leadership to the first live ISR member that is not shutting down, and drops the shutting-down brokers from the ISR', () => {
    expect(controlledShutdownElection({ replicas: [1, 2, 3], isr: [1, 2, 3] }, live(1, 2, 3), live(1, 2))).toEqual({ leader: 3, isr: [3], unclean: false });
  });

  it('never elects an out-of-sync replica', () => {
    expect(controlledShutdownElection({ replicas: [1, 2, 3], isr: [1, 2] }, live(1, 3), live(1))).toEqual({ leader: NO_LEADER, isr: [1, 2], unclean: false });
  });
});

describe('preferred replica election', () => {
  it('elects the first replica when it is live and in sync', () => {
    expect(preferredReplicaElection({ replicas: [2, 1], isr: [1, 2] }, live(1, 2))).toEqual({ leader: 2, isr: [1, 2], unclean: false });
  });

  it('elects nobody when the preferred replica is out of sync or gone', () => {
    expect(preferredReplicaElection({ replicas: [2, 1], isr: [1] }, live(1, 2)).leader).toBe(NO_LEADER);
    expect(preferredReplicaElection({ replicas: [2, 1], isr: [1, 2] }, live(1)).leader).toBe(NO_LEADER);
  });
});
