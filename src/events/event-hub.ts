import pg from 'pg';
import type { Logger } from '../log/logger.js';
import { EVENTS_CHANNEL, type HubEvent } from './hub-events.js';

type Listener = (event: HubEvent) => void;

/**
 * Receives hub events from Postgres (LISTEN), so a subscriber on any API process sees events
 * published by any other process or worker. One dedicated connection per process; it reconnects
 * after a drop.
 */
export class PgEventHub {
  private client: pg.Client | null = null;
  private readonly listeners = new Set<Listener>();
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'touchpoint-events' });
    client.on('notification', (msg) => {
      if (msg.channel !== EVENTS_CHANNEL || !msg.payload) return;
      let event: HubEvent;
      try {
        event = JSON.parse(msg.payload) as HubEvent;
      } catch {
        return;
      }
      for (const l of this.listeners) l(event);
    });
    client.on('error', (err) => {
      this.log.warn({ err: err.message }, 'event listener connection failed; reconnecting');
      this.scheduleReconnect();
    });
    client.on('end', () => this.scheduleReconnect());
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    this.client = client;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.client = null;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.start().catch(() => this.scheduleReconnect());
    }, 1000);
    this.reconnectTimer.unref();
  }

  /** An async stream of events passing `filter`, ended when the consumer returns. */
  subscribe<T extends HubEvent>(filter: (e: HubEvent) => e is T): AsyncIterableIterator<T>;
  subscribe(filter: (e: HubEvent) => boolean): AsyncIterableIterator<HubEvent>;
  subscribe(filter: (e: HubEvent) => boolean): AsyncIterableIterator<HubEvent> {
    const queue: HubEvent[] = [];
    let wake: (() => void) | null = null;
    let done = false;
    const listener: Listener = (e) => {
      if (!filter(e)) return;
      queue.push(e);
      wake?.();
    };
    this.listeners.add(listener);
    const finish = () => {
      done = true;
      this.listeners.delete(listener);
      wake?.();
    };
    const iterator: AsyncIterableIterator<HubEvent> = {
      async next() {
        while (!queue.length && !done) await new Promise<void>((r) => (wake = r));
        wake = null;
        if (queue.length) return { value: queue.shift()!, done: false };
        return { value: undefined, done: true };
      },
      async return() {
        finish();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.listeners.clear();
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}
