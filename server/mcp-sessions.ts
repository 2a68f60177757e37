/** The table of live MCP sessions: a cap per principal (least recently used ended first), a global cap, and idle expiry. */

/** What the table needs of a session. */
export interface TrackedSession {
  id: string;
  principalId: string;
  /** When a request of it last began or ended (performance.now() ms; the table sets it). */
  lastSeen: number;
  /** Its requests still being answered (a tool call streaming its result); a busy session is never idle. */
  busy: number;
}

/** Why a session was ended by the table. */
export type EndReason = 'idle' | 'principal_cap' | 'shutdown';

/** The answer to `reserve`: a slot to open a session in, or how long to wait for one. */
export type Reservation =
  | { ok: true; release(): void }
  | { ok: false; retryAfterSeconds: number; maxSessions: number };

/** The table's limits and what to do with a session it ends. */
export interface SessionTableOptions<S> {
  ttlMs: number;
  maxSessions: number;
  maxPerPrincipal: number;
  /** Closes an ended session (already out of the table); errors are the caller's to swallow. */
  onEnd(session: S, why: EndReason): Promise<void>;
}

/** Throws RangeError unless `value` is a whole number from 1 up. */
function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a whole number from 1 up; got ${String(value)}`);
}

// performance.now(): monotonic (a clock step cannot expire every session at once) and finer than
// a millisecond, so back-to-back requests still order sessions by use.
const now = () => performance.now();

/**
 * Live sessions by id. Every lookup, reservation and sweep drops sessions idle for longer than
 * the TTL; a principal opening a session past its cap ends its own least recently used one, so
 * no principal can hold more than its share of the global cap.
 */
export class SessionTable<S extends TrackedSession> {
  private readonly sessions = new Map<string, S>();
  /** Initializes under way per principal, counted against both caps so concurrent ones cannot overshoot. */
  private readonly opening = new Map<string, number>();
  private openingTotal = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: SessionTableOptions<S>) {
    checkCount('ttlMs of the MCP sessions', options.ttlMs);
    checkCount('maxSessions of the MCP sessions', options.maxSessions);
    checkCount('maxSessionsPerPrincipal of the MCP sessions', options.maxPerPrincipal);
    this.sweeper = setInterval(
      () => this.sweep(),
      Math.max(50, Math.min(options.ttlMs / 2, 60_000)),
    );
    this.sweeper.unref();
  }

  /** Live sessions, of `principalId` alone when given. */
  count(principalId?: string): number {
    if (principalId === undefined) return this.sessions.size;
    let n = 0;
    for (const session of this.sessions.values()) if (session.principalId === principalId) n++;
    return n;
  }

  /** The live session `id`, or undefined (unknown, ended, or idle past the TTL: then ended now). */
  get(id: string): S | undefined {
    const session = this.sessions.get(id);
    if (session && this.idle(session, now())) {
      void this.end(session, 'idle');
      return undefined;
    }
    return session;
  }

  /** Records a use of `session` now (a request that is answered at once, or a listening stream). */
  touch(session: S): void {
    session.lastSeen = now();
  }

  /** Marks a request of `session` as begun; call the returned function once it is answered. */
  begin(session: S): () => void {
    session.busy++;
    session.lastSeen = now();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      session.busy--;
      session.lastSeen = now();
    };
  }

  /**
   * A slot for `principalId` to open a session in: its least recently used sessions are ended
   * first if it is at its cap; then the global cap must have room, else the answer says when the
   * first idle session expires.
   */
  async reserve(principalId: string): Promise<Reservation> {
    const at = now();
    this.sweep(at);
    const closing: Promise<void>[] = [];
    const own = this.byAge(principalId);
    const opening = this.opening.get(principalId) ?? 0;
    while (own.length > 0 && own.length + opening + 1 > this.options.maxPerPrincipal)
      closing.push(this.end(own.shift() as S, 'principal_cap'));
    if (this.sessions.size + this.openingTotal >= this.options.maxSessions) {
      await Promise.all(closing);
      return {
        ok: false,
        retryAfterSeconds: this.secondsToFirstExpiry(at),
        maxSessions: this.options.maxSessions,
      };
    }
    this.opening.set(principalId, opening + 1);
    this.openingTotal++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.openingTotal--;
      const left = (this.opening.get(principalId) ?? 1) - 1;
      if (left > 0) this.opening.set(principalId, left);
      else this.opening.delete(principalId);
    };
    await Promise.all(closing);
    return { ok: true, release };
  }

  /** Adds an initialized session; concurrent initializes past the principal's cap end its oldest. */
  add(session: S): void {
    session.lastSeen = now();
    this.sessions.set(session.id, session);
    const own = this.byAge(session.principalId).filter((other) => other !== session);
    while (own.length + 1 > this.options.maxPerPrincipal)
      void this.end(own.shift() as S, 'principal_cap');
  }

  /** Forgets `session` (it ended by itself: DELETE, or its transport closed). */
  remove(session: S): void {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
  }

  /** Ends every session and stops the sweep. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((session) => this.end(session, 'shutdown')));
  }

  private idle(session: S, at: number): boolean {
    return session.busy === 0 && at - session.lastSeen > this.options.ttlMs;
  }

  private sweep(at = now()): void {
    for (const session of [...this.sessions.values()])
      if (this.idle(session, at)) void this.end(session, 'idle');
  }

  /** `principalId`'s sessions, least recently used first; busy ones (in use now) last. */
  private byAge(principalId: string): S[] {
    return [...this.sessions.values()]
      .filter((session) => session.principalId === principalId)
      .sort((a, b) => Number(a.busy > 0) - Number(b.busy > 0) || a.lastSeen - b.lastSeen);
  }

  /** Whole seconds (at least 1) until the first idle session passes the TTL; the TTL if all are busy. */
  private secondsToFirstExpiry(at: number): number {
    let first = this.options.ttlMs;
    for (const session of this.sessions.values())
      if (session.busy === 0)
        first = Math.min(first, session.lastSeen + this.options.ttlMs - at + 1);
    return Math.max(1, Math.ceil(first / 1000));
  }

  private end(session: S, why: EndReason): Promise<void> {
    if (this.sessions.get(session.id) !== session) return Promise.resolve();
    this.remove(session);
    return this.options.onEnd(session, why).catch(() => undefined);
  }
}
