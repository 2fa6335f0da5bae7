import crypto from 'node:crypto';
import { parse } from 'csv-parse/sync';
import {
  MappingError,
  type CanonicalIdentifier,
  type CanonicalPerson,
} from '../../src/connector-kit/index.js';

/** Fields a column can be mapped to; `social:<platform>`, `external:<system:object>` and `trait:<name>` take a suffix. */
export const CSV_FIELDS = [
  'externalId',
  'email',
  'phone',
  'firstName',
  'lastName',
  'displayName',
  'dob',
  'city',
  'address',
  'postcode',
  'country',
  'company',
  'jobTitle',
  'updatedAt',
] as const;
const PREFIXED = ['social:', 'external:', 'trait:'];

export interface ColumnMapping {
  column: string;
  field: string;
}

/** A bad `--map` value or `config.map`: the message is one line for the operator. */
export class MapSpecError extends Error {
  override name = 'MapSpecError';
}

/**
 * Parses `column=field,column=field` (e.g. `E-mail=email,Mobile=phone,Id=externalId`).
 * @example
 * parseMapSpec('Email=email,Mobile=phone'); // [{ column: 'Email', field: 'email' }, { column: 'Mobile', field: 'phone' }]
 */
export function parseMapSpec(spec: string): ColumnMapping[] {
  const parts = spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (!parts.length)
    throw new MapSpecError('--map is empty: give column=field pairs, like "Email=email,Mobile=phone"');
  const out: ColumnMapping[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1)
      throw new MapSpecError(`--map entry "${part}" is not column=field`);
    const column = part.slice(0, eq).trim();
    const field = part.slice(eq + 1).trim();
    const known =
      (CSV_FIELDS as readonly string[]).includes(field) ||
      PREFIXED.some((p) => field.startsWith(p) && field.length > p.length);
    if (!known)
      throw new MapSpecError(
        `--map entry "${part}": field "${field}" is not one of ${CSV_FIELDS.join(', ')}, social:<platform>, external:<system:object>, trait:<name>`,
      );
    if (out.some((m) => m.column === column)) throw new MapSpecError(`--map maps column "${column}" twice`);
    if (field === 'externalId' && out.some((m) => m.field === 'externalId'))
      throw new MapSpecError('--map maps two columns to externalId');
    out.push({ column, field });
  }
  if (
    !out.some(
      (m) =>
        ['email', 'phone', 'externalId'].includes(m.field) ||
        m.field.startsWith('social:') ||
        m.field.startsWith('external:'),
    )
  ) {
    throw new MapSpecError(
      '--map must map at least one column to externalId, email, phone, social:<platform> or external:<system:object>',
    );
  }
  return out;
}

/** One data row: `row` is its row number as a spreadsheet shows it (the header is row 1). */
export interface CsvRow {
  row: number;
  values: Record<string, string>;
}

export interface ParsedCsv {
  header: string[];
  rows: CsvRow[];
  /** Rows whose shape is wrong (too many or too few values), already worded. */
  problems: { row: number; message: string }[];
}

/** Parses CSV text with a header line. Throws MappingError for text that is not CSV at all. */
export function parseCsv(text: string, delimiter = ','): ParsedCsv {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), {
      delimiter,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
    }) as never;
  } catch (err) {
    throw new MappingError(`not readable as CSV: ${(err as Error).message}`);
  }
  const [head, ...body] = records;
  if (!head) return { header: [], rows: [], problems: [] };
  const header = head.record.map((h) => h.trim());
  const rows: CsvRow[] = [];
  const problems: { row: number; message: string }[] = [];
  for (const r of body) {
    const row = r.info.lines;
    if (r.record.length !== header.length) {
      problems.push({
        row,
        message: `row ${row}: has ${r.record.length} values, the header has ${header.length} columns`,
      });
      continue;
    }
    rows.push({ row, values: Object.fromEntries(header.map((h, i) => [h, r.record[i] ?? ''])) });
  }
  return { header, rows, problems };
}

/** Mapped columns missing from the header, each as one message. */
export function checkHeader(header: string[], mapping: ColumnMapping[]): string[] {
  return mapping
    .filter((m) => !header.includes(m.column))
    .map(
      (m) =>
        `column "${m.column}" (mapped to ${m.field}) is not in the header row (columns: ${header.join(', ') || 'none'})`,
    );
}

/**
 * A row → a person record. Shape problems (no identifying value, a date that is not a date) throw
 * MappingError naming the row and column; identifier formats are checked by the hub's normalisers.
 */
export function rowToPerson(row: CsvRow, mapping: ColumnMapping[], objectType: string): CanonicalPerson {
  const identifiers: CanonicalIdentifier[] = [];
  const traits: Record<string, unknown> = {};
  let externalId: string | undefined;
  let updatedAt: string | undefined;
  for (const { column, field } of mapping) {
    const value = (row.values[column] ?? '').trim();
    if (!value) continue;
    if (field === 'externalId') externalId = value;
    else if (field === 'email' || field === 'phone') identifiers.push({ kind: field, value });
    else if (field.startsWith('social:'))
      identifiers.push({ kind: 'social', namespace: field.slice(7), value });
    else if (field.startsWith('external:'))
      identifiers.push({ kind: 'external', namespace: field.slice(9), value });
    else if (field.startsWith('trait:')) traits[field.slice(6)] = value;
    else if (field === 'updatedAt') {
      if (Number.isNaN(new Date(value).getTime()))
        throw new MappingError(`row ${row.row}, column "${column}": "${value}" is not a date`, column);
      updatedAt = new Date(value).toISOString();
    } else traits[field] = value;
  }
  if (!externalId && !identifiers.length) {
    throw new MappingError(
      `row ${row.row}: no value in any identifying column (${
        mapping
          .filter((m) => m.field === 'externalId' || m.field === 'email' || m.field === 'phone')
          .map((m) => `"${m.column}"`)
          .join(', ') || 'none mapped'
      })`,
    );
  }
  return {
    objectType,
    // Without an id column the row's content is its identity: re-importing the same row is a no-op.
    externalId:
      externalId ??
      `row-${crypto
        .createHash('sha256')
        .update(JSON.stringify(mapping.map((m) => (row.values[m.column] ?? '').trim())))
        .digest('hex')
        .slice(0, 24)}`,
    ...(updatedAt ? { updatedAt } : {}),
    traits,
    identifiers,
    payload: row.values,
  };
}
