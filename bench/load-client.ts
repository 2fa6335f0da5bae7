/**
 * The load generator of the API benches, run as a child process (`fork`) so that its own CPU is
 * not taken from the server's event loop and the server's CPU per request can be read apart.
 * It answers one message per job: a steady open-loop rate or a closed-loop maximum.
 */
import process from 'node:process';

export type BodySpec =
  | { kind: 'fixed'; body: string }
  /** `variables[name]` is picked at random from `values` for each request. */
  | { kind: 'pick'; query: string; name: string; values: (string | null)[] };

export type LoadJob = (
  | { mode: 'steady'; url: string; spec: BodySpec; rate: number; seconds: number }
  | { mode: 'max'; url: string; spec: BodySpec; clients: number; seconds: number }
) & { /** Sent with every request (e.g. authorization). */ headers?: Record<string, string> };

export interface LoadResult {
  /** Latencies in ms (steady: from each request's scheduled time). */
  latencies: number[];
  /** Steady mode: how late the generator itself sent each request past its scheduled time, in ms. */
  sendLag?: number[];
  requests: number;
  seconds: number;
  errors: number;
  firstError?: string;
}

function bodies(spec: BodySpec): () => string {
  if (spec.kind === 'fixed') return () => spec.body;
  return () =>
    JSON.stringify({ query: spec.query, variables: { [spec.name]: spec.values[Math.floor(Math.random() * spec.values.length)] } });
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  if (res.status !== 200 || text.includes('"errors"')) throw new Error(`bad answer ${res.status}: ${text.slice(0, 200)}`);
}

export async function runJob(job: LoadJob): Promise<LoadResult> {
  const next = bodies(job.spec);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const fail = (err: unknown) => {
    errors++;
    firstError ??= (err as Error).message;
  };
  const start = performance.now();
  if (job.mode === 'steady') {
    const total = Math.round(job.rate * job.seconds);
    const inflight: Promise<void>[] = [];
    const sendLag: number[] = [];
    for (let i = 0; i < total; i++) {
      const at = start + (i * 1000) / job.rate;
      const wait = at - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sendLag.push(performance.now() - at);
      inflight.push(post(job.url, next(), job.headers).then(() => void latencies.push(performance.now() - at), fail));
    }
    await Promise.all(inflight);
    const seconds = (performance.now() - start) / 1000;
    return { latencies, sendLag, requests: latencies.length, seconds, errors, ...(firstError ? { firstError } : {}) };
  } else {
    const until = start + job.seconds * 1000;
    await Promise.all(
      Array.from({ length: job.clients }, async () => {
        while (performance.now() < until) {
          const t = performance.now();
          await post(job.url, next(), job.headers).then(() => void latencies.push(performance.now() - t), fail);
        }
      }),
    );
  }
  const seconds = (performance.now() - start) / 1000;
  return { latencies, requests: latencies.length, seconds, errors, ...(firstError ? { firstError } : {}) };
}

if (process.send) {
  process.on('message', (job: LoadJob) => {
    runJob(job).then(
      (r) => process.send!(r),
      (err: unknown) => process.send!({ latencies: [], requests: 0, seconds: 0, errors: 1, firstError: String(err) }),
    );
  });
}
