import { candidatePairs } from './blocking.js';
import {
  COMPARED_FIELDS,
  FIELD_LEVELS,
  MISSING,
  compareLevels,
  preparePerson,
  type ComparedField,
  type PersonFeatures,
  type PreparedPerson,
} from './comparisons.js';
import { DEFAULT_MATCH_PARAMETERS } from './default-parameters.js';
import type { LevelProbabilities, MatchParameters } from './fellegi-sunter.js';

export interface EstimateOptions {
  /** Random pairs used for u; all pairs are used when there are fewer. */
  uSamplePairs?: number;
  maxIterations?: number;
  /** Stop when no m or the prior moves by more than this. */
  tolerance?: number;
  seed?: number;
  /** Starting m values, and the values kept for fields the records never carry. */
  base?: MatchParameters;
}

export interface Estimate {
  parameters: MatchParameters;
  iterations: number;
  candidatePairs: number;
}

/** Small deterministic PRNG (mulberry32) so estimates are reproducible. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Estimates Fellegi–Sunter parameters without labels, the way Splink does:
 * u from random pairs (nearly all are different people, so level frequencies there are u),
 * then m and the prior by expectation–maximisation over the blocked candidate pairs with u held.
 */
export function estimateParameters(
  records: readonly PersonFeatures[],
  options: EstimateOptions = {},
): Estimate {
  const base = options.base ?? DEFAULT_MATCH_PARAMETERS;
  const prepared = records.map(preparePerson);
  const F = COMPARED_FIELDS.length;
  const levels = new Int8Array(F);
  const n = prepared.length;

  // u from random pairs (or every pair when that is fewer).
  const uCounts = COMPARED_FIELDS.map((f) => new Float64Array(FIELD_LEVELS[f].length));
  const tally = (a: PreparedPerson, b: PreparedPerson): void => {
    compareLevels(a, b, levels);
    for (let f = 0; f < F; f++)
      if (levels[f] !== MISSING) (uCounts[f] as Float64Array)[levels[f] as number]! += 1;
  };
  const samples = options.uSamplePairs ?? 1_000_000;
  if ((n * (n - 1)) / 2 <= samples) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) tally(prepared[i]!, prepared[j]!);
  } else {
    const rnd = random(options.seed ?? 1);
    for (let s = 0; s < samples; s++) {
      const i = Math.floor(rnd() * n);
      const j = Math.floor(rnd() * n);
      if (i !== j) tally(prepared[i]!, prepared[j]!);
    }
  }
  const u = COMPARED_FIELDS.map((field, f) => {
    const counts = uCounts[f]!;
    const total = counts.reduce((x, y) => x + y, 0);
    // Laplace smoothing keeps a level never seen among random pairs from getting u = 0.
    return total === 0
      ? [...base.fields[field].u]
      : Array.from(counts, (c) => (c + 1) / (total + counts.length));
  });

  // Level vectors of the candidate pairs, computed once.
  const pairs = candidatePairs(records);
  const vectors = new Int8Array(pairs.length * F);
  pairs.forEach(([i, j], k) => {
    compareLevels(prepared[i]!, prepared[j]!, levels);
    vectors.set(levels, k * F);
  });

  let m = COMPARED_FIELDS.map((field) => [...base.fields[field].m]);
  let prior = 0.3;
  const observed = COMPARED_FIELDS.map(() => false);
  let iterations = 0;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-5;
  for (; iterations < maxIterations;) {
    iterations++;
    const weights = m.map((mf, f) => mf.map((mi, l) => Math.log2(mi / u[f]![l]!)));
    const acc = COMPARED_FIELDS.map((field) => new Float64Array(FIELD_LEVELS[field].length));
    let sumP = 0;
    const priorLogOdds = Math.log2(prior / (1 - prior));
    for (let k = 0; k < pairs.length; k++) {
      let x = priorLogOdds;
      for (let f = 0; f < F; f++) {
        const l = vectors[k * F + f]!;
        if (l !== MISSING) x += weights[f]![l]!;
      }
      const p = 1 / (1 + 2 ** -x);
      sumP += p;
      for (let f = 0; f < F; f++) {
        const l = vectors[k * F + f]!;
        if (l !== MISSING) acc[f]![l]! += p;
      }
    }
    let change = Math.abs(sumP / pairs.length - prior);
    prior = pairs.length === 0 ? prior : sumP / pairs.length;
    m = m.map((old, f) => {
      const a = acc[f]!;
      const total = a.reduce((x, y) => x + y, 0);
      if (total === 0) return old;
      observed[f] = true;
      const next = Array.from(a, (v) => (v + 0.01) / (total + 0.01 * a.length));
      for (let l = 0; l < next.length; l++) change = Math.max(change, Math.abs(next[l]! - old[l]!));
      return next;
    });
    if (change < tolerance) break;
  }

  const fields = Object.fromEntries(
    COMPARED_FIELDS.map((field, f): [ComparedField, LevelProbabilities] =>
      observed[f] ? [field, { m: m[f]!, u: u[f]! }] : [field, base.fields[field]],
    ),
  ) as Record<ComparedField, LevelProbabilities>;
  return { parameters: { priorMatchProbability: prior, fields }, iterations, candidatePairs: pairs.length };
}
