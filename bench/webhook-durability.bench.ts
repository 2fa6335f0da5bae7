/**
 * Issue 4 "Done when": 10,000 webhooks acknowledged while a worker process is SIGKILLed mid-run
 * and restarted; every acknowledged event applied exactly once. Run after a build:
 *   npm run build && node_modules/.bin/node dist/bench/webhook-durability.bench.js [events]
 * Uses DATABASE_URL's server, else an embedded Postgres in a temporary directory.
 */
import { createLogger } from '../src/log/logger.js';
import { runKillDurability } from '../src/webhooks/testing/kill-durability.run.js';
import { benchDatabase } from './webhook-bench.support.js';

const events = Number(process.argv[2] ?? 10000);
const log = createLogger('silent');
const db = await benchDatabase(log);
try {
  const r = await runKillDurability({
    ds: db.dataSource,
    databaseUrl: db.url,
    log,
    events,
    timeoutMs: 600000,
  });
  const ok =
    r.killSignal === 'SIGKILL' &&
    r.appliedAtKill < r.acknowledged &&
    r.applied === r.acknowledged &&
    r.inboxRows === r.acknowledged &&
    r.interactions === r.acknowledged &&
    r.appliedTwice === 0;
  process.stdout.write(
    [
      `webhook durability: ${events} sent, ${r.acknowledged} acknowledged`,
      `  worker SIGKILLed at ${r.phases.killedAtMs} ms with ${r.appliedAtKill} applied and ${r.openTransactionsAtKill} transaction(s) open`,
      `  after restart: ${r.applied} applied, ${r.notApplied} not applied, ${r.interactions} interactions, ${r.appliedTwice} applied twice`,
      `  last ack at ${r.phases.sentAtMs} ms, all applied at ${r.phases.drainedAtMs} ms`,
      `  result: ${ok ? 'PASS (nothing lost, nothing applied twice)' : 'FAIL'}`,
    ].join('\n') + '\n',
  );
  if (!ok) process.exitCode = 1;
} finally {
  await db.close();
}
