import type { Population } from '../src/simulator-kit/index.js';
import { startSimulator as bamboohr } from './bamboohr/simulator.js';
import { startSimulator as hubspot } from './hubspot/simulator.js';
import { startSimulator as meta } from './meta/simulator.js';
import { startSimulator as salesforce } from './salesforce/simulator.js';
import { startSimulator as stripe } from './stripe/simulator.js';
import { startSimulator as twilio } from './twilio/simulator.js';
import { startSimulator as x } from './x/simulator.js';
import { startSimulator as zendesk } from './zendesk/simulator.js';

/** What every vendor simulator gives the demo: where it is and how to talk to it. */
export interface RunningVendorSimulator {
  url: string;
  credentials: Record<string, string>;
  config: Record<string, unknown>;
  close(): Promise<void>;
}

export type StartVendorSimulator = (options: { population: Population; port?: number; trickleEveryMs?: number }) => Promise<RunningVendorSimulator>;

/**
 * The vendor simulators, by connector id: used by `npm start`'s demo (and available to tests).
 * Each speaks its vendor's protocol; only the base URL differs from the real API.
 */
export const simulators = {
  hubspot,
  stripe,
  salesforce,
  bamboohr,
  twilio,
  zendesk,
  x,
  meta,
} satisfies Record<string, StartVendorSimulator>;

/**
 * A connector instance (the config file's `connectors` entry) pointing at a running simulator, and
 * the environment its credentials are read from: the demo and the tests wire simulators to their
 * real connectors exactly as an operator wires the real vendor.
 */
export function instanceForSimulator(
  id: string,
  connector: string,
  sim: Pick<RunningVendorSimulator, 'url' | 'credentials' | 'config'>,
  extra: { config?: Record<string, unknown>; schedule?: { everySeconds: number } } = {},
): { entry: Record<string, unknown>; env: Record<string, string> } {
  const env: Record<string, string> = {};
  const credentials: Record<string, { env: string }> = {};
  for (const [name, value] of Object.entries(sim.credentials)) {
    const variable = `SIM_${id}_${name}`.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
    env[variable] = value;
    credentials[name] = { env: variable };
  }
  return {
    entry: { id, connector, baseUrl: sim.url, config: { ...sim.config, ...extra.config }, credentials, ...(extra.schedule ? { schedule: extra.schedule } : {}) },
    env,
  };
}
