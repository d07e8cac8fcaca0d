/**
 * What handlers reach through their context: the broker's domain services, as interfaces.
 * Filled in by broker.ts; tests can assemble their own.
 */
import type { Logger } from '../util/logger.js';
import type { ApiVersionRange } from './dispatcher.js';

export interface BrokerServices {
  readonly logger: Logger;
  /** What ApiVersions advertises: the registered handlers' ranges. */
  readonly apiVersions: readonly ApiVersionRange[];
}
