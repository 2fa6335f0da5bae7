import type { DataSource } from 'typeorm';
import { createInstanceRuntime, type ConnectorInstance, type InstanceRuntime } from '../ingest/instances.js';
import type { Logger } from '../log/logger.js';
import type { WebhookInstance, WebhookInstanceLookup } from './webhook-instance.js';

/**
 * The webhook view of the configured connector instances (src/ingest/instances.ts): enabled
 * instances whose connector has webhooks. The runtime (HTTP client for `map`) is made on first use
 * and kept. `system` is the instance id, as the apply path expects.
 */
export function webhookInstancesFrom(
  instances: readonly ConnectorInstance[],
  deps: { ds: DataSource; log: Logger },
): WebhookInstanceLookup & { close(): void } {
  const byId = new Map<string, WebhookInstance>();
  const runtimes: InstanceRuntime[] = [];
  for (const instance of instances) {
    if (!instance.enabled || !instance.connector.webhooks) continue;
    let runtime: InstanceRuntime | undefined;
    byId.set(instance.id, {
      id: instance.id,
      system: instance.id,
      connector: instance.connector,
      config: instance.config,
      credentials: instance.credentials,
      context() {
        if (!runtime) {
          runtime = createInstanceRuntime(instance, { ds: deps.ds, log: deps.log });
          runtimes.push(runtime);
        }
        return runtime.ctx;
      },
    });
  }
  const lookup = (id: string) => byId.get(id);
  return Object.assign(lookup, {
    close() {
      for (const r of runtimes.splice(0)) r.close();
    },
  });
}
