import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PerformanceEntry } from 'node:perf_hooks';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import pg from 'pg';
import type { Logger } from '../src/log/logger.js';

/**
 * The Postgres server a bench runs on: DATABASE_URL's, or an embedded one in a temp directory
 * that `stop()` shuts down and removes. `settings` (server parameters, e.g. shared_buffers) apply
 * to the embedded server only: written with ALTER SYSTEM, then the server is restarted so that
 * restart-only ones take effect too. `env` is added to the embedded server's environment (see
 * SERVER_MALLOC). A bench that passes any must print them with its figures.
 */
export async function benchPostgres(
  log: Logger,
  settings: Record<string, string> = {},
  env: Record<string, string> = {},
): Promise<{
  url: string;
  stop(): Promise<void>;
  /** CPU ms used so far by the embedded server's processes (null with DATABASE_URL). */ cpuMs():
    number | null;
  /** Minor page faults of the embedded server's processes so far (null with DATABASE_URL). */
  minorFaults(): number | null;
}> {
  const url = process.env.DATABASE_URL;
  if (url) return { url, stop: async () => {}, cpuMs: () => null, minorFaults: () => null };
  // The embedded server is a child of this process and inherits its environment.
  Object.assign(process.env, env);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-bench-'));
  // Postgres may run as another user when we are root: it must reach its data directory.
  fs.chmodSync(dir, 0o755);
  let embedded = await startEmbeddedPostgres(dir, log);
  if (Object.keys(settings).length) {
    const client = new pg.Client({ connectionString: embedded.url });
    await client.connect();
    try {
      for (const [name, value] of Object.entries(settings)) {
        if (!/^[a-z_]+$/.test(name))
          throw new Error(`bench Postgres setting ${JSON.stringify(name)} is not a parameter name`);
        await client.query(`ALTER SYSTEM SET ${name} = ${client.escapeLiteral(value)}`);
      }
    } finally {
      await client.end();
    }
    await embedded.stop();
    embedded = await startEmbeddedPostgres(dir, log);
  }
  const server = embedded;
  const postmaster = Number(fs.readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    url: server.url,
    cpuMs: () => processTreeCpuMs(postmaster),
    minorFaults: () => processTreeUsage(postmaster)?.minorFaults ?? null,
    async stop() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PerformanceEntry detail.kind of a GC (perf_hooks constants NODE_PERFORMANCE_GC_*). */
const GC_KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };

/** The kind of a `gc` performance entry: minor, major, incremental, weakcb or other. */
export const gcKind = (entry: PerformanceEntry): string =>
  GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';

/** The Node flags this process runs with: its command line's and NODE_OPTIONS'. */
export const nodeFlags = (): string[] =>
  [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].filter(Boolean);

/**
 * Runs this bench again, in a child process, with the Node `flags` this process was started
 * without (given on the command line or in NODE_OPTIONS; some flags are refused in NODE_OPTIONS).
 * Returns true when it did (the caller returns; the exit code is the child's), false when no flag
 * was missing.
 */
export function withNodeFlags(flags: readonly string[]): boolean {
  const given = nodeFlags();
  const missing = flags.filter((f) => !given.some((g) => g.split('=')[0] === f.split('=')[0]));
  if (!missing.length) return false;
  const child = spawnSync(
    process.execPath,
    [...missing, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exitCode = child.status ?? 1;
  return true;
}

/** Runs a bench's main: a failure prints its stack and exits 1. */
export function runBench(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(
      `${name} bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}

/**
 * CPU time (user + system, ms) of a process and its children, read from /proc (Linux; null
 * elsewhere), children that have exited included (the root's cutime and cstime).
 */
export function processTreeCpuMs(root: number): number | null {
  return processTreeUsage(root)?.cpuMs ?? null;
}

/**
 * CPU time (ms) and minor page faults of a process and its children, read from /proc (Linux;
 * null elsewhere), children that have exited included (the root's cutime, cstime and cminflt).
 * On these VMs a page fault costs tens of microseconds (memory first touched, or touched again
 * after it went back to the host), so the faults explain CPU that the work itself does not.
 */
export function processTreeUsage(root: number): { cpuMs: number; minorFaults: number } | null {
  if (!fs.existsSync('/proc/self/stat')) return null;
  const tick = 10; // USER_HZ is 100 on Linux: one tick is 10 ms
  let cpuMs = 0;
  let minorFaults = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command (which may hold spaces) in parentheses: state(3) ppid(4) ...
    // minflt(10) cminflt(11) majflt cmajflt utime(14) stime(15) cutime(16) cstime(17).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) !== root && Number(f[1]) !== root) continue;
    cpuMs += (Number(f[11]) + Number(f[12])) * tick;
    minorFaults += Number(f[7]);
    // the root's children that exited (a backend closed by the pool) keep counting
    if (Number(entry) === root) {
      cpuMs += (Number(f[13]) + Number(f[14])) * tick;
      minorFaults += Number(f[8]);
    }
  }
  return { cpuMs, minorFaults };
}

/**
 * Settings of a Postgres server sized for this machine (24 GB), as a hub holding a million
 * customers would be run: a quarter of the memory as shared buffers (the usual advice; the
 * default, 128 MB, is sized for a laptop). On these machines it matters more than elsewhere:
 * the kernel's proactive reclaim (DAMON `pageout` on cold, unmapped file pages) drops page cache
 * that has not been touched for a few seconds, so rows outside shared buffers are read from disk
 * again. `PG_DEFAULTS=1` runs with the defaults instead. Print the settings with the figures.
 */
export const SIZED_SERVER: Record<string, string> =
  process.env.PG_DEFAULTS === '1' ? {} : { shared_buffers: '6GB', max_wal_size: '8GB' };

/**
 * The server's C library keeps up to 256 MB of freed memory at the top of each backend's heap
 * (glibc's trim threshold; its default is 128 kB) instead of handing it back after every
 * statement. A statement with many sorts and aggregates (the identity apply) grows the heap by
 * about 0.9 MB and frees it again: with the default, each apply then page-faulted ~215 times to get
 * that memory back, and on this VM a fault costs ~25 µs (100k records, p50 10.8 ms against 8.4 ms
 * with this setting, 3 faults per apply). Whether a backend churns depends on its history (one
 * that once freed a big enough block has a raised threshold), so without it the figure also
 * depended on which pool connection served the streamed records. PG_DEFAULTS=1 leaves it out.
 */
export const SERVER_MALLOC: Record<string, string> =
  process.env.PG_DEFAULTS === '1' ? {} : { GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=268435456' };

/**
 * Loads every table and index of the database into shared buffers (pg_prewarm), as a server that
 * has been answering for a while holds its working set; answers the MB loaded, or null (with the
 * reason on stderr) when the server lacks the extension.
 */
export async function prewarm(query: (sql: string) => Promise<unknown>): Promise<number | null> {
  try {
    await query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
  } catch (err) {
    process.stderr.write(`pg_prewarm is not available, not prewarming: ${String(err)}\n`);
    return null;
  }
  const rows = (await query(
    `SELECT coalesce(sum(pg_prewarm(c.oid)), 0)::bigint AS blocks
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 't', 'm')`,
  )) as { blocks: string }[];
  return Math.round((Number(rows[0]?.blocks ?? 0) * 8) / 1024);
}

let _loopSink = 0;

/**
 * How fast this host is at the moment, for comparing figures taken on different days: the ms a
 * fixed integer loop takes on one core (it does no memory access), and the µs of CPU that touching
 * one page of new memory costs (256 MB written once; on these VMs it moves by several times from
 * host to host). Run before the measured work, its figures printed with the bench's.
 */
export function hostCheck(): { loopMs: number; faultMicros: number } {
  const t = performance.now();
  let x = 0;
  for (let i = 0; i < 100_000_000; i++) x = (x * 31 + i) | 0;
  const loopMs = Math.round(performance.now() - t);
  _loopSink ^= x; // the loop's result is used: it cannot be optimised away
  const pages = (256 * 2 ** 20) / 4096;
  const faults0 = process.resourceUsage().minorPageFault;
  const cpu0 = process.cpuUsage();
  Buffer.allocUnsafeSlow(256 * 2 ** 20).fill(1);
  const cpu = process.cpuUsage(cpu0);
  // Divided by at least half the pages: memory the C library handed out again faults less.
  const faulted = Math.max(process.resourceUsage().minorPageFault - faults0, pages / 2);
  return {
    loopMs,
    faultMicros: Math.round(((cpu.user + cpu.system) / faulted) * 10) / 10,
  };
}
