import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import type { Logger } from '../src/log/logger.js';

/**
 * The Postgres server a bench runs on: DATABASE_URL's, or an embedded one in a temp directory
 * that `stop()` shuts down and removes.
 */
export async function benchPostgres(log: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url) return { url, stop: async () => {} };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-bench-'));
  // Postgres may run as another user when we are root: it must reach its data directory.
  fs.chmodSync(dir, 0o755);
  const embedded = await startEmbeddedPostgres(dir, log);
  return {
    url: embedded.url,
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
