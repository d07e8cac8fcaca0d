import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { duplicateResources, preprocessResource } from '../../src/server/config-resources.js';

const resource = (resourceType: number, resourceName: string, configs: { name: string; value: string | null; configOperation?: number }[] = []) => ({ resourceType, resourceName, configs });

describe('duplicateResources', () => {
  it('marks every occurrence of a (type, name) pair seen more than once', () => {
    expect([...duplicateResources([resource(2, 'a'), resource(4, 'a'), resource(2, 'a'), resource(2, 'b'), resource(2, 'a')])].sort()).toEqual([0, 2, 4]);
  });
});

describe('preprocessResource', () => {
  it('refuses duplicate keys and null values (DELETE may be null in the incremental form)', () => {
    expect(preprocessResource(resource(2, 't', [{ name: 'a', value: '1' }, { name: 'a', value: '2' }]), 1, true)).toEqual({
      errorCode: ErrorCode.InvalidRequest,
      errorMessage: 'Error due to duplicate config keys',
    });
    expect(preprocessResource(resource(2, 't', [{ name: 'a', value: null }, { name: 'b', value: null }]), 1, true)?.errorMessage).toBe('Null value not supported for : a, b');
    expect(preprocessResource(resource(2, 't', [{ name: 'a', value: null, configOperation: 1 }]), 1, false)).toBeNull();
    expect(preprocessResource(resource(2, 't', [{ name: 'a', value: null, configOperation: 0 }]), 1, false)?.errorCode).toBe(ErrorCode.InvalidRequest);
  });

  it('checks broker resource names against the node id', () => {
    expect(preprocessResource(resource(4, ''), 1, true)).toBeNull();
    expect(preprocessResource(resource(4, '1'), 1, true)).toBeNull();
    expect(preprocessResource(resource(4, '2'), 1, true)?.errorMessage).toBe('Unexpected broker id, expected 1, but received 2');
    expect(preprocessResource(resource(4, 'x'), 1, true)?.errorMessage).toBe('Node id must be an integer, but it is: x');
  });

  it('checks topic names', () => {
    expect(preprocessResource(resource(2, 'ok.topic'), 1, true)).toBeNull();
    expect(preprocessResource(resource(2, ''), 1, true)?.errorCode).toBe(ErrorCode.InvalidRequest);
    expect(preprocessResource(resource(2, 'a b'), 1, true)?.errorCode).toBe(ErrorCode.InvalidTopicException);
  });

  it('refuses resource types it does not serve', () => {
    expect(preprocessResource(resource(8, '1'), 1, true)?.errorMessage).toBe('Unknown resource type 8');
    expect(preprocessResource(resource(8, '1'), 1, false)?.errorMessage).toBe('Unsupported resource type: BROKER_LOGGER');
    expect(preprocessResource(resource(16, 'm'), 1, false)?.errorMessage).toBe('Unsupported resource type: CLIENT_METRICS');
    expect(preprocessResource(resource(32, 'g'), 1, false)?.errorMessage).toBe('Unsupported resource type: GROUP');
    expect(preprocessResource(resource(0, 'x'), 1, false)?.errorMessage).toBe('Unknown resource type 0');
  });
});
