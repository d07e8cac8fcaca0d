import { describe, expect, it } from '@jest/globals';
import { joinError, MemberMetadata, syncError } from '../../../src/coordinator/group/member.js';

const m = () =>
  new MemberMetadata('m', null, 'c', '/h', 1000, 1000, 'consumer', [
    { name: 'a', metadata: Buffer.from('1') },
    { name: 'b', metadata: Buffer.from('2') },
  ]);

describe('MemberMetadata', () => {
  it('matches the same protocols in the same order with the same bytes only', () => {
    expect(m().matches([{ name: 'a', metadata: Buffer.from('1') }, { name: 'b', metadata: Buffer.from('2') }])).toBe(true);
    expect(m().matches([{ name: 'b', metadata: Buffer.from('2') }, { name: 'a', metadata: Buffer.from('1') }])).toBe(false);
    expect(m().matches([{ name: 'a', metadata: Buffer.from('x') }, { name: 'b', metadata: Buffer.from('2') }])).toBe(false);
    expect(m().matches([{ name: 'a', metadata: Buffer.from('1') }])).toBe(false);
  });

  it('votes for its most preferred candidate and gives metadata per protocol', () => {
    expect(m().vote(new Set(['b', 'a']))).toBe('a');
    expect(m().vote(new Set(['b']))).toBe('b');
    expect(() => m().vote(new Set(['z']))).toThrow();
    expect(m().metadata('b').toString()).toBe('2');
  });

  it('error results carry Kafka\'s defaults', () => {
    expect(joinError('id', 25)).toEqual({ errorCode: 25, memberId: 'id', generationId: -1, protocolType: null, protocolName: null, leaderId: '', skipAssignment: false, members: [] });
    expect(syncError(27)).toMatchObject({ errorCode: 27, protocolType: null, protocolName: null });
  });
});
