import Sentiment from 'sentiment';

// AFINN-165 word scores run from -5 to +5, so the per-token mean (`comparative`) lies in [-5, 5].
const AFINN_MAX = 5;
const analyser = new Sentiment();

/**
 * Sentiment of a short English text (a comment, a post, a message) in [-1, 1], from the AFINN
 * lexicon (npm `sentiment`): the mean word score per token divided by 5. Offline and
 * deterministic; 0 for empty or neutral text.
 *
 * @example
 * sentimentScore('Thank you, great help!'); // > 0
 * sentimentScore('This is terrible, I am angry'); // < 0
 */
export function sentimentScore(text: string): number {
  if (text.trim() === '') return 0;
  const { comparative } = analyser.analyze(text);
  if (!Number.isFinite(comparative)) return 0;
  return Math.max(-1, Math.min(1, comparative / AFINN_MAX));
}
