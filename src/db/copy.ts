import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Submittable } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pgClientOf, type Sql } from './sql.js';

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A value as a field of COPY's text format: `\N` for null, backslash escapes for the rest. */
export function copyField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v !== 'string') return String(v);
  return SPECIAL.test(v) ? v.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : v;
}

const PIECE = 1 << 20;

/**
 * Encodes lines into buffers of about 1 MB as they come: the stream is not fed one small string
 * per row, and no long concatenated string has to be flattened and encoded at once.
 */
function* pieces(lines: Iterable<string>): Generator<Buffer> {
  let buf = Buffer.allocUnsafe(PIECE);
  let at = 0;
  for (const line of lines) {
    if (at + line.length * 3 > buf.length) {
      if (at > 0) {
        yield buf.subarray(0, at);
        buf = Buffer.allocUnsafe(PIECE);
        at = 0;
      }
      if (line.length * 3 > buf.length) {
        yield Buffer.from(line, 'utf8');
        continue;
      }
    }
    at += buf.write(line, at, 'utf8');
  }
  if (at > 0) yield buf.subarray(0, at);
}

/**
 * COPY table (columns) FROM STDIN on the transaction's connection of `sql` (made by sqlOf inside
 * a transaction). `lines` are rows in COPY text format, each ending with a newline (build fields
 * with copyField); they are produced while Postgres reads the earlier ones.
 */
export async function copyIn(
  sql: Sql,
  table: string,
  columns: readonly string[],
  lines: Iterable<string>,
): Promise<void> {
  const client = pgClientOf(sql) as { query(q: Submittable): unknown } | undefined;
  if (!client)
    throw new Error(`COPY into ${table} needs an Sql made by sqlOf inside a transaction (no connection to stream on)`);
  const stream = client.query(
    copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`),
  ) as NodeJS.WritableStream;
  await pipeline(Readable.from(pieces(lines)), stream);
}
