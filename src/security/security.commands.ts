import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../config/config.js';
import { openDatabase } from '../db/database.js';
import { createLogger } from '../log/logger.js';
import { PROJECT_ROOT } from '../version.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.js';
import { verifyAuditChain } from './audit-verify.js';
import { ROLES } from './policy.js';
import { trustedDocumentsFromGraphql } from './trusted-documents.js';

async function withDatabase<T>(work: (ds: DataSource) => Promise<T>): Promise<T> {
  const cfg = loadConfig();
  const log = createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel);
  const db = await openDatabase(cfg, log, { migrate: true, applicationName: 'touchpoint-security-cli' });
  try {
    return await work(db.dataSource);
  } finally {
    await db.close();
  }
}

/** Where commands write; tests pass their own. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  setExitCode(code: number): void;
}

const processIo: CommandIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  setExitCode: (c) => void (process.exitCode = c),
};

/**
 * `touchpoint keys create|revoke|list`, `touchpoint audit verify` and
 * `touchpoint trusted-documents`. Errors set the exit code; main.ts exits with it.
 */
export function registerSecurityCommands(program: Command, io: CommandIo = processIo): void {
  const fail = (message: string): void => {
    io.err(`touchpoint: ${message}\n`);
    io.setExitCode(1);
  };
  const keys = program.command('keys').description('API keys: create (shown once), revoke, list');
  keys
    .command('create')
    .description('Create an API key for a role; the key is printed once and only its hash is stored')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .requiredOption('--name <name>', 'who or what uses the key')
    .action(async (opts: { role: string; name: string }) => {
      if (!(ROLES as readonly string[]).includes(opts.role))
        return fail(`--role must be one of ${ROLES.join(', ')} (got "${opts.role}")`);
      await withDatabase(async (ds) => {
        const { key, info } = await createApiKey(ds, { name: opts.name, role: opts.role });
        io.out(
          `created key ${info.id} (${info.role}, "${info.name}")\n${key}\nStore it now: it is not shown again. Send it as Authorization: Bearer <key>.\n`,
        );
      });
    });
  keys
    .command('revoke <id>')
    .description('Revoke an API key by id; requests with it get 401 at once')
    .action(async (id: string) => {
      await withDatabase(async (ds) => {
        if (await revokeApiKey(ds, id)) io.out(`revoked key ${id}\n`);
        else fail(`no live API key has id ${id}`);
      });
    });
  keys
    .command('list')
    .description('List API keys (never the keys themselves)')
    .action(async () => {
      await withDatabase(async (ds) => {
        const rows = await listApiKeys(ds);
        if (!rows.length) return void io.out('no API keys\n');
        for (const k of rows) {
          const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'live';
          io.out(
            `${k.id}  ${k.role.padEnd(10)}  ${k.hint}…  ${state.padEnd(8)}  created ${k.createdAt.toISOString()}  last used ${k.lastUsedAt?.toISOString() ?? 'never'}  ${k.name}\n`,
          );
        }
      });
    });

  program
    .command('audit')
    .description('The hash-chained audit log')
    .command('verify')
    .description('Recompute the hash chain; exit 1 naming the first altered row')
    .action(async () => {
      await withDatabase(async (ds) => {
        const r = await verifyAuditChain(ds);
        if (r.ok) io.out(`audit chain intact: ${r.checked} events verified\n`);
        else
          fail(
            `audit chain broken at seq ${r.firstBad!.seq}: ${r.firstBad!.reason} (${r.checked} events before it verified)`,
          );
      });
    });

  program
    .command('trusted-documents')
    .description('Build trusted-documents.json (sha256 → document) from a .graphql file of operations')
    .option('--from <file>', 'operations to trust', 'examples.graphql')
    .option('--write [file]', 'write the list (default trusted-documents.json) instead of printing it')
    .action((opts: { from: string; write?: string | boolean }) => {
      const from = path.resolve(PROJECT_ROOT, opts.from);
      if (!fs.existsSync(from)) return fail(`${opts.from} does not exist`);
      const json = `${JSON.stringify(trustedDocumentsFromGraphql(fs.readFileSync(from, 'utf8')), null, 2)}\n`;
      if (opts.write) {
        const out = path.resolve(
          PROJECT_ROOT,
          typeof opts.write === 'string' ? opts.write : 'trusted-documents.json',
        );
        fs.writeFileSync(out, json);
        io.out(`wrote ${path.relative(process.cwd(), out)}\n`);
      } else io.out(json);
    });
}
