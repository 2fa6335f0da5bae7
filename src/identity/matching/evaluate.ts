export interface ClusterEvaluation {
  /** Of the record pairs put together, the share that truly belong together. 1 when none were. */
  precision: number;
  /** Of the record pairs that belong together, the share put together. 1 when there are none. */
  recall: number;
  f1: number;
  truePositivePairs: number;
  predictedPairs: number;
  truePairs: number;
  predictedClusters: number;
  trueClusters: number;
  records: number;
}

const pairsOf = (n: number): number => (n * (n - 1)) / 2;

/**
 * Pairwise precision/recall/F1 of a clustering against the truth, from cluster-size counts
 * (linear in records, no pair enumeration). Records are those in `truth`; a truth record absent
 * from `predicted` counts as a singleton; predicted records absent from the truth are ignored.
 */
export function evaluateClusters<R, C, T>(
  predicted: ReadonlyMap<R, C>,
  truth: ReadonlyMap<R, T>,
): ClusterEvaluation {
  const predSizes = new Map<unknown, number>();
  const trueSizes = new Map<T, number>();
  const cellSizes = new Map<unknown, Map<T, number>>();
  for (const [record, trueCluster] of truth) {
    const p: unknown = predicted.has(record) ? predicted.get(record) : { singleton: record };
    predSizes.set(p, (predSizes.get(p) ?? 0) + 1);
    trueSizes.set(trueCluster, (trueSizes.get(trueCluster) ?? 0) + 1);
    let row = cellSizes.get(p);
    if (row === undefined) cellSizes.set(p, (row = new Map()));
    row.set(trueCluster, (row.get(trueCluster) ?? 0) + 1);
  }
  let tp = 0;
  for (const row of cellSizes.values()) for (const n of row.values()) tp += pairsOf(n);
  let predictedPairs = 0;
  for (const n of predSizes.values()) predictedPairs += pairsOf(n);
  let truePairs = 0;
  for (const n of trueSizes.values()) truePairs += pairsOf(n);
  const precision = predictedPairs === 0 ? 1 : tp / predictedPairs;
  const recall = truePairs === 0 ? 1 : tp / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return {
    precision,
    recall,
    f1,
    truePositivePairs: tp,
    predictedPairs,
    truePairs,
    predictedClusters: predSizes.size,
    trueClusters: trueSizes.size,
    records: truth.size,
  };
}
