import fs from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { openDatabase } from '../../db/database.js';
import { createLogger } from '../../log/logger.js';
import { LabelledCsvError, parseFieldMap, readLabelledCsv } from './labelled-csv.js';
import { evaluateLinkage, withScratchDatabase, type LinkageReport } from './linkage-evaluation.js';

/** Human-readable summary; the caller prints the JSON line last. */
export function formatLinkageReport(file: string, r: LinkageReport): string {
  const f = (x: number) => x.toFixed(4);
  return [
    `${file}: ${r.records} records, ${r.trueClusters} true clusters (${r.seconds}s through IdentityResolver.applyPerson)`,
    `auto-links:                  precision ${f(r.precision)}  recall ${f(r.recall)}  f1 ${f(r.f1)}  clusters ${r.clusters}`,
    `auto-links + ${String(r.pendingSuggestions).padEnd(4)} suggestions: precision ${f(r.precision_with_suggestions)}  recall ${f(r.recall_with_suggestions)}  f1 ${f(r.f1_with_suggestions)}  clusters ${r.clusters_with_suggestions}`,
    ...(r.skipped ? [`skipped records: ${r.skipped}`] : []),
  ].join('\n');
}

/**
 * `touchpoint identity evaluate <file.csv> --truth COLUMN --map column=field,...`: resolves a
 * labelled CSV on a scratch database of the hub's Postgres (DATABASE_URL or the embedded one),
 * prints pairwise precision/recall/F1, and ends with one JSON line.
 */
export function registerIdentityCommands(program: Command): void {
  const identity = program.command('identity').description('Identity graph tools');
  identity
    .command('evaluate')
    .description(
      'Measure identity resolution on a labelled CSV (scratch database, dropped afterwards); last line is JSON',
    )
    .argument('<file>', 'CSV file with a header row')
    .requiredOption('--truth <column>', 'column holding the true cluster label')
    .requiredOption(
      '--map <column=field,...>',
      'columns to canonical fields: firstName, lastName, dob, city, address, postcode, email, phone...',
    )
    .option('--id <column>', 'column holding the record id (default: the row number)')
    .action(async (file: string, opts: { truth: string; map: string; id?: string }) => {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        process.stderr.write(`touchpoint: cannot read ${file}: ${(err as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      let records;
      try {
        records = readLabelledCsv(text, {
          truthColumn: opts.truth,
          map: parseFieldMap(opts.map),
          ...(opts.id ? { idColumn: opts.id } : {}),
        });
      } catch (err) {
        if (
          !(err instanceof LabelledCsvError) &&
          !(
            err instanceof Error &&
            'code' in err &&
            String((err as { code: unknown }).code).startsWith('CSV_')
          )
        )
          throw err;
        process.stderr.write(`touchpoint: ${file}: ${err.message}\n`);
        process.exitCode = 1;
        return;
      }
      const cfg = loadConfig();
      const log = createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel);
      const db = await openDatabase(cfg, log, {
        migrate: false,
        applicationName: 'touchpoint-identity-evaluate',
      });
      try {
        const report = await withScratchDatabase(db.url, (ds) => evaluateLinkage(ds, records));
        process.stdout.write(`${formatLinkageReport(file, report)}\n${JSON.stringify(report)}\n`);
      } finally {
        await db.close();
      }
    });
}
