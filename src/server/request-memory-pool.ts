/**
 * The memory budget for requests, shared by every connection (queued.max.request.bytes): the
 * bytes of frames being received and of frames whose handling has not finished.
 *
 * Kafka's SocketServer rule (SimpleMemoryPool, non-strict): a frame's whole size is reserved when
 * its size prefix has been read, and the reservation is granted whenever the pool is below its
 * capacity, even if the frame then takes it over. So a frame is never refused for being large (the
 * configuration keeps socket.request.max.bytes <= capacity), and the bytes held never exceed
 * capacity + one largest frame. A connection that is refused stops reading and waits its turn:
 * waiters are woken in arrival order as bytes are released and the pool drops below capacity.
 *
 * `force` accounts bytes that are already in memory (a frame that arrived whole in bytes read
 * before the budget filled): refusing them would free nothing, so they are served and counted.
 */
export interface MemoryWaiter {
  /** Called once, when the pool has room; the waiter then tries again. */
  onMemoryAvailable(): void;
}

export class RequestMemoryPool {
  private usedBytes = 0;
  private readonly waiters = new Set<MemoryWaiter>();

  /** @param capacity bytes; 0 or less for no limit (bytes are still counted). */
  constructor(readonly capacity: number) {}

  get used(): number {
    return this.usedBytes;
  }

  /** Connections waiting for room. */
  get waiting(): number {
    return this.waiters.size;
  }

  private get hasRoom(): boolean {
    return this.capacity <= 0 || this.usedBytes < this.capacity;
  }

  /** Reserves `bytes` if the pool is below capacity (however many that takes); false otherwise. */
  tryReserve(bytes: number): boolean {
    if (!this.hasRoom) return false;
    this.usedBytes += bytes;
    return true;
  }

  force(bytes: number): void {
    this.usedBytes += bytes;
  }

  release(bytes: number): void {
    if (bytes <= 0) return;
    this.usedBytes -= bytes;
    if (this.usedBytes < 0) throw new Error(`request memory released twice (${this.usedBytes} bytes in use)`);
    this.wake();
  }

  /** Queues a waiter until the pool has room (a waiter already queued keeps its place). */
  wait(waiter: MemoryWaiter): void {
    this.waiters.add(waiter);
  }

  cancel(waiter: MemoryWaiter): void {
    this.waiters.delete(waiter);
  }

  private waking = false;

  private wake(): void {
    // A woken waiter may release memory synchronously (closing): no nested wake loops.
    if (this.waking) return;
    this.waking = true;
    try {
      for (const w of this.waiters) {
        if (!this.hasRoom) break;
        this.waiters.delete(w);
        w.onMemoryAvailable();
      }
    } finally {
      this.waking = false;
    }
  }
}
