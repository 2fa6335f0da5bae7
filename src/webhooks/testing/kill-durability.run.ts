import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import express from 'express';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../log/logger.js';
import { PROJECT_ROOT } from '../../version.js';
import { instanceLookupOf } from '../webhook-instance.js';
import { createWebhookRouter } from '../webhook.router.js';
import { echoInstance, postEchoDelivery, signedEchoDelivery } from './echo.connector.js';

/**
 * The durability run of issue 4: webhooks are acknowledged by an in-process intake while a worker
 * in a CHILD PROCESS (dist/src/jobs/inbox-worker.child.js) applies them; the child is SIGKILLed
 * mid-run, restarted, and the database is then counted. Used by the integration test (1,000) and
 * bench/webhook-durability.bench.ts (10,000).
 */
export interface KillRunOptions {
  ds: DataSource;
  databaseUrl: string;
  log: Logger;
  events: number;
  /** Kill the first worker once this share of the events is applied. Default 0.3. */
  killAt?: number;
  /** Per-event pause in the first worker so the kill lands inside a batch. Default 1 ms. */
  applyDelayMs?: number;
  /** Requests in flight at once. Default 16. */
  inFlight?: number;
  timeoutMs?: number;
}

export interface KillRunResult {
  acknowledged: number;
  /** Events applied when the SIGKILL was sent (must be below `acknowledged` for the run to mean anything). */
  appliedAtKill: number;
  /** Worker transactions open at the moment of the kill (pg_stat_activity). */
  openTransactionsAtKill: number;
  /** Child exit signal (SIGKILL). */
  killSignal: NodeJS.Signals | null;
  inboxRows: number;
  applied: number;
  notApplied: number;
  interactions: number;
  /** Interactions applied more than once (applyCount > 1). */
  appliedTwice: number;
  elapsedMs: number;
  /** When (ms from start) the kill was sent, the last acknowledgement came, everything was applied. */
  phases: { killedAtMs: number; sentAtMs: number; drainedAtMs: number };
}

const SECRET = 'whsec_durability';
const INSTANCE = 'echo-durable';
const CHILD = path.join(PROJECT_ROOT, 'dist', 'src', 'jobs', 'inbox-worker.child.js');

function startChild(databaseUrl: string, applyDelayMs: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CHILD], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      ECHO_INSTANCE: INSTANCE,
      ECHO_SECRET: SECRET,
      APPLY_DELAY_MS: String(applyDelayMs),
      WORKER_BATCH_SIZE: '50',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`worker child exited before ready (code ${code}, signal ${signal})`)),
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        child.removeAllListeners('exit');
        resolve(child);
      }
    });
  });
}

const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode);
    else child.once('exit', (_code, signal) => resolve(signal));
  });

export async function runKillDurability(options: KillRunOptions): Promise<KillRunResult> {
  const started = Date.now();
  const { ds, events } = options;
  const timeoutMs = options.timeoutMs ?? 120000;
  const count = async (where: string) =>
    Number(
      (
        await ds.query(
          `SELECT count(*)::int AS n FROM inbox_event WHERE connector_instance = $1 AND ${where}`,
          [INSTANCE],
        )
      )[0].n,
    );

  const app = express();
  app.use(
    createWebhookRouter({
      dataSource: ds,
      instances: instanceLookupOf([echoInstance(INSTANCE, SECRET, options.log)]),
      log: options.log,
    }),
  );
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.inFlight ?? 16 });

  const post = async (i: number) =>
    (await postEchoDelivery(
      { port, instance: INSTANCE, agent },
      signedEchoDelivery(
        [{ id: `ev-${i}`, text: `event ${i}`, occurredAt: new Date(1_700_000_000_000 + i).toISOString() }],
        SECRET,
      ),
    )) === 200;

  let acknowledged = 0;
  let next = 0;
  const sender = Promise.all(
    Array.from({ length: options.inFlight ?? 16 }, async () => {
      while (next < events) {
        const i = next++;
        if (await post(i)) acknowledged++;
      }
    }),
  );

  // First worker: killed with SIGKILL once part of the run is applied, inside its transactions.
  let child = await startChild(options.databaseUrl, options.applyDelayMs ?? 1);
  const killAt = Math.max(1, Math.floor(events * (options.killAt ?? 0.3)));
  let appliedAtKill = 0;
  for (;;) {
    appliedAtKill = await count(`status = 'applied'`);
    if (appliedAtKill >= killAt || Date.now() - started > timeoutMs) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const open = await ds.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'touchpoint-inbox-child' AND xact_start IS NOT NULL AND datname = current_database()`,
  );
  child.kill('SIGKILL');
  const killedAtMs = Date.now() - started;
  const killSignal = await exited(child);
  appliedAtKill = await count(`status = 'applied'`);

  await sender;
  const sentAtMs = Date.now() - started;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  agent.destroy();

  // Restarted worker, full speed, until everything acknowledged is settled.
  child = await startChild(options.databaseUrl, 0);
  while ((await count(`status = 'applied'`)) < acknowledged && Date.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const drainedAtMs = Date.now() - started;
  child.kill('SIGTERM');
  await exited(child);

  const [totals] = await ds.query(
    `SELECT count(*)::int AS interactions, count(*) FILTER (WHERE (attributes->>'applyCount')::int > 1)::int AS "appliedTwice"
       FROM interaction WHERE system = 'echo'`,
  );
  return {
    acknowledged,
    appliedAtKill,
    openTransactionsAtKill: Number(open[0].n),
    killSignal,
    inboxRows: await count('true'),
    applied: await count(`status = 'applied'`),
    notApplied: await count(`status <> 'applied'`),
    interactions: totals.interactions,
    appliedTwice: totals.appliedTwice,
    elapsedMs: Date.now() - started,
    phases: { killedAtMs, sentAtMs, drainedAtMs },
  };
}
