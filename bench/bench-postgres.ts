import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import type { Logger } from '../src/log/logger.js';

/**
 * The Postgres server a bench runs on: DATABASE_URL's, or an embedded one in a temp directory
 * that `stop()` shuts down and removes.
 */
export async function benchPostgres(
  log: Logger,
): Promise<{ url: string; stop(): Promise<void>; /** CPU ms used so far by the embedded server's processes (null with DATABASE_URL). */ cpuMs(): number | null }> {
  const url = process.env.DATABASE_URL;
  if (url) return { url, stop: async () => {}, cpuMs: () => null };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-bench-'));
  // Postgres may run as another user when we are root: it must reach its data directory.
  fs.chmodSync(dir, 0o755);
  const embedded = await startEmbeddedPostgres(dir, log);
  const postmaster = Number(fs.readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    url: embedded.url,
    cpuMs: () => processTreeCpuMs(postmaster),
    async stop() {
      await embedded.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
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
  if (!fs.existsSync('/proc/self/stat')) return null;
  const tick = 10; // USER_HZ is 100 on Linux: one tick is 10 ms
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command (which may hold spaces) in parentheses: state ppid ... utime(14) stime(15).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) !== root && Number(f[1]) !== root) continue;
    total += (Number(f[11]) + Number(f[12])) * tick;
    // the root's cutime + cstime: children that exited (a backend closed by the pool) keep counting
    if (Number(entry) === root) total += (Number(f[13]) + Number(f[14])) * tick;
  }
  return total;
}
