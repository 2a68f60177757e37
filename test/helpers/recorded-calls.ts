/** What the local API stand-ins (fake-telegram.ts, fake-slack.ts) share: waiting for a recorded call. */

export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
  at: number;
}

/** Resolves with the first call of `method` matching `where` (polls every 5 ms), or throws listing the calls seen. */
export async function waitForCall<C extends RecordedCall>(
  calls: readonly C[],
  method: string,
  where: (call: C) => boolean = () => true,
  timeoutMs = 5000,
): Promise<C> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = calls.find((call) => call.method === method && where(call));
    if (found) return found;
    if (Date.now() > until)
      throw new Error(
        `no ${method} call within ${timeoutMs} ms; calls: ${calls.map((c) => c.method).join(', ')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
