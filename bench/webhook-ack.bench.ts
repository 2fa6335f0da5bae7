/**
 * Webhook acknowledgement latency at a fixed arrival rate, and inbox apply throughput per worker.
 *   npm run build && node_modules/.bin/node dist/bench/webhook-ack.bench.js [rate=500] [seconds=8]
 *     [--window=0] [--in-flight=2] [--concurrency=1,4] [--apply-seconds=15] [--warmup-seconds=3] [--ack-only]
 * Loopback only, bounded: `rate * seconds` signed deliveries (one event each) through the real
 * router into Postgres (DATABASE_URL's, else an embedded one). The load generator is a separate
 * process (bench/webhook-load.child.ts) at a raised priority (bench/external-process.ts: a client
 * on a machine of its own is not late because the hub is busy), open loop: latency is counted
 * from each delivery's scheduled send time, so a stall is not hidden. Each run first sends
 * `--warmup-seconds` of deliveries at the same rate, not measured (a production server is warm);
 * the server's CPU and event-loop delay are counted from the end of the warm-up. Two ack runs in one process, same machine state:
 * first each delivery committed by its own statement (the previous intake), then with group
 * commit (src/webhooks/inbox.batcher.ts; `--window` and `--in-flight` tune it).
 * Then one worker applies the stored events: the minimal recording apply path and the real
 * ApplyService (identity resolver), at each `--concurrency` (claim loops in the one worker
 * process), each real-path run capped at `--apply-seconds`; then, through the real path, linking
 * events (a new record attached to an existing customer through a shared email: the one-by-one
 * path), stored through the router beforehand.
 * PROFILE=dir writes a CPU profile of the server during the group-commit ack run.
 * Targets: ack p99 <= 20 ms at 500/s; >= 1,000 events/s per worker.
 */
import http from 'node:http';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import express from 'express';
import type { DataSource } from 'typeorm';
import { IdentityResolver } from '../src/identity/identity-resolver.service.js';
import { ApplyService } from '../src/ingest/apply.service.js';
import { startInboxWorker, type InboxApply } from '../src/jobs/inbox.worker.js';
import { inboxApplyOf } from '../src/jobs/inbox-worker.starter.js';
import { createLogger } from '../src/log/logger.js';
import type { InboxBatchingOptions } from '../src/webhooks/inbox.batcher.js';
import {
  echoInstance,
  postEchoDelivery,
  signedEchoDelivery,
  type EchoEvent,
} from '../src/webhooks/testing/echo.connector.js';
import { recordingApply } from '../src/webhooks/testing/recording.applier.js';
import { instanceLookupOf } from '../src/webhooks/webhook-instance.js';
import { createWebhookRouter } from '../src/webhooks/webhook.router.js';
import { benchDatabase } from './webhook-bench.support.js';
import { forkGenerator } from './external-process.js';
import { profiled } from './profile.js';
import type { LoadJob, LoadResult } from './webhook-load.child.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flag = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const rate = Number(positional[0] ?? 500);
const seconds = Number(positional[1] ?? 8);
const total = Math.round(rate * seconds);
const batching: InboxBatchingOptions = {
  windowMs: Number(flag('window', '0')),
  maxInFlight: Number(flag('in-flight', '2')),
};
const concurrencies = flag('concurrency', '1,4').split(',').map(Number);
const applySeconds = Number(flag('apply-seconds', '15'));
const warmupSeconds = Number(flag('warmup-seconds', '3'));
for (const [name, v] of Object.entries({ rate, seconds, applySeconds, warmupSeconds, ...batching }))
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number, got ${v}`);
if (concurrencies.some((c) => !Number.isInteger(c) || c < 1))
  throw new Error(`--concurrency must be positive integers separated by commas`);

const SECRET = 'whsec_bench';
const log = createLogger('silent');
const db = await benchDatabase(log, 24);
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (n: number) => `${n.toFixed(1)} ms`;
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

async function serve(ds: DataSource, batch: InboxBatchingOptions | false) {
  const instances = instanceLookupOf([
    echoInstance('bench-a', SECRET, log),
    echoInstance('bench-b', SECRET, log),
    echoInstance('bench-c', SECRET, log),
  ]);
  const app = express();
  app.use(createWebhookRouter({ dataSource: ds, instances, log, batching: batch }));
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Runs the generator in its own process against `port`. */
function generate(job: LoadJob, onMeasuring: () => void): Promise<LoadResult> {
  const child = forkGenerator(new URL('./webhook-load.child.js', import.meta.url), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if ((m as { measuring?: boolean }).measuring) onMeasuring();
      else resolve(m as LoadResult);
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
    child.send(job);
  });
}

async function ackRun(instance: string, batch: InboxBatchingOptions | false) {
  const server = await serve(db.dataSource, batch);
  try {
    let cpu = process.cpuUsage();
    // The server's event loop (this process): a stall here holds every acknowledgement behind it.
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const result = await generate(
      { port: server.port, instance, secret: SECRET, rate, total, warmupSeconds, idPrefix: `${instance}-` },
      () => {
        // Warm-up over: measure from here.
        loopDelay.reset();
        cpu = process.cpuUsage();
      },
    );
    loopDelay.disable();
    const used = process.cpuUsage(cpu);
    // The server's own CPU (this process: router, HMAC, parse, pg driver), per measured delivery.
    const serverCpuMs = (used.user + used.system) / 1000 / total;
    const loadAfter = load();
    await db.dataSource.query(`DELETE FROM inbox_event WHERE event_id LIKE '%warm-%'`);
    return { ...result, loadAfter, serverCpuMs, serverLoopDelayMaxMs: loopDelay.max / 1e6 };
  } finally {
    await server.close();
  }
}

/** Applies `instanceId`'s pending rows with one worker; stops when none is left or at `capSeconds`. */
async function applyRun(instanceId: string, apply: InboxApply, concurrency: number, capSeconds: number) {
  const only = instanceLookupOf([echoInstance(instanceId, SECRET, log)]);
  const start = performance.now();
  const worker = startInboxWorker({
    ds: db.dataSource,
    apply,
    instances: only,
    log,
    concurrency,
    batchSize: 100,
    pollIntervalMs: 20,
  });
  for (;;) {
    const [r] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM inbox_event WHERE connector_instance = $1 AND status = 'pending'`,
      [instanceId],
    );
    if (r.n === 0 || performance.now() - start > capSeconds * 1000) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  await worker.stop();
  const elapsed = performance.now() - start;
  const applied = worker.stats.applied + worker.stats.suppressed;
  if (worker.stats.failed + worker.stats.dead > 0)
    throw new Error(`${worker.stats.failed + worker.stats.dead} events failed in the apply run`);
  return { eventsPerSecond: applied / (elapsed / 1000), applied, ms: elapsed };
}

/**
 * Leaves pending only the instance's rows (every other instance's are parked) whose delivery number is `k` modulo `of` (the others
 * are parked), so each run gets the same mix of new and returning people (emails repeat every
 * 2,000 deliveries) and none of another run's people.
 */
async function prepare(instanceId: string, k: number, of: number) {
  await db.dataSource.query(
    `UPDATE inbox_event
        SET status = CASE WHEN status IN ('pending', 'parked') AND connector_instance = $1
                               AND (substring(event_id from '[0-9]+$'))::int % $3 = $2 THEN 'pending'
                          WHEN status = 'pending' THEN 'parked' ELSE status END
      WHERE status IN ('pending', 'parked')`,
    [instanceId, k, of],
  );
}

try {
  const header = `webhook-ack bench ${new Date().toISOString()} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load ${load()}`;
  process.stdout.write(`${header}\n`);
  const lines: string[] = [];
  const ackLine = (
    label: string,
    r: LoadResult & { loadAfter: string; serverCpuMs: number; serverLoopDelayMaxMs: number },
  ) => {
    const ok = r.statuses['200'] ?? 0;
    const line = [
      `  ack at ${rate}/s for ${seconds}s, ${label}: ${ok}/${total} acknowledged (200) in ${(r.wallMs / 1000).toFixed(1)} s, server CPU ${r.serverCpuMs.toFixed(2)} ms per delivery, load after ${r.loadAfter}`,
      `    p50 ${ms(pct(r.latencies, 50))}  p95 ${ms(pct(r.latencies, 95))}  p99 ${ms(pct(r.latencies, 99))}  max ${ms(r.latencies.at(-1) ?? NaN)}  (target p99 <= 20 ms; generator's worst send lag ${ms(r.maxSendLagMs)}, server event loop's worst delay ${ms(r.serverLoopDelayMaxMs)})`,
    ].join('\n');
    process.stdout.write(`${line}\n`);
    lines.push(line);
  };
  ackLine('one commit per delivery', await ackRun('bench-a', false));
  ackLine(
    `group commit (window ${batching.windowMs} ms, ${batching.maxInFlight} in flight)`,
    await profiled('ack-group-commit', () => ackRun('bench-b', batching)),
  );
  const [groups] = await db.dataSource.query(
    `SELECT count(DISTINCT xmin::text)::int AS groups, count(*)::int AS events FROM inbox_event WHERE connector_instance = 'bench-b'`,
  );
  process.stdout.write(
    `    ${groups.events} events in ${groups.groups} commits (${(groups.events / groups.groups).toFixed(1)} per commit)\n`,
  );

  // Minimal path over bench-a's rows, split between the concurrency settings.
  if (process.argv.includes('--ack-only')) concurrencies.length = 0;
  for (const [k, c] of concurrencies.entries()) {
    await prepare('bench-a', k, concurrencies.length);
    const r = await applyRun('bench-a', recordingApply(), c, 120);
    process.stdout.write(
      `  apply, 1 worker, concurrency ${c}, batch 100, recording apply path (1 upsert per event): ${r.applied} events in ${(r.ms / 1000).toFixed(1)} s = ${r.eventsPerSecond.toFixed(0)} events/s (target >= 1000), load ${load()}\n`,
    );
  }
  // Real path over bench-b's rows (each run on fresh people: its own slice of rows).
  const resolver = new IdentityResolver(db.dataSource);
  const real = inboxApplyOf(new ApplyService(db.dataSource, resolver, log));
  for (const [k, c] of concurrencies.entries()) {
    await prepare('bench-b', k, concurrencies.length);
    const r = await applyRun('bench-b', real, c, applySeconds);
    process.stdout.write(
      `  apply, 1 worker, concurrency ${c}, batch 100, ApplyService + identity resolver (1 person + 1 interaction each): ${r.applied} events in ${(r.ms / 1000).toFixed(1)} s = ${r.eventsPerSecond.toFixed(0)} events/s, load ${load()}\n`,
    );
  }
  // Linking events: each a new record (its own user id) whose email an applied record already
  // holds, so it is attached to that customer through the email: the one-by-one path (the runs
  // above are new people and re-deliveries, which a batch applies set-based).
  if (concurrencies.length) {
    const linking = 1000 * concurrencies.length;
    await storeDeliveries('bench-c', linking, (i) => ({
      id: `bench-c-${i}`,
      text: `linking ${i}`,
      userId: `c-${i}`,
      // people the ack runs stored and the runs above applied (emails repeat every 2,000 deliveries)
      email: `person${i % Math.min(2000, total)}@example.org`,
      occurredAt: new Date(1_700_000_000_000 + i).toISOString(),
    }));
    for (const [k, c] of concurrencies.entries()) {
      await prepare('bench-c', k, concurrencies.length);
      const r = await applyRun('bench-c', real, c, applySeconds);
      process.stdout.write(
        `  apply, 1 worker, concurrency ${c}, batch 100, ApplyService + identity resolver, linking events (a new record attached to an existing customer through its email, + 1 interaction each): ${r.applied} events in ${(r.ms / 1000).toFixed(1)} s = ${r.eventsPerSecond.toFixed(0)} events/s, load ${load()}\n`,
      );
    }
  }
} finally {
  await db.close();
}

/** Stores `n` one-event deliveries for `instance` through the real router (not timed), 16 at a time. */
async function storeDeliveries(instance: string, n: number, event: (i: number) => EchoEvent) {
  const server = await serve(db.dataSource, batching);
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const send = async (i: number) => {
      const status = await postEchoDelivery(
        { port: server.port, instance, agent },
        signedEchoDelivery([event(i)], SECRET),
      );
      if (status !== 200) throw new Error(`delivery ${i} answered ${status || 'no connection'}`);
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < n) await send(next++);
      }),
    );
    agent.destroy();
  } finally {
    await server.close();
  }
}
