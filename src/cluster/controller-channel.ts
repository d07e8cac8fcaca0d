/**
 * A broker's line to the controller, for the requests only the controller may decide (topic
 * creation, partition growth, topic deletion): Kafka's forwarding of admin requests (KIP-590),
 * without the envelope, since requests carry no principal yet.
 *
 * It finds the controller in the cluster state, keeps one connection to it, and retries a request
 * that met no controller (none elected, the connection lost, or NOT_CONTROLLER because the role
 * moved) until the controller answers or `timeoutMs` passes; then the caller answers its client
 * REQUEST_TIMED_OUT, which clients retry.
 */
import { BrokerConnection } from '../client/connection.js';
import type { ApiKey, RequestBodies, ResponseBodies } from '../protocol/generated/api-table.js';
import type { Logger } from '../util/logger.js';
import type { ClusterState } from './cluster-state.js';

/** Thrown when no controller answered within the channel's time. */
export class NoControllerError extends Error {
  override readonly name = 'NoControllerError';
}

export interface ControllerChannelOptions {
  state: ClusterState;
  nodeId: number;
  logger: Logger;
  /** How long a forwarded request may take in all, retries included. Default 30000. */
  timeoutMs?: number;
  /** Pause between attempts. Default 200. */
  retryBackoffMs?: number;
}

/** Whether a forwarded response says the broker it reached is no longer the controller. */
export type NotControllerCheck<K extends ApiKey> = (body: ResponseBodies[K]) => boolean;

export class ControllerChannel {
  private connection: { nodeId: number; address: string; conn: Promise<BrokerConnection> } | undefined;
  private closed = false;

  constructor(private readonly options: ControllerChannelOptions) {}

  /**
   * Sends a request to the controller and resolves its answer. Retries while there is no
   * controller, the connection fails, or `notController(body)` says the role moved.
   */
  async forward<K extends ApiKey>(apiKey: K, build: (version: number) => RequestBodies[K], notController: NotControllerCheck<K>): Promise<ResponseBodies[K]> {
    const { state, logger } = this.options;
    const deadline = Date.now() + (this.options.timeoutMs ?? 30_000);
    let lastError: unknown;
    while (!this.closed && Date.now() < deadline) {
      const controller = state.controller();
      const broker = controller ? state.broker(controller.nodeId) : undefined;
      if (controller && broker && controller.nodeId !== this.options.nodeId) {
        try {
          const conn = await this.connectionTo(broker.nodeId, `${broker.host}:${broker.port}`);
          const { body } = await conn.request(apiKey, build, { timeoutMs: Math.max(1, deadline - Date.now()) });
          if (!notController(body)) return body;
          lastError = new Error(`broker ${broker.nodeId} is no longer the controller`);
        } catch (err) {
          lastError = err;
          this.drop();
        }
      } else {
        lastError = new Error(controller ? `the controller, broker ${controller.nodeId}, is not registered` : 'no controller is elected');
      }
      logger.debug({ err: lastError }, 'cluster: forwarding to the controller; retrying');
      await new Promise((resolve) => setTimeout(resolve, this.options.retryBackoffMs ?? 200).unref());
    }
    throw new NoControllerError(`no controller answered: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
  }

  close(): void {
    this.closed = true;
    this.drop();
  }

  private connectionTo(nodeId: number, address: string): Promise<BrokerConnection> {
    if (this.connection?.nodeId === nodeId && this.connection.address === address) return this.connection.conn;
    this.drop();
    const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
    const conn = BrokerConnection.connect({ host, port, clientId: `gregor-broker-${this.options.nodeId}` });
    this.connection = { nodeId, address, conn };
    conn.catch(() => undefined);
    return conn;
  }

  private drop(): void {
    const current = this.connection;
    this.connection = undefined;
    current?.conn.then((c) => { c.close(); }, () => undefined);
  }
}
