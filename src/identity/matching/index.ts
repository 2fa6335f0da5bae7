export {
  CodeScores,
  COMPARED_FIELDS,
  decodeLevels,
  FIELD_LEVELS,
  featuresOf,
  Interner,
  LEVEL_CODES,
  LevelCache,
  prepareFeatures,
  type ComparedField,
  type LevelCacheSnapshot,
  type PersonFeatures,
  type PreparedPerson,
} from './comparisons.js';
export {
  BLOCKING_KEY_KINDS,
  blockingKeys,
  blockingKeysOf,
  candidatePairs,
  forEachBlockingKey,
  MAX_BLOCK_SIZE,
  type BlockingKeyKind,
} from './blocking.js';
export { connectedComponents } from './cluster.js';
export {
  DEFAULT_AUTO_ACCEPT_WEIGHT,
  DEFAULT_MATCH_PARAMETERS,
  DEFAULT_SUGGEST_WEIGHT,
} from './default-parameters.js';
export { estimateParameters, type Estimate, type EstimateOptions } from './estimate.js';
export { evaluateClusters, type ClusterEvaluation } from './evaluate.js';
export {
  matchProbability,
  matchWeight,
  levelWeights,
  scoreLevels,
  scorePair,
  type FieldComparison,
  type LevelProbabilities,
  type MatchParameters,
  type PairScore,
} from './fellegi-sunter.js';
export { jaro, jaroWinkler } from './jaro-winkler.js';
