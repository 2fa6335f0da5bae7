/**
 * Webhook acknowledgement latency at a fixed arrival rate, and inbox apply throughput per worker.
 *   npm run build && node_modules/.bin/node dist/bench/webhook-ack.bench.js [rate=500] [seconds=10]
 * Loopback only, bounded: `rate * seconds` signed deliveries (one event each) through the real
 * router into Postgres (DATABASE_URL's, else an embedded one), open-loop (latency counted from the
 * scheduled send time, so a stall is not hidden). Then one worker (concurrency 1) applies them,
 * first on the minimal recording apply path, then on the real ApplyService (identity resolver).
 * Targets: ack p99 <= 20 ms at 500/s; >= 1,000 events/s per worker.
 */
import http from 'node:http';
import os from 'node:os';
import express from 'express';
import { IdentityResolver } from '../src/identity/identity-resolver.service.js';
import { ApplyService } from '../src/ingest/apply.service.js';
import { startInboxWorker, type InboxApply } from '../src/jobs/inbox.worker.js';
import { inboxApplyOf } from '../src/jobs/inbox-worker.starter.js';
import { createLogger } from '../src/log/logger.js';
import { echoInstance, signedEchoDelivery } from '../src/webhooks/testing/echo.connector.js';
import { recordingApply } from '../src/webhooks/testing/recording.applier.js';
import { instanceLookupOf } from '../src/webhooks/webhook-instance.js';
import { createWebhookRouter } from '../src/webhooks/webhook.router.js';
import { benchDatabase } from './webhook-bench.support.js';

const rate = Number(process.argv[2] ?? 500);
const seconds = Number(process.argv[3] ?? 10);
const total = rate * seconds;
const SECRET = 'whsec_bench';
const log = createLogger('silent');
const db = await benchDatabase(log);
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (n: number) => `${n.toFixed(1)} ms`;

try {
  const instances = instanceLookupOf([
    echoInstance('bench-a', SECRET, log),
    echoInstance('bench-b', SECRET, log),
  ]);
  const app = express();
  app.use(createWebhookRouter({ dataSource: db.dataSource, instances, log }));
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });

  const send = (instance: string, i: number) =>
    new Promise<number>((resolve) => {
      const { body, headers } = signedEchoDelivery(
        [
          {
            id: `ev-${i}`,
            text: `bench ${i}`,
            email: `person${i % 2000}@example.org`,
            occurredAt: new Date(1_700_000_000_000 + i).toISOString(),
          },
        ],
        SECRET,
      );
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: `/webhooks/${instance}`,
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          agent,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });

  // Warm-up (JIT, pool), not measured.
  await Promise.all(Array.from({ length: 200 }, (_, i) => send('bench-a', -1 - i)));
  await db.dataSource.query(`DELETE FROM inbox_event`);

  async function ackRun(instance: string): Promise<{ latencies: number[]; ok: number; wallMs: number }> {
    const latencies: number[] = [];
    let ok = 0;
    const start = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(
        send(instance, i).then((status) => {
          latencies.push(performance.now() - due);
          if (status === 200) ok++;
        }),
      );
    }
    await Promise.all(pending);
    return { latencies: latencies.sort((a, b) => a - b), ok, wallMs: performance.now() - start };
  }

  const ack = await ackRun('bench-a');
  await ackRun('bench-b');
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  agent.destroy();

  async function applyRun(
    instanceId: string,
    apply: InboxApply,
  ): Promise<{ eventsPerSecond: number; applied: number; ms: number }> {
    const start = performance.now();
    const only = instanceLookupOf([echoInstance(instanceId, SECRET, log)]);
    const worker = startInboxWorker({
      ds: db.dataSource,
      apply,
      instances: (id) => (id === instanceId ? only(id) : undefined),
      log,
      concurrency: 1,
      batchSize: 100,
      pollIntervalMs: 20,
    });
    for (;;) {
      const [r] = await db.dataSource.query(
        `SELECT count(*)::int AS n FROM inbox_event WHERE connector_instance = $1 AND status = 'pending'`,
        [instanceId],
      );
      if (r.n === 0) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    const elapsed = performance.now() - start;
    await worker.stop();
    const applied = worker.stats.applied + worker.stats.suppressed;
    return { eventsPerSecond: applied / (elapsed / 1000), applied, ms: elapsed };
  }
  // Only one instance's rows are pending per run: park bench-b's until its run.
  await db.dataSource.query(
    `UPDATE inbox_event SET status = 'failed', attempts = 0 WHERE connector_instance = 'bench-b'`,
  );
  const minimal = await applyRun('bench-a', recordingApply());
  await db.dataSource.query(`UPDATE inbox_event SET status = 'pending' WHERE connector_instance = 'bench-b'`);
  const full = await applyRun(
    'bench-b',
    inboxApplyOf(new ApplyService(db.dataSource, new IdentityResolver(db.dataSource), log)),
  );

  const lines = [
    `webhook-ack bench ${new Date().toISOString()} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    `  ack at ${rate}/s for ${seconds}s: ${ack.ok}/${total} acknowledged (200) in ${(ack.wallMs / 1000).toFixed(1)} s`,
    `    p50 ${ms(pct(ack.latencies, 50))}  p95 ${ms(pct(ack.latencies, 95))}  p99 ${ms(pct(ack.latencies, 99))}  max ${ms(ack.latencies.at(-1) ?? NaN)}  (target p99 <= 20 ms)`,
    `  apply, 1 worker, batch 100, recording apply path: ${minimal.applied} events in ${(minimal.ms / 1000).toFixed(1)} s = ${minimal.eventsPerSecond.toFixed(0)} events/s (target >= 1000)`,
    `  apply, 1 worker, batch 100, ApplyService + identity resolver (1 person + 1 interaction each): ${full.applied} events in ${(full.ms / 1000).toFixed(1)} s = ${full.eventsPerSecond.toFixed(0)} events/s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await db.close();
}
