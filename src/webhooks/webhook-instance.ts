import type { ConnectorContext, ConnectorDefinition } from '../connector-kit/contract.js';

/**
 * What the webhook endpoint and the inbox worker need of one configured connector instance.
 * `src/ingest/instances.ts` owns instance configuration; this is the narrow view the webhook
 * path uses, so an adapter from the ingest registry is a few lines.
 */
export interface WebhookInstance {
  /** The instance id: the `:instance` of `/webhooks/:instance` and `inbox_event.connector_instance`. */
  id: string;
  /** The `system` passed to the apply path (source_record.system, interaction.system). */
  system: string;
  connector: ConnectorDefinition<any>;
  /** The instance's validated config block. */
  config: unknown;
  credentials: Readonly<Record<string, string>>;
  /** The runtime context the connector's webhook `map` runs with (HTTP client, logger...). */
  context(): ConnectorContext<unknown>;
}

/** Finds a configured instance by id; undefined when there is none. */
export type WebhookInstanceLookup = (id: string) => WebhookInstance | undefined;

/** A lookup over a fixed list (tests, the demo, or an adapter over the ingest registry). */
export function instanceLookupOf(instances: Iterable<WebhookInstance>): WebhookInstanceLookup {
  const byId = new Map<string, WebhookInstance>();
  for (const instance of instances) byId.set(instance.id, instance);
  return (id) => byId.get(id);
}
