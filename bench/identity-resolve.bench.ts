/**
 * Identity resolution throughput and latency, through IdentityResolver.applyPerson (the
 * production path) on a scratch database of real Postgres (DATABASE_URL's server, or an embedded
 * one in a temp dir).
 *
 *   npm run build && node dist/bench/identity-resolve.bench.js [records=5000] [streamed=300] [concurrency=8] [base=0]
 *
 * `base` > 0 first loads that many records of another seed through the bulk path (src/identity/bulk),
 * so the record-by-record figures are measured on a graph of realistic size (the streamed
 * target is on top of 1,000,000 records).
 *
 * Records: people spread over five systems with realistic overlap (a person is in 1–5 systems;
 * systems share the email or the phone, sometimes only one of them; some records carry a second,
 * personal email; names with small variations), so most applies link to an existing customer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CanonicalIdentifier, CanonicalPerson } from '../src/connector-kit/canonical.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { bulkResolve } from '../src/identity/bulk/bulk-resolve.js';
import { withScratchDatabase } from '../src/identity/evaluate/linkage-evaluation.js';
import { IdentityResolver } from '../src/identity/identity-resolver.service.js';
import { createLogger } from '../src/log/logger.js';

const SYSTEMS = ['hubspot', 'salesforce', 'stripe', 'zendesk', 'twilio'] as const;
const FIRST = [
  'Olivia',
  'Liam',
  'Amara',
  'Noah',
  'Sofia',
  'Mateo',
  'Aisha',
  'Lucas',
  'Mei',
  'Omar',
  'Freya',
  'Ivan',
  'Zara',
  'Kofi',
  'Elena',
  'Raj',
];
const LAST_HEAD = [
  'Ash',
  'Brad',
  'Carl',
  'Dun',
  'Ell',
  'Fair',
  'Gold',
  'Hart',
  'Ing',
  'Kings',
  'Lang',
  'Mar',
  'Nor',
  'Oak',
  'Pen',
  'Rad',
  'Stan',
  'Thorn',
  'Wood',
  'Whit',
];
const LAST_TAIL = [
  'ford',
  'ley',
  'ton',
  'well',
  'by',
  'field',
  'ham',
  'wick',
  'more',
  'stead',
  'ridge',
  'worth',
  'dale',
  'bury',
  'combe',
  'hurst',
  'wood',
  'brook',
  'shaw',
  'low',
];

/** Deterministic PRNG so runs compare. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateRecords(count: number, seed = 42): { system: string; person: CanonicalPerson }[] {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const out: { system: string; person: CanonicalPerson }[] = [];
  for (let p = 0; out.length < count; p++) {
    const first = pick(FIRST);
    // 400 surnames x 16 first names: namesakes exist, as in a real customer base.
    const last = pick(LAST_HEAD) + pick(LAST_TAIL);
    const email = `${first}.${last}.${p}@example.com`.toLowerCase();
    const phone = `+447${String(400000000 + p).padStart(9, '0')}`;
    const dob = `19${50 + Math.floor(rand() * 50)}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`;
    const systems = SYSTEMS.filter(() => rand() < 0.5);
    if (!systems.length) systems.push(pick(SYSTEMS));
    for (const system of systems) {
      if (out.length >= count) break;
      const ids: CanonicalIdentifier[] = [];
      const r = rand();
      if (r < 0.75) ids.push({ kind: 'email', value: rand() < 0.2 ? email.toUpperCase() : email });
      if (r > 0.5) ids.push({ kind: 'phone', value: phone });
      if (rand() < 0.1) ids.push({ kind: 'email', value: `${first}${p}@mail.example.net`.toLowerCase() });
      ids.push({ kind: 'external', namespace: `${system}:contact`, value: `c${p}` });
      out.push({
        system,
        person: {
          objectType: 'contact',
          externalId: `c${p}`,
          updatedAt: new Date(Date.UTC(2026, 0, 1) + p * 1000),
          traits: {
            firstName: rand() < 0.1 ? first.slice(0, 3) : first,
            lastName: last,
            ...(rand() < 0.6 ? { dob } : {}),
            city: pick(['Leeds', 'York', 'Bristol', 'Cardiff']),
          },
          identifiers: ids,
        },
      });
    }
  }
  // Sources deliver in their own order, not person by person.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function main(): Promise<void> {
  const [records = 5000, streamed = 300, concurrency = 8, base = 0] = process.argv.slice(2).map(Number);
  const log = createLogger('warn');
  let serverUrl = process.env.DATABASE_URL;
  let embedded: { stop(): Promise<void> } | undefined;
  if (!serverUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-bench-'));
    fs.chmodSync(dir, 0o755); // embedded Postgres runs as its own user when we are root
    const e = await startEmbeddedPostgres(dir, log);
    embedded = e;
    serverUrl = e.url;
  }
  const all = generateRecords(records + streamed);
  const bulk = all.slice(0, records);
  const stream = all.slice(records);
  try {
    await withScratchDatabase(
      serverUrl,
      async (ds) => {
        const resolver = new IdentityResolver(ds);
        if (base > 0) {
          const b0 = process.hrtime.bigint();
          await bulkResolve(
            ds,
            generateRecords(base, 7).map((r) => ({
              system: r.system,
              person: { ...r.person, externalId: `base-${r.person.externalId}` },
            })),
          );
          const s = Number(process.hrtime.bigint() - b0) / 1e9;
          process.stdout.write(`base graph: ${base} records bulk-loaded in ${Math.round(s)}s\n`);
        }
        let next = 0;
        const t0 = process.hrtime.bigint();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < bulk.length) {
              const r = bulk[next++]!;
              await resolver.applyPerson(r.system, r.person);
            }
          }),
        );
        const bulkSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const latencies: number[] = [];
        for (const r of stream) {
          const s = process.hrtime.bigint();
          await resolver.applyPerson(r.system, r.person);
          latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
        }
        latencies.sort((a, b) => a - b);
        const [{ customers }] = (await ds.query(
          `SELECT count(*)::int AS customers FROM customer WHERE status = 'active'`,
        )) as [{ customers: number }];
        const result = {
          records,
          base,
          concurrency,
          bulkSeconds: Math.round(bulkSeconds * 10) / 10,
          bulkRecordsPerSecond: Math.round(records / bulkSeconds),
          streamed,
          streamedP50Ms: Math.round(quantile(latencies, 0.5) * 10) / 10,
          streamedP99Ms: Math.round(quantile(latencies, 0.99) * 10) / 10,
          customers,
          cpus: os.cpus().length,
          node: process.version,
          date: new Date().toISOString(),
        };
        process.stdout.write(
          `bulk import: ${records} records in ${result.bulkSeconds}s = ${result.bulkRecordsPerSecond} records/s (concurrency ${concurrency})\n`,
        );
        process.stdout.write(
          `streamed apply (one at a time, on top): p50 ${result.streamedP50Ms} ms, p99 ${result.streamedP99Ms} ms over ${streamed}\n`,
        );
        process.stdout.write(`${JSON.stringify(result)}\n`);
      },
      { poolMax: concurrency },
    );
  } finally {
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `identity-resolve bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
