/** The in-process Bus: handlers in a Map, for one process with no Redis configured. */
import type { Logger } from '../../config/logger.js';
import { type Bus, type BusHandler, deliver, type Subscription, type Unsubscribe } from './bus.js';
import { toJson } from './checks.js';
import type { BusEvents } from './events.js';

/**
 * Bus within one process. Each publish goes through JSON once, as it would through Redis, so
 * subscribers get a copy they may change and a non-JSON payload fails here as it would there.
 */
export class MemoryBus implements Bus {
  private readonly topics = new Map<string, Set<Subscription>>();

  constructor(private readonly logger: Logger) {}

  async publish<K extends keyof BusEvents & string>(
    topic: K,
    payload: BusEvents[K],
  ): Promise<void> {
    const json = toJson(payload, `payload of "${topic}"`);
    const subscriptions = this.topics.get(topic);
    if (!subscriptions || subscriptions.size === 0) return;
    deliver(subscriptions, topic, JSON.parse(json), this.logger);
  }

  async subscribe<K extends keyof BusEvents & string>(
    topic: K,
    handler: BusHandler<BusEvents[K]>,
  ): Promise<Unsubscribe> {
    let subscriptions = this.topics.get(topic);
    if (!subscriptions) {
      subscriptions = new Set();
      this.topics.set(topic, subscriptions);
    }
    const subscription: Subscription = { handler: handler as BusHandler<unknown> };
    subscriptions.add(subscription);
    const set = subscriptions;
    return async () => {
      set.delete(subscription);
      if (set.size === 0 && this.topics.get(topic) === set) this.topics.delete(topic);
    };
  }

  /** Drops every subscription. */
  clear(): void {
    this.topics.clear();
  }
}
