/**
 * Keeps a broker in the controller election for as long as it runs (Kafka's KafkaController
 * elect / onControllerResignation): campaigns through the store, runs a Controller while this
 * broker is elected, stops it when controllership is lost, and campaigns again.
 *
 * A controller that cannot start (the store unreachable) gives controllership up, so another
 * broker can take it, and this one campaigns again after a backoff.
 */
import { Controller, type ControllerOptions } from './controller.js';

export class ControllerElection {
  private closed = false;
  private current: Controller | undefined;
  private loop: Promise<void> | undefined;
  private lost: () => void = () => undefined;
  private readonly backoffMs: number;

  constructor(private readonly options: ControllerOptions) {
    this.backoffMs = options.retryBackoffMs ?? 1000;
  }

  /** Starts campaigning in the background. */
  start(): void {
    this.loop ??= this.run();
  }

  /** The controller while this broker is the active one; undefined otherwise. */
  get controller(): Controller | undefined {
    return this.current?.isActive ? this.current : undefined;
  }

  /**
   * Stops the controller if this broker runs it and gives controllership up. A campaign still
   * waiting ends when the store closes.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lost();
    const controller = this.current;
    this.current = undefined;
    if (controller) {
      await controller.stop();
      await this.options.store.resign().catch(() => undefined);
    }
  }

  private async run(): Promise<void> {
    const { store, nodeId, logger } = this.options;
    while (!this.closed) {
      const lost = new Promise<void>((resolve) => {
        this.lost = resolve;
      });
      try {
        await store.campaign(nodeId, () => {
          this.lost();
        });
      } catch (e) {
        if (this.isClosed()) return;
        logger.warn({ err: e }, 'controller election: campaign failed; trying again');
        await this.sleep();
        continue;
      }
      if (this.isClosed()) {
        await store.resign().catch(() => undefined);
        return;
      }
      const controller = new Controller(this.options);
      this.current = controller;
      try {
        await controller.start();
      } catch (e) {
        logger.warn({ err: e }, 'controller election: the controller could not start; giving controllership up');
        this.current = undefined;
        await controller.stop();
        await store.resign().catch(() => undefined);
        await this.sleep();
        continue;
      }
      await lost;
      if (this.current === controller) this.current = undefined;
      await controller.stop();
    }
  }

  /** Read through a method: close() may flip it while the loop awaits. */
  private isClosed(): boolean {
    return this.closed;
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => this.options.clock.setTimeout(resolve, this.backoffMs));
  }
}
