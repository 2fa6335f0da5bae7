/**
 * The five billing sources of the live-fields bench, in their own process (`fork`), as remote
 * systems are: their request handling is not charged to the hub's event loop. Each is a Stripe
 * simulator holding the seeded population plus the bench's callers, each caller with one open
 * invoice. The parent steers their faults by message and gets an answer to each.
 */
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { startSimulator, type StripeSimulator } from '../connectors/stripe/simulator.js';
import { generatePopulation } from '../src/simulator-kit/index.js';

export interface SourcesReady {
  sources: { url: string; credentials: Record<string, string>; config: Record<string, unknown> }[];
}

export type SourcesCommand =
  /** Every source answers every request `ms` after it arrives (its own handling inside the `ms`). */
  | { op: 'delay'; ms: number }
  /** Source `k` never answers its next request, then answers `ms` after arrival again. */
  | { op: 'hangOne'; k: number; ms: number }
  | { op: 'clear' }
  | { op: 'close' };

export const callerPhone = (k: number) => `+44 20 7946 ${String(100 + k).padStart(4, '0')}`;

async function main(): Promise<void> {
  const [sources = 5, callers = 10] = process.argv.slice(2).map(Number);
  const population = generatePopulation({ seed: 11, people: 30, employees: 2 });
  const sims: StripeSimulator[] = [];
  for (let k = 0; k < sources; k++) sims.push(await startSimulator({ population, ratePerSecond: 100_000 }));
  for (const sim of sims) {
    for (let k = 0; k < callers; k++) {
      const c = sim.createCustomer({ email: `caller${k}@bench.example.com`, name: `Caller ${k}`, phone: callerPhone(k) });
      sim.createInvoice(String(c['id']), { status: 'open', amount_due: 1000 + k });
    }
  }
  process.on('message', (cmd: SourcesCommand) => {
    void (async () => {
      if (cmd.op === 'delay') for (const sim of sims) sim.server.faults.latencyNext(1_000_000_000, cmd.ms);
      if (cmd.op === 'hangOne') {
        const sim = sims[cmd.k]!;
        sim.server.faults.clear();
        sim.server.faults.hangNext(1);
        sim.server.faults.latencyNext(1_000_000_000, cmd.ms);
      }
      if (cmd.op === 'clear') for (const sim of sims) sim.server.faults.clear();
      if (cmd.op === 'close') await Promise.all(sims.map((s) => s.close()));
      process.send!({ ok: cmd.op });
      if (cmd.op === 'close') process.disconnect();
    })();
  });
  const ready: SourcesReady = {
    sources: sims.map((s) => ({ url: s.url, credentials: s.credentials, config: s.config as Record<string, unknown> })),
  };
  process.send!(ready);
}

// Run only as the forked process (the bench imports callerPhone and the types from this module).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
