/**
 * What can go wrong talking to a broker, as typed errors the tools turn into one clear line:
 * a Kafka error code returned by the broker (KafkaProtocolError, with Kafka's name and the broker's
 * message), a broker that cannot be reached (ConnectionError), a request without an answer in time
 * (RequestTimeoutError), and a broker too old or too new to share a version of an api with this
 * client (NoCommonVersionError).
 */
import { errorInfo } from '../protocol/generated/errors.js';

/** A non-zero error code in a response. `message` is the broker's message when it sent one. */
export class KafkaProtocolError extends Error {
  /** Kafka's name for the code, e.g. UNKNOWN_TOPIC_OR_PARTITION. */
  readonly errorName: string;
  readonly retriable: boolean;

  constructor(
    readonly code: number,
    brokerMessage?: string | null,
  ) {
    const info = errorInfo(code);
    super(brokerMessage || info?.message || `Kafka error code ${code}`);
    this.name = 'KafkaProtocolError';
    this.errorName = info?.name ?? `ERROR_${code}`;
    this.retriable = info?.retriable ?? false;
  }
}

/** A broker could not be reached, or the connection to it broke. */
export class ConnectionError extends Error {
  constructor(
    message: string,
    readonly address: string,
    /** The socket error code (ECONNREFUSED, ENOTFOUND, ...), when there was one. */
    readonly causeCode?: string,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/** A request that got no response within its timeout; the connection is closed behind it. */
export class RequestTimeoutError extends Error {
  constructor(
    readonly apiName: string,
    readonly address: string,
    readonly timeoutMs: number,
  ) {
    super(`${apiName} request to ${address} got no response within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** The broker's version range of an api does not overlap the versions this client speaks. */
export class NoCommonVersionError extends Error {
  constructor(
    readonly apiName: string,
    readonly clientRange: readonly [number, number],
    readonly brokerRange: readonly [number, number] | undefined,
  ) {
    super(
      brokerRange
        ? `the broker supports ${apiName} versions ${brokerRange[0]}-${brokerRange[1]}, this client ${clientRange[0]}-${clientRange[1]}`
        : `the broker does not support ${apiName}`,
    );
    this.name = 'NoCommonVersionError';
  }
}

/** True for errors worth retrying after a metadata refresh or a reconnect. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof KafkaProtocolError) return err.retriable;
  return err instanceof ConnectionError || err instanceof RequestTimeoutError;
}
