/**
 * Listeners: the parsers of listeners and listener.security.protocol.map, and the --port/--host
 * shorthands, down to what a client is told by a broker started with them.
 */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { listenerShorthandFlags, parseListenerSecurityProtocolMap, parseListeners } from '../../src/config/listeners.js';
import { Broker } from '../../src/broker.js';

// import.meta.dirname arrived in Node 20.11; the package runs on any Node 20.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
const fixtures = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'fixtures');

describe('parsers', () => {
  it('exposes the listener parsers', () => {
    expect(parseListenerSecurityProtocolMap(' a : ssl , B:PLAINTEXT ')).toEqual({ A: 'SSL', B: 'PLAINTEXT' });
    expect(parseListeners('listeners', 'plaintext://h:1', { PLAINTEXT: 'PLAINTEXT' })).toEqual([{ name: 'PLAINTEXT', host: 'h', port: 1, securityProtocol: 'PLAINTEXT' }]);
  });
});

describe('the --port/--host shorthands', () => {
  const kraft = (): string => join(fixtures, 'kraft-server.properties');

  it('move only the client listener, and its port in a configured advertised.listeners', async () => {
    const r = await loadBrokerConfig({ configFile: kraft() });
    expect(listenerShorthandFlags(r, undefined, 9999)).toEqual({
      listeners: 'PLAINTEXT://:9999,CONTROLLER://:9093',
      'advertised.listeners': 'PLAINTEXT://localhost:9999,CONTROLLER://localhost:9093',
    });
    expect(listenerShorthandFlags(await loadBrokerConfig({}), '::1', undefined)).toEqual({ listeners: 'PLAINTEXT://[::1]:9092' });
  });

  it('a broker started on a free port from a server.properties with advertised.listeners tells clients that port', async () => {
    const broker = await Broker.start({ configFile: kraft(), port: 0, storage: 'memory' });
    try {
      expect(broker.port).toBeGreaterThan(0);
      expect(broker.bootstrap).toBe(`localhost:${broker.port}`);
    } finally {
      await broker.stop();
    }
  });
});
