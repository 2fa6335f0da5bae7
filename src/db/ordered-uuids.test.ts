import { describe, expect, it } from '@jest/globals';
import { orderedUuids } from './ordered-uuids.js';

describe('orderedUuids', () => {
  const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('gives version 7 UUIDs that ascend in the order they are made, across counter carries', () => {
    const next = orderedUuids(Date.UTC(2026, 10, 26));
    const ids = Array.from({ length: 70_000 }, next);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(ids.slice(0, 12).every((id) => id.startsWith('01a21526-e400-7'))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('gives a later run larger ids, and two runs of one millisecond different ids', () => {
    const a = orderedUuids(1_000_000)();
    const b = orderedUuids(1_000_001)();
    expect(a < b).toBe(true);
    const same = new Set(Array.from({ length: 20 }, () => orderedUuids(5)()));
    expect(same.size).toBe(20);
  });
});
