/**
 * Tells waiting readers that a partition grew: the produce path calls notify() after each append
 * (and DeleteRecords/truncation after they move offsets); long-polling fetches subscribe per
 * partition and are woken at once instead of polling. An append says how many bytes it added, so a
 * fetch waiting for fetch.min.bytes reads again only once enough may be there (Kafka's DelayedFetch
 * likewise counts bytes from offset positions before reading); anything else that moved offsets
 * says null, and every waiter reads again.
 */
export type AppendListener = (topic: string, partition: number, bytes: number | null) => void;

export class AppendEvents {
  private readonly listeners = new Map<string, Set<AppendListener>>();

  private static key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  /** Calls `listener` after every append to the partition until the returned function is called. */
  subscribe(topic: string, partition: number, listener: AppendListener): () => void {
    const key = AppendEvents.key(topic, partition);
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(key);
    };
  }

  notify(topic: string, partition: number, bytes: number | null = null): void {
    const set = this.listeners.get(AppendEvents.key(topic, partition));
    if (!set) return;
    for (const listener of [...set]) listener(topic, partition, bytes);
  }
}
