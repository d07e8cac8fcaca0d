/**
 * An etcd watch on a key or prefix that delivers every change from a start revision exactly once,
 * across reconnections. etcd3's watcher reconnects by itself but resumes from the revision in the
 * last response header, which can skip changes that were pending when the stream broke; this one
 * resumes from the revision after the last change it delivered and drops anything older that a
 * resumed stream repeats. When etcd cannot resume (the history was compacted, or the watch was
 * cancelled) it calls onReset once and stops: the owner reads the current state again.
 */
import type { Etcd3, IEvent, Watcher } from 'etcd3';
import type { Logger } from '../util/logger.js';

export interface ResumableWatchHandlers {
  /** The changes of one or more revisions, in revision order. */
  onEvents(events: IEvent[]): void;
  onReset(reason: Error): void;
}

export class EtcdResumableWatch {
  private next: bigint;
  private readonly watcher: Watcher;
  private stopped = false;

  constructor(client: Etcd3, key: string, prefix: boolean, fromRevision: bigint, log: Logger, handlers: ResumableWatchHandlers) {
    this.next = fromRevision;
    const builder = client.watch().withPreviousKV().startRevision(fromRevision.toString());
    this.watcher = (prefix ? builder.prefix(key) : builder.key(key)).watcher();
    this.watcher.on('connecting', () => {
      // Read by the manager right after this event to (re)create the server-side watch.
      this.watcher.request.start_revision = this.next.toString();
    });
    this.watcher.on('data', (res) => {
      if (this.stopped) return;
      const fresh = res.events.filter((ev) => BigInt(ev.kv.mod_revision) >= this.next);
      if (fresh.length === 0) return;
      const last = fresh.at(-1);
      if (last !== undefined) this.next = BigInt(last.kv.mod_revision) + 1n;
      try {
        handlers.onEvents(fresh);
      } catch (e) {
        log.error({ err: e }, 'etcd watch listener failed');
      }
    });
    this.watcher.on('disconnected', (err) => {
      log.debug({ err: err.message, key }, 'etcd watch disconnected; resuming');
    });
    this.watcher.on('error', (err) => {
      if (this.stopped) return;
      this.stop();
      log.warn({ err: err.message, key }, 'etcd watch cancelled; reading the current state again');
      handlers.onReset(err);
    });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.watcher.cancel().catch(() => undefined);
  }
}
