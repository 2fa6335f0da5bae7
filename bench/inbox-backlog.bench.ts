/**
 * Inbox apply throughput of one worker over a pending backlog among many settled rows, with and
 * without the claim index `idx_inbox_event_due` (migration InboxDueIndex), alternated twice.
 *   npm run build && node_modules/.bin/node dist/bench/inbox-backlog.bench.js [settled=300000] [pending=20000] [applied=3000]
 * One worker (concurrency 1, batch 100) on the minimal recording apply path; each run applies
 * `applied` events of a fresh `pending` backlog, then the claim query alone is timed in the state
 * the run left (a steadier figure than events/s on a busy machine). DATABASE_URL's Postgres, else
 * an embedded one.
 */
import os from 'node:os';
import { startInboxWorker } from '../src/jobs/inbox.worker.js';
import { createLogger } from '../src/log/logger.js';
import { echoInstance } from '../src/webhooks/testing/echo.connector.js';
import { recordingApply } from '../src/webhooks/testing/recording.applier.js';
import { instanceLookupOf } from '../src/webhooks/webhook-instance.js';
import { benchDatabase } from './webhook-bench.support.js';

const [settled, backlog, target] = [300000, 20000, 3000].map((d, i) => Number(process.argv[2 + i] ?? d)) as [
  number,
  number,
  number,
];
for (const [name, v] of Object.entries({ settled, backlog, target }))
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
if (target > backlog) throw new Error(`applied (${target}) must not exceed pending (${backlog})`);
const log = createLogger('silent');
const db = await benchDatabase(log);
const q = (text: string, params?: unknown[]) => db.dataSource.query(text, params);
const INDEX = `CREATE INDEX idx_inbox_event_due ON inbox_event (received_at, id) WHERE status IN ('pending', 'failed')`;

async function fillBacklog(tag: string) {
  await q(
    `INSERT INTO inbox_event (connector_instance, event_id, event_type, payload, received_at)
     SELECT 'w', $2 || g, 'message.created', jsonb_build_object('id', $2 || g, 'text', 'x'), now() - interval '1 day' + g * interval '1 ms'
       FROM generate_series(1, $1) g`,
    [backlog, tag],
  );
  await q('VACUUM ANALYZE inbox_event');
}

async function run(label: string) {
  const worker = startInboxWorker({
    ds: db.dataSource,
    apply: recordingApply(),
    instances: instanceLookupOf([echoInstance('w', 'unused', log)]),
    log,
    batchSize: 100,
    pollIntervalMs: 20,
  });
  const start = performance.now();
  while (worker.stats.applied < target) await new Promise((r) => setTimeout(r, 10));
  const elapsed = performance.now() - start;
  await worker.stop();
  const applied = worker.stats.applied;
  // The worker's claim in the state the run left (its settled rows not yet vacuumed), timed alone.
  const claims: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t = performance.now();
    await db.dataSource.transaction((m) =>
      m.query(
        `SELECT id FROM inbox_event
          WHERE status = 'pending'
             OR (status = 'failed' AND received_at + make_interval(secs => 1000::double precision * (power(2, attempts) - 1) / 1000) <= now())
          ORDER BY received_at, id LIMIT 100 FOR UPDATE SKIP LOCKED`,
      ),
    );
    claims.push(performance.now() - t);
  }
  const claimMs = claims.sort((a, b) => a - b)[10]!;
  process.stdout.write(
    `  ${label}: ${applied} applied in ${(elapsed / 1000).toFixed(1)} s = ${((applied / elapsed) * 1000).toFixed(0)} events/s, one claim of 100 ${claimMs.toFixed(2)} ms (median), load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  await q(`DELETE FROM inbox_event WHERE connector_instance = 'w'`);
  await q('DELETE FROM interaction');
}

try {
  process.stdout.write(
    `inbox-backlog bench ${new Date().toISOString()}: ${settled} settled rows, ${backlog} pending, 1 worker (concurrency 1, batch 100), recording apply path\n`,
  );
  await q(
    `INSERT INTO inbox_event (connector_instance, event_id, event_type, payload, status, received_at, applied_at)
     SELECT 'old', 'e' || g, 't', '{"a":1}', 'applied', now() - interval '2 day' + g * interval '1 ms', now()
       FROM generate_series(1, $1) g`,
    [settled],
  );
  for (let round = 0; round < 2; round++) {
    await fillBacklog(`a${round}-`);
    await run('with idx_inbox_event_due      ');
    await q('DROP INDEX idx_inbox_event_due');
    await fillBacklog(`b${round}-`);
    await run('without (status index only)   ');
    await q(INDEX);
  }
} finally {
  await db.close();
}
