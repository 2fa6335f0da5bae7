import { describe, expect, it } from '@jest/globals';
import { connectedComponents } from './cluster.js';
import { evaluateClusters } from './evaluate.js';

describe('evaluateClusters', () => {
  const truth = new Map([
    ['a', 1],
    ['b', 1],
    ['c', 1],
    ['d', 2],
    ['e', 3],
  ]);

  it('scores a perfect clustering 1 everywhere', () => {
    const r = evaluateClusters(
      new Map([
        ['a', 'x'],
        ['b', 'x'],
        ['c', 'x'],
        ['d', 'y'],
        ['e', 'z'],
      ]),
      truth,
    );
    expect(r).toMatchObject({
      precision: 1,
      recall: 1,
      f1: 1,
      truePairs: 3,
      predictedPairs: 3,
      predictedClusters: 3,
      trueClusters: 3,
      records: 5,
    });
  });

  it('counts pairs from an over-merged clustering', () => {
    // {a,b,c,d} puts 6 pairs together, 3 of them right; e alone.
    const r = evaluateClusters(
      new Map([
        ['a', 0],
        ['b', 0],
        ['c', 0],
        ['d', 0],
        ['e', 1],
      ]),
      truth,
    );
    expect(r.precision).toBe(0.5);
    expect(r.recall).toBe(1);
    expect(r.f1).toBeCloseTo(2 / 3, 10);
    expect(r.predictedClusters).toBe(2);
  });

  it('treats records missing from the prediction as singletons', () => {
    const r = evaluateClusters(
      new Map([
        ['a', 0],
        ['b', 0],
      ]),
      truth,
    );
    expect(r).toMatchObject({
      truePositivePairs: 1,
      predictedPairs: 1,
      truePairs: 3,
      predictedClusters: 4,
      precision: 1,
    });
    expect(r.recall).toBeCloseTo(1 / 3, 10);
  });

  it('reports precision 1 and recall 0 when nothing is linked', () => {
    const r = evaluateClusters(new Map(), truth);
    expect(r).toMatchObject({ precision: 1, recall: 0, f1: 0, predictedClusters: 5 });
  });
});

describe('connectedComponents', () => {
  it('joins chains transitively and names each cluster by its smallest record', () => {
    expect(
      Array.from(
        connectedComponents(6, [
          [4, 2],
          [2, 0],
          [5, 3],
        ]),
      ),
    ).toEqual([0, 1, 0, 3, 0, 3]);
    expect(Array.from(connectedComponents(3, []))).toEqual([0, 1, 2]);
  });
});
