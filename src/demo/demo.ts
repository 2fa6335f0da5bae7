import { instanceForSimulator, simulators, type RunningVendorSimulator } from '../../connectors/simulators.js';
import type { Logger } from '../log/logger.js';
import { generatePopulation } from '../simulator-kit/index.js';

export interface Demo {
  /** Connector instances for the config's `connectors` section, pointing at the simulators. */
  instances: Record<string, unknown>[];
  /** Environment the instances' credentials are read from (never written to process.env). */
  env: Record<string, string>;
  simulators: Record<string, RunningVendorSimulator>;
  stop(): Promise<void>;
}

export interface DemoOptions {
  seed?: number;
  people?: number;
  employees?: number;
  /** How often each simulator creates new activity (calls, posts, messages, tickets...). */
  trickleEveryMs?: number;
  /** Seconds between incremental syncs of each stream. */
  syncEverySeconds?: number;
}

/**
 * The demo behind `npm start`: every vendor simulator on loopback, fed by one seeded population
 * whose people overlap across CRM, billing, HR, contact centre and social, each wired to its real
 * connector as an ordinary connector instance. Only the base URLs differ from production.
 */
export async function startDemo(log: Logger, options: DemoOptions = {}): Promise<Demo> {
  const population = generatePopulation({ seed: options.seed ?? 2026, people: options.people ?? 150, employees: options.employees ?? 20 });
  const running: Record<string, RunningVendorSimulator> = {};
  const instances: Record<string, unknown>[] = [];
  const env: Record<string, string> = {};
  try {
    for (const [id, start] of Object.entries(simulators)) {
      const sim = await start({ population, trickleEveryMs: options.trickleEveryMs ?? 8000 });
      running[id] = sim;
      const wired = instanceForSimulator(id, id, sim, { schedule: { everySeconds: options.syncEverySeconds ?? 10 } });
      instances.push(wired.entry);
      Object.assign(env, wired.env);
      log.info({ connector: id, url: sim.url }, 'demo simulator started');
    }
  } catch (err) {
    await Promise.all(Object.values(running).map((s) => s.close().catch(() => undefined)));
    throw err;
  }
  return {
    instances,
    env,
    simulators: running,
    async stop() {
      await Promise.all(Object.values(running).map((s) => s.close().catch(() => undefined)));
    },
  };
}
