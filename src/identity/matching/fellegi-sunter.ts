import {
  COMPARED_FIELDS,
  FIELD_LEVELS,
  MISSING,
  compareLevels,
  preparePerson,
  type ComparedField,
  type PersonFeatures,
} from './comparisons.js';
import { DEFAULT_MATCH_PARAMETERS } from './default-parameters.js';

/** m = P(level | same person), u = P(level | different people), one entry per level of the field. */
export interface LevelProbabilities {
  readonly m: readonly number[];
  readonly u: readonly number[];
}

export interface MatchParameters {
  /** Prior probability that two records compared (after blocking) are one person; only `probability` uses it. */
  readonly priorMatchProbability: number;
  readonly fields: Readonly<Record<ComparedField, LevelProbabilities>>;
}

export interface FieldComparison {
  field: ComparedField;
  /** A label from FIELD_LEVELS, 'missing', or with ' (names swapped)' for crossed-over names. */
  level: string;
  /** log2(m/u) in bits; 0 for missing. */
  weight: number;
}

export interface PairScore {
  /** Match weight: log2 Bayes factor, the sum of the field weights (the prior is not included). */
  score: number;
  /** Posterior probability of a match given the prior in the parameters. */
  probability: number;
  comparisons: FieldComparison[];
}

interface Compiled {
  /** weights[fieldIndex][level] = log2(m/u). */
  readonly weights: readonly Float64Array[];
  readonly priorLogOdds: number;
}

const compiledCache = new WeakMap<MatchParameters, Compiled>();

function compile(params: MatchParameters): Compiled {
  const hit = compiledCache.get(params);
  if (hit !== undefined) return hit;
  const weights = COMPARED_FIELDS.map((field) => {
    const { m, u } = params.fields[field];
    const n = FIELD_LEVELS[field].length;
    if (m.length !== n || u.length !== n)
      throw new Error(
        `match parameters for ${field} need ${n} m and u values (levels: ${FIELD_LEVELS[field].join(', ')})`,
      );
    return Float64Array.from(m, (mi, i) => Math.log2(mi / (u[i] as number)));
  });
  const p = params.priorMatchProbability;
  const compiled = { weights, priorLogOdds: Math.log2(p / (1 - p)) };
  compiledCache.set(params, compiled);
  return compiled;
}

// One scratch vector: scoring is synchronous, so no two calls can use it at once.
const levels = new Int8Array(COMPARED_FIELDS.length);

/** Match weight only, without the explanation: the fast path for ranking many candidates. */
export function matchWeight(
  a: PersonFeatures,
  b: PersonFeatures,
  params: MatchParameters = DEFAULT_MATCH_PARAMETERS,
): number {
  const { weights } = compile(params);
  compareLevels(preparePerson(a), preparePerson(b), levels);
  let score = 0;
  for (let f = 0; f < levels.length; f++) {
    const level = levels[f] as number;
    if (level !== MISSING) score += (weights[f] as Float64Array)[level] as number;
  }
  return score;
}

/** Converts a match weight to a posterior probability under the parameters' prior. */
export function matchProbability(score: number, params: MatchParameters = DEFAULT_MATCH_PARAMETERS): number {
  return 1 / (1 + 2 ** -(score + compile(params).priorLogOdds));
}

/** Fellegi–Sunter score of two people with the evidence for each field, for storing beside a suggestion. */
export function scorePair(
  a: PersonFeatures,
  b: PersonFeatures,
  params: MatchParameters = DEFAULT_MATCH_PARAMETERS,
): PairScore {
  const swapped = compareLevels(preparePerson(a), preparePerson(b), levels);
  return scoreLevels(levels, swapped, params);
}

/** log2(m/u) per field and level: weights[fieldIndex][level]. */
export function levelWeights(params: MatchParameters = DEFAULT_MATCH_PARAMETERS): readonly Float64Array[] {
  return compile(params).weights;
}

/** The score and evidence of a level vector (compareLevels' output and its names-swapped flag). */
export function scoreLevels(
  levelVector: Int8Array,
  swapped: boolean,
  params: MatchParameters = DEFAULT_MATCH_PARAMETERS,
): PairScore {
  const { weights } = compile(params);
  let score = 0;
  const comparisons: FieldComparison[] = [];
  for (let f = 0; f < COMPARED_FIELDS.length; f++) {
    const field = COMPARED_FIELDS[f] as ComparedField;
    const level = levelVector[f] as number;
    if (level === MISSING) {
      comparisons.push({ field, level: 'missing', weight: 0 });
      continue;
    }
    const weight = (weights[f] as Float64Array)[level] as number;
    score += weight;
    const label = FIELD_LEVELS[field][level] as string;
    comparisons.push({ field, level: swapped && f < 2 ? `${label} (names swapped)` : label, weight });
  }
  return { score, probability: matchProbability(score, params), comparisons };
}
