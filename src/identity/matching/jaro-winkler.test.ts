import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { jaro, jaroWinkler } from './jaro-winkler.js';

describe('Jaro–Winkler', () => {
  it.each([
    ['martha', 'marhta', 0.9444, 0.9611],
    ['dwayne', 'duane', 0.8222, 0.84],
    ['dixon', 'dicksonx', 0.7667, 0.8133],
    ['crate', 'trace', 0.7333, 0.7333],
  ])('%s / %s: jaro %d, jaro-winkler %d (published values)', (a, b, j, jw) => {
    expect(jaro(a, b)).toBeCloseTo(j, 4);
    expect(jaroWinkler(a, b)).toBeCloseTo(jw, 4);
  });

  it('is 1 for equal strings and 0 against an empty or disjoint string', () => {
    expect(jaroWinkler('robert', 'robert')).toBe(1);
    expect(jaroWinkler('', '')).toBe(1);
    expect(jaroWinkler('robert', '')).toBe(0);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
  });

  it('handles strings longer than its scratch buffers', () => {
    const long = 'x'.repeat(500) + 'a';
    expect(jaroWinkler(long, long.slice(0, -1) + 'b')).toBeGreaterThan(0.99);
  });

  it('is symmetric and within [0, 1]', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (a, b) => {
        const x = jaroWinkler(a, b);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1 + 1e-12);
        expect(jaroWinkler(b, a)).toBeCloseTo(x, 12);
      }),
    );
  });
});
