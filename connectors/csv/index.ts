import fs from 'node:fs';
import { z } from 'zod';
import { defineConnector, MappingError, type StreamDefinition } from '../../src/connector-kit/index.js';
import { checkHeader, MapSpecError, parseCsv, parseMapSpec, rowToPerson, type CsvRow } from './mapping.js';

export interface CsvConfig {
  /** A local file path, read on every run. */
  path: string;
  /** `column=field,...`, the same as `touchpoint import --map`. */
  map: string;
  objectType: string;
  delimiter: string;
  pageSize: number;
}

const configSchema = z
  .object({
    path: z
      .string({ error: 'path is required: the CSV file to read' })
      .min(1, 'path is required: the CSV file to read'),
    map: z.string({ error: 'map is required, like "Email=email,Mobile=phone"' }),
    objectType: z.string().min(1).default('contact'),
    delimiter: z.string().length(1).default(','),
    pageSize: z.number().int().min(1).max(10_000).default(500),
  })
  .superRefine((c, ctx) => {
    try {
      parseMapSpec(c.map);
    } catch (err) {
      if (!(err instanceof MapSpecError)) throw err;
      ctx.addIssue({ code: 'custom', path: ['map'], message: err.message.replace(/^--map/, 'map') });
    }
  }) as unknown as z.ZodType<CsvConfig>;

/** Position in the file: the number of data rows already applied. */
export interface CsvCursor {
  offset: number;
}

/** Rows of the file in pages; the cursor remembers how far it got, so appended rows come next run. */
const rows: StreamDefinition<CsvConfig, CsvRow, CsvCursor> = {
  name: 'rows',
  description: 'Rows of a local CSV file, one person per row',
  everySeconds: 3600,
  async fetchPage(ctx, cursor) {
    let text: string;
    try {
      text = await fs.promises.readFile(ctx.config.path, 'utf8');
    } catch (err) {
      throw new Error(
        `cannot read ${ctx.config.path} (${(err as NodeJS.ErrnoException).code ?? 'unknown error'})`,
      );
    }
    const parsed = parseCsv(text, ctx.config.delimiter);
    const missing = checkHeader(parsed.header, parseMapSpec(ctx.config.map));
    if (parsed.header.length && missing.length) throw new Error(missing[0]);
    // Shape problems become items whose mapping throws: they go to the dead-letter list.
    const all: CsvRow[] = [
      ...parsed.rows,
      ...parsed.problems.map((p) => ({ row: p.row, values: { __problem: p.message } })),
    ].sort((a, b) => a.row - b.row);
    const offset = cursor?.offset ?? 0;
    const items = all.slice(offset, offset + ctx.config.pageSize);
    const next = offset + items.length;
    return { items, nextCursor: { offset: next }, done: next >= all.length };
  },
  map(row, ctx) {
    if (row.values.__problem !== undefined) throw new MappingError(row.values.__problem);
    return { people: [rowToPerson(row, parseMapSpec(ctx.config.map), ctx.config.objectType)] };
  },
};

export default defineConnector<CsvConfig>({
  id: 'csv',
  category: 'crm',
  displayName: 'CSV file',
  // No HTTP: the kit's client is built but never called.
  api: { baseUrl: 'http://127.0.0.1/', auth: 'api_key', paging: 'offset', docs: 'connectors/csv/README.md' },
  configSchema,
  credentials: {},
  auth: () => ({ kind: 'none', headers: async () => ({}) }),
  streams: [rows],
});
