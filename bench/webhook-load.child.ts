/**
 * Open-loop load generator for bench/webhook-ack.bench.ts, run as its own process (forked) so
 * its CPU is not the server's event loop. Receives one job over IPC, answers with the latencies:
 * each delivery is sent at its scheduled time (`start + i / rate`) and its latency is counted
 * from that time, so a stall in the server, the generator or the machine is not hidden.
 * Deliveries are built and signed before the clock starts.
 */
import http from 'node:http';
import { postEchoDelivery, signedEchoDelivery } from '../src/webhooks/testing/echo.connector.js';

export interface LoadJob {
  port: number;
  instance: string;
  secret: string;
  rate: number;
  total: number;
  /**
   * Seconds of warm-up deliveries first, at the same rate and open loop, not measured: a server in
   * production is warm (optimised code, pools filled), and a cold start is not the steady state the
   * target is about. The generator sends `{ measuring: true }` over IPC when the measured run starts.
   */
  warmupSeconds: number;
  /** Event ids are `${idPrefix}${i}`. */
  idPrefix: string;
}

export interface LoadResult {
  /** Milliseconds from scheduled send to the end of the response, sorted. */
  latencies: number[];
  /** Responses by HTTP status (0: connection error). */
  statuses: Record<string, number>;
  wallMs: number;
  /** How late the generator itself was at sending, worst case (its own lag). */
  maxSendLagMs: number;
}

async function run(job: LoadJob): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const build = (id: string, i: number) =>
    signedEchoDelivery(
      [
        {
          id,
          text: `bench ${i}`,
          email: `person${Math.abs(i) % 2000}@example.org`,
          occurredAt: new Date(1_700_000_000_000 + i).toISOString(),
        },
      ],
      job.secret,
    );
  const send = (d: { body: string; headers: Record<string, string> }) =>
    postEchoDelivery({ port: job.port, instance: job.instance, agent }, d);

  const warm = Array.from({ length: Math.round(job.warmupSeconds * job.rate) }, (_, i) =>
    build(`${job.idPrefix}warm-${i}`, -1 - i),
  );
  await openLoop(warm.length, job.rate, (i) => send(warm[i]!));
  process.send?.({ measuring: true });
  const deliveries = Array.from({ length: job.total }, (_, i) => build(`${job.idPrefix}${i}`, i));

  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const start = performance.now();
  const maxSendLagMs = await openLoop(job.total, job.rate, (i, due) =>
    send(deliveries[i]!).then((status) => {
      latencies.push(performance.now() - due);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }),
  );
  const wallMs = performance.now() - start;
  agent.destroy();
  return { latencies: latencies.sort((a, b) => a - b), statuses, wallMs, maxSendLagMs };
}

/** Calls `fire(i, due)` at `start + i / rate` for i < n, waits for all; answers the worst send lag. */
async function openLoop(n: number, rate: number, fire: (i: number, due: number) => Promise<unknown>) {
  let maxSendLagMs = 0;
  const pending: Promise<unknown>[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    maxSendLagMs = Math.max(maxSendLagMs, performance.now() - due);
    pending.push(fire(i, due));
  }
  await Promise.all(pending);
  return maxSendLagMs;
}

process.once('message', (job: LoadJob) => {
  run(job).then(
    (result) => process.send?.(result, () => process.exit(0)),
    (err: unknown) => {
      process.stderr.write(`load generator failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
});
