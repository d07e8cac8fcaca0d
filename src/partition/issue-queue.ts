/**
 * Issues a partition's appends in call order (produce requests, transaction markers). A task runs
 * synchronously when nothing is queued and its input is ready; otherwise it waits for its input and
 * for every earlier task to have issued. "Issued" means handed to the log, not written: the log
 * serializes the writes themselves, so a lone producer never waits for an earlier write to finish.
 */
export class IssueQueue {
  private tail: Promise<void> | null = null;
  private queued = 0;

  run<T, R>(ready: T | Promise<T>, issue: (value: T) => Promise<R>, onError: (err: unknown) => R): Promise<R> {
    if (this.queued === 0 && !(ready instanceof Promise)) return issue(ready);
    this.queued++;
    const previous = this.tail;
    let issued!: () => void;
    this.tail = new Promise<void>((resolve) => {
      issued = resolve;
    });
    return (async (): Promise<R> => {
      let value: T | undefined;
      let error: unknown;
      let ok = true;
      try {
        value = await ready;
      } catch (err) {
        ok = false;
        error = err;
      }
      if (previous) await previous;
      this.queued--;
      try {
        // Not awaited: `issued` marks the hand-off to the log, which the next request waits for, not its completion.
        // eslint-disable-next-line @typescript-eslint/return-await
        return ok ? issue(value as T) : Promise.resolve(onError(error));
      } finally {
        issued();
      }
    })();
  }
}
