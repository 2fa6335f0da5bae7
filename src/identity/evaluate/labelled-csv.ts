import { parse } from 'csv-parse/sync';
import type { CanonicalPerson } from '../../connector-kit/canonical.js';

/** Canonical fields a CSV column can map to: traits, or identifiers the resolver links on. */
export const TRAIT_FIELDS = [
  'firstName',
  'lastName',
  'displayName',
  'dob',
  'city',
  'address',
  'postcode',
  'country',
  'company',
] as const;
export const IDENTIFIER_FIELDS = ['email', 'phone'] as const;
type MappedField = (typeof TRAIT_FIELDS)[number] | (typeof IDENTIFIER_FIELDS)[number];

export interface LabelledRecord {
  person: CanonicalPerson;
  /** The true cluster label of the record. */
  truth: string;
}

export class LabelledCsvError extends Error {
  override name = 'LabelledCsvError';
}

/** Parses `column=field,column=field` into a column → canonical field map. */
export function parseFieldMap(spec: string): Map<string, MappedField> {
  const known = new Set<string>([...TRAIT_FIELDS, ...IDENTIFIER_FIELDS]);
  const map = new Map<string, MappedField>();
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [column, field, ...rest] = part.split('=').map((s) => s.trim());
    if (!column || !field || rest.length)
      throw new LabelledCsvError(`--map entry "${part}" is not column=field`);
    if (!known.has(field))
      throw new LabelledCsvError(
        `--map entry "${part}": unknown field "${field}" (known: ${[...known].join(', ')})`,
      );
    map.set(column, field as MappedField);
  }
  if (!map.size) throw new LabelledCsvError('--map names no columns');
  return map;
}

/**
 * Reads a labelled CSV (header row) into canonical person records of one pseudo-system: each row
 * becomes one record whose external id is the `idColumn` value (or the row number), with the
 * mapped columns as traits or identifiers and `truthColumn` as its true cluster.
 */
export function readLabelledCsv(
  text: string,
  options: { truthColumn: string; map: Map<string, MappedField>; idColumn?: string },
): LabelledRecord[] {
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<
    string,
    string
  >[];
  const first = rows[0];
  if (!first) throw new LabelledCsvError('the CSV has no data rows');
  const columns = new Set(Object.keys(first));
  for (const c of [
    options.truthColumn,
    ...options.map.keys(),
    ...(options.idColumn ? [options.idColumn] : []),
  ]) {
    if (!columns.has(c))
      throw new LabelledCsvError(`the CSV has no column "${c}" (columns: ${[...columns].join(', ')})`);
  }
  const idents = new Set<string>(IDENTIFIER_FIELDS);
  return rows.map((row, i) => {
    const traits: Record<string, string> = {};
    const identifiers: CanonicalPerson['identifiers'] = [];
    for (const [column, field] of options.map) {
      const value = row[column];
      if (value === undefined || value === '') continue;
      if (idents.has(field)) identifiers.push({ kind: field as 'email' | 'phone', value });
      else traits[field] = value;
    }
    const externalId = options.idColumn ? (row[options.idColumn] ?? String(i)) : String(i);
    return {
      person: { objectType: 'row', externalId, traits, identifiers },
      truth: row[options.truthColumn] ?? '',
    };
  });
}
