import type { DataSource } from 'typeorm';
import type { LoadedConfig } from '../config/config.js';
import type { IdentityResolver } from '../identity/identity-resolver.service.js';
import type { Logger } from '../log/logger.js';
import { ApplyService } from './apply.service.js';
import { ConnectorStatusService } from './connector-status.service.js';
import {
  createInstanceRuntime,
  parseInstances,
  type ConnectorInstance,
  type ConnectorRegistry,
  type InstanceRuntime,
} from './instances.js';
import { startScheduler, type Scheduler } from './sync-runner.js';

export interface Ingest {
  instances: ConnectorInstance[];
  apply: ApplyService;
  status: ConnectorStatusService;
  /** The connector context of one instance (built once, shared by sync, webhooks and live fetch). */
  runtime(instanceId: string): InstanceRuntime | undefined;
  /** Starts the sync scheduler for every enabled instance (the worker side of `serve` and `touchpoint worker`). */
  startScheduler(): Scheduler;
  /** Closes the instances' HTTP clients. */
  close(): void;
}

/**
 * The ingest engine of one process, from the config file's `connectors` section (validated now:
 * a bad instance throws a one-line ConfigError before anything starts).
 */
export function createIngest(deps: {
  ds: DataSource;
  config: LoadedConfig;
  registry: ConnectorRegistry;
  identity: IdentityResolver;
  log: Logger;
  /** Where credentials' `env` references are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
}): Ingest {
  const instances = parseInstances(deps.config.file.connectors, deps.registry, deps.env ? { env: deps.env } : {});
  const apply = new ApplyService(deps.ds, deps.identity, deps.log);
  const runtimes = new Map<string, InstanceRuntime>();
  const runtime = (id: string) => {
    const instance = instances.find((i) => i.id === id);
    if (!instance) return undefined;
    let rt = runtimes.get(id);
    if (!rt) {
      rt = createInstanceRuntime(instance, { ds: deps.ds, log: deps.log });
      runtimes.set(id, rt);
    }
    return rt;
  };
  return {
    instances,
    apply,
    status: new ConnectorStatusService(deps.ds, instances),
    runtime,
    startScheduler: () =>
      startScheduler({
        ds: deps.ds,
        apply,
        log: deps.log,
        runtimes: instances.filter((i) => i.enabled).map((i) => runtime(i.id)!),
      }),
    close() {
      for (const rt of runtimes.values()) rt.close();
      runtimes.clear();
    },
  };
}
