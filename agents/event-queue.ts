/** A push queue read as an async iterable: the turn pushes events as they happen, the channel pulls them. */
export interface EventQueue<T> extends AsyncIterable<T> {
  push(value: T): void;
  close(): void;
}

export function createEventQueue<T>(): EventQueue<T> {
  const items: T[] = [];
  let closed = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  return {
    push(value) {
      if (closed) return;
      items.push(value);
      notify();
    },
    close() {
      closed = true;
      notify();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (items.length > 0) {
          yield items.shift() as T;
          continue;
        }
        if (closed) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}
