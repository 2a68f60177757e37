/** The Bus port: publish/subscribe of typed events, and the delivery rule both backends share. */
import type { Logger } from '../../config/logger.js';
import type { BusEvents } from './events.js';

/** Receives one event's payload. Its errors (thrown or rejected) are logged, never propagated. */
export type BusHandler<P> = (payload: P) => void | Promise<void>;

/** Stops one subscription. Calling it again does nothing. */
export type Unsubscribe = () => Promise<void>;

/**
 * Events between the parts of Countersign, in this process and (with Redis) in every process
 * that shares the Redis and the prefix.
 *
 * Delivery is at-most-once and fire-and-forget: a publish reaches the handlers subscribed at
 * that moment and nobody else. Nothing is stored or retried, so a handler subscribed later, a
 * process that is down or restarting, or a dropped Redis connection misses the event. Anything
 * that must not be lost (a proposal, an approval) lives in the database; an event only says
 * "look now", and a consumer that missed one catches up from the database.
 *
 * Handlers run asynchronously, after `publish` has returned, so a publisher is never slowed by
 * a handler nor sees its errors. Payloads go through JSON on both backends.
 */
export interface Bus<Events extends object = BusEvents> {
  /** Sends `payload` to every current subscriber of `topic`. Throws TypeError for a non-JSON payload. */
  publish<K extends keyof Events & string>(topic: K, payload: Events[K]): Promise<void>;
  /**
   * Calls `handler` for each later event on `topic`. Resolves once the subscription is live (with
   * Redis: once Redis has confirmed it), so a publish after the await reaches it.
   */
  subscribe<K extends keyof Events & string>(
    topic: K,
    handler: BusHandler<Events[K]>,
  ): Promise<Unsubscribe>;
}

/** One subscription; an object of its own so that one function subscribed twice counts twice. */
export interface Subscription {
  handler: BusHandler<unknown>;
}

/**
 * Hands `payload` to each subscription on a later turn of the event loop. A handler's error is
 * logged with the topic and goes no further: it cannot reach the publisher, the other handlers
 * or (with Redis) the connection's message loop.
 */
export function deliver(
  subscriptions: Iterable<Subscription>,
  topic: string,
  payload: unknown,
  logger: Logger,
): void {
  for (const { handler } of [...subscriptions]) {
    setImmediate(() => {
      new Promise<void>((resolve) => resolve(handler(payload))).catch((error: unknown) => {
        logger.error({ err: error, topic }, 'bus handler failed; the event is not redelivered');
      });
    });
  }
}
