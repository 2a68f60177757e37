/** The Redis Bus: PUBLISH on the main connection, SUBSCRIBE on a dedicated one, one per topic. */
import type { Redis } from 'ioredis';
import type { Logger } from '../../config/logger.js';
import { type Bus, type BusHandler, deliver, type Subscription, type Unsubscribe } from './bus.js';
import { toJson } from './checks.js';
import type { BusEvents } from './events.js';

interface Topic {
  topic: string;
  subscriptions: Set<Subscription>;
  /** Settles when Redis has answered the SUBSCRIBE for this channel. */
  confirmed: Promise<void>;
}

/**
 * Bus across every process on the same Redis and prefix; channels are `<prefix>bus:<topic>`.
 * A connection in subscriber mode can run nothing but (un)subscribe and PING, hence the second
 * connection. Redis pub/sub is itself at-most-once: a subscriber that is disconnected when a
 * message is published never sees it (ioredis resubscribes on reconnect, but does not replay).
 */
export class RedisBus implements Bus {
  private readonly channels = new Map<string, Topic>();

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    subscriber.on('message', (channel: string, message: string) =>
      this.onMessage(channel, message),
    );
  }

  private channel(topic: string): string {
    return `${this.prefix}bus:${topic}`;
  }

  async publish<K extends keyof BusEvents & string>(
    topic: K,
    payload: BusEvents[K],
  ): Promise<void> {
    await this.publisher.publish(this.channel(topic), toJson(payload, `payload of "${topic}"`));
  }

  async subscribe<K extends keyof BusEvents & string>(
    topic: K,
    handler: BusHandler<BusEvents[K]>,
  ): Promise<Unsubscribe> {
    const channel = this.channel(topic);
    let entry = this.channels.get(channel);
    if (!entry) {
      // One SUBSCRIBE per channel however many local handlers: Redis then sends each message
      // once per process, and the handlers share it.
      const created: Topic = {
        topic,
        subscriptions: new Set(),
        confirmed: this.subscriber.subscribe(channel).then(() => undefined),
      };
      created.confirmed.catch(() => {
        if (this.channels.get(channel) === created) this.channels.delete(channel);
      });
      this.channels.set(channel, created);
      entry = created;
    }
    const subscription: Subscription = { handler: handler as BusHandler<unknown> };
    entry.subscriptions.add(subscription);
    try {
      await entry.confirmed;
    } catch (error) {
      entry.subscriptions.delete(subscription);
      throw new Error(`could not subscribe to "${topic}" on Redis: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const subscribed = entry;
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      subscribed.subscriptions.delete(subscription);
      if (subscribed.subscriptions.size > 0 || this.channels.get(channel) !== subscribed) return;
      this.channels.delete(channel);
      // Commands on one connection run in order, so a SUBSCRIBE issued after this UNSUBSCRIBE
      // (a new subscriber racing in) still leaves the channel subscribed.
      await this.subscriber.unsubscribe(channel).catch((error: unknown) => {
        // Locally the handler is gone; a Redis subscription left behind only brings messages
        // that onMessage ignores, and ends with the connection.
        this.logger.warn({ err: error, topic }, 'Redis UNSUBSCRIBE failed; ignoring the channel');
      });
    };
  }

  private onMessage(channel: string, message: string): void {
    const entry = this.channels.get(channel);
    if (!entry || entry.subscriptions.size === 0) return;
    let payload: unknown;
    try {
      payload = JSON.parse(message);
    } catch {
      this.logger.warn(
        { topic: entry.topic, channel, bytes: message.length },
        'dropped a bus message that is not JSON; something other than Countersign published on this channel',
      );
      return;
    }
    deliver(entry.subscriptions, entry.topic, payload, this.logger);
  }
}
