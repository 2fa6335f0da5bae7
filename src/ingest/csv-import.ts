import fs from 'node:fs';
import path from 'node:path';
import {
  checkHeader,
  MapSpecError,
  parseCsv,
  parseMapSpec,
  rowToPerson,
  type ColumnMapping,
  type CsvRow,
} from '../../connectors/csv/mapping.js';
import type { DataSource } from 'typeorm';
import type { CanonicalIdentifier, CanonicalPerson } from '../connector-kit/canonical.js';
import { bulkResolve } from '../identity/bulk/bulk-resolve.js';
import { reasonOf, type ApplyService } from './apply.service.js';

/** A problem with the whole file or the command line: nothing was applied. */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

export interface ImportReport {
  file: string;
  /** Data rows in the file. */
  rows: number;
  /** Rows written (new or changed). */
  applied: number;
  /** Valid rows skipped by the identity path: older than the stored version, or an erased person. */
  unchanged: number;
  rejected: number;
  /** One line per problem, each naming its row (and column where there is one), in row order. */
  problems: string[];
}

export interface ImportCsvOptions {
  apply: ApplyService;
  /** The source system the rows belong to (their source records' `system`). */
  system: string;
  file: string;
  /** `column=field,...` */
  map: string;
  objectType?: string;
  delimiter?: string;
  /**
   * Resolve the valid rows at once through the set-based bulk path (src/identity/bulk) on this
   * database, in one transaction holding the identity graph exclusively, instead of row by row.
   */
  bulk?: { dataSource: DataSource };
}

function identifierColumns(
  mapping: ColumnMapping[],
): { column: string; identifier: (v: string) => CanonicalIdentifier }[] {
  const out: { column: string; identifier: (v: string) => CanonicalIdentifier }[] = [];
  for (const { column, field } of mapping) {
    if (field === 'email' || field === 'phone')
      out.push({ column, identifier: (value) => ({ kind: field, value }) });
    else if (field.startsWith('social:'))
      out.push({ column, identifier: (value) => ({ kind: 'social', namespace: field.slice(7), value }) });
    else if (field.startsWith('external:'))
      out.push({ column, identifier: (value) => ({ kind: 'external', namespace: field.slice(9), value }) });
  }
  return out;
}

/**
 * Imports a CSV of people through the same apply path as the connectors. Every problem is one
 * line naming its row and column; valid rows are applied, each in its own transaction, so a
 * row is either wholly applied or not at all.
 */
export async function importCsv(options: ImportCsvOptions): Promise<ImportReport> {
  const { apply, system } = options;
  const name = path.basename(options.file);
  let mapping: ColumnMapping[];
  try {
    mapping = parseMapSpec(options.map);
  } catch (err) {
    if (err instanceof MapSpecError) throw new ImportFileError(err.message);
    throw err;
  }
  let text: string;
  try {
    text = fs.readFileSync(options.file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImportFileError(
      `cannot read ${options.file} (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'unknown error')})`,
    );
  }
  if (!text.trim())
    throw new ImportFileError(`${name} is empty: expected a header row and at least one data row`);
  let parsed;
  try {
    parsed = parseCsv(text, options.delimiter ?? ',');
  } catch (err) {
    throw new ImportFileError(`${name} is ${(err as Error).message}`);
  }
  const missing = checkHeader(parsed.header, mapping);
  if (missing.length) throw new ImportFileError(`${name}: ${missing.join('; ')}`);
  if (!parsed.rows.length && !parsed.problems.length)
    throw new ImportFileError(`${name} has a header row but no data rows`);

  const report: ImportReport = {
    file: options.file,
    rows: parsed.rows.length + parsed.problems.length,
    applied: 0,
    unchanged: 0,
    rejected: parsed.problems.length,
    problems: [],
  };
  const problems: { row: number; message: string }[] = [...parsed.problems];
  const seen = new Map<string, number>();
  const idColumns = identifierColumns(mapping);
  const hasExternalId = mapping.some((m) => m.field === 'externalId');
  const objectType = options.objectType ?? 'contact';

  const bulkRows: { row: number; person: CanonicalPerson }[] = [];
  for (const row of parsed.rows) {
    const rowProblems = validateRow(row, idColumns, apply);
    let person;
    try {
      person = rowToPerson(row, mapping, objectType);
    } catch (err) {
      rowProblems.push((err as Error).message);
    }
    if (person && !rowProblems.length) {
      const first = seen.get(person.externalId);
      if (first !== undefined) {
        rowProblems.push(
          `row ${row.row}: duplicate of row ${first} (${hasExternalId ? `same externalId "${person.externalId}"` : 'same values'})`,
        );
      } else seen.set(person.externalId, row.row);
    }
    if (rowProblems.length || !person) {
      report.rejected++;
      problems.push(...rowProblems.map((message) => ({ row: row.row, message })));
      continue;
    }
    if (options.bulk) {
      bulkRows.push({ row: row.row, person });
      continue;
    }
    try {
      const outcome = await apply.applyBatch(system, { people: [person] });
      if (outcome.people.applied) report.applied++;
      else report.unchanged++;
    } catch (err) {
      report.rejected++;
      problems.push({ row: row.row, message: `row ${row.row}: not applied: ${reasonOf(err)}` });
    }
  }
  if (options.bulk && bulkRows.length) {
    const result = await bulkResolve(
      options.bulk.dataSource,
      bulkRows.map((r) => ({ system, person: r.person })),
      { config: apply.identity.config, actor: `bulk:csv:${system}` },
    );
    // Rows the bulk path refused (none after the checks above, unless the data is odd).
    const refused = new Set<number>();
    for (const p of result.rejected) {
      const row = bulkRows[p.index]!.row;
      problems.push({ row, message: `row ${row}: not applied: ${p.message}` });
      refused.add(p.index);
    }
    for (const p of result.problems) {
      const row = bulkRows[p.index]!.row;
      problems.push({ row, message: `row ${row}: ${p.message}` });
    }
    report.rejected += refused.size;
    report.applied += result.inserted + result.updated;
    report.unchanged += result.skipped;
  }
  report.problems = problems.sort((a, b) => a.row - b.row).map((p) => p.message);
  return report;
}

/** Identifier formats, column by column, with the hub's own normalisers. */
function validateRow(
  row: CsvRow,
  idColumns: ReturnType<typeof identifierColumns>,
  apply: ApplyService,
): string[] {
  const out: string[] = [];
  for (const { column, identifier } of idColumns) {
    const value = (row.values[column] ?? '').trim();
    if (!value) continue;
    const { problems } = apply.identity.normalise({
      objectType: 'row',
      externalId: String(row.row),
      identifiers: [identifier(value)],
    });
    for (const p of problems) out.push(`row ${row.row}, column "${column}": ${p}`);
  }
  return out;
}
