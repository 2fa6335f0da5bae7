import fc from 'fast-check';
import { sentimentScore } from './sentiment.js';

describe('sentimentScore', () => {
  it('is positive for praise and negative for complaints', () => {
    expect(sentimentScore('Thank you so much, the agent was great and really helpful!')).toBeGreaterThan(0);
    expect(sentimentScore('This is terrible. I am angry and the service is awful.')).toBeLessThan(0);
  });

  it('is 0 for empty or neutral text', () => {
    expect(sentimentScore('')).toBe(0);
    expect(sentimentScore('   ')).toBe(0);
    expect(sentimentScore('My order number is 12345.')).toBe(0);
  });

  it('ranks stronger words further from zero', () => {
    expect(sentimentScore('horrible')).toBeLessThan(sentimentScore('disappointed'));
    expect(sentimentScore('outstanding')).toBeGreaterThan(sentimentScore('nice'));
  });

  it('reaches the ends of the scale for single strongly-scored words', () => {
    expect(sentimentScore('superb')).toBe(1);
    expect(sentimentScore('bastard')).toBe(-1);
  });

  it('always stays within [-1, 1]', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const score = sentimentScore(text);
        expect(score).toBeGreaterThanOrEqual(-1);
        expect(score).toBeLessThanOrEqual(1);
      }),
    );
  });
});
