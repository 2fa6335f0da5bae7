import crypto from 'node:crypto';

/**
 * Ids for rows the hub makes itself (a bulk import's records and customers, a batch's new
 * customers): UUIDs in the version 7 layout (RFC 9562), 48 bits of the clock in milliseconds, then
 * a counter (36 bits) and 36 random bits drawn once per generator. They ascend in the order they
 * are made, so the indexes on record and customer ids (primary keys, record identifiers, block
 * keys, links) take new rows at their right edge instead of one random page per row; with the
 * random bits two generators cannot collide. Rows Postgres gives an id get version 7 UUIDs too
 * (touchpoint_uuid_v7(), migration OrderedUuidDefaults).
 */
export function orderedUuids(now = Date.now()): () => string {
  const clock = now.toString(16).padStart(12, '0');
  const salt = crypto.randomBytes(5).toString('hex').slice(0, 9);
  // Written into one buffer and read out as one flat string: an import keeps a million of them, and
  // a string built by concatenation is a tree of pieces until something flattens it.
  const text = Buffer.from(`${clock.slice(0, 8)}-${clock.slice(8, 12)}-7000-8000-000${salt}`, 'latin1');
  const HEX = '0123456789abcdef';
  // Offsets of the counter's 9 hex digits in the text (3 after "-7", 3 after "-8", 3 after the last "-").
  const digits = [15, 16, 17, 20, 21, 22, 24, 25, 26];
  let counter = 0;
  return () => {
    if (counter >= 2 ** 36) throw new Error('orderedUuids: more than 2^36 ids in one run');
    let c = counter++;
    for (let d = 8; d >= 0; d--) {
      text[digits[d]!] = HEX.charCodeAt(c % 16);
      c = Math.floor(c / 16);
    }
    return text.toString('latin1');
  };
}
