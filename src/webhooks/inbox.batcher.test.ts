import { describe, expect, it } from '@jest/globals';
import { InboxEventInvalidError, storableRows } from './inbox.batcher.js';

const event = (id: string, payload: unknown, type = 'message.created') => ({ id, type, payload });

describe('storableRows', () => {
  it('keeps the first of repeated event ids and serialises payloads once', () => {
    const rows = storableRows('i', [event('a', { n: 1 }), event('b', null), event('a', { n: 2 })]);
    expect(rows).toEqual([
      { instance: 'i', id: 'a', type: 'message.created', payload: '{"n":1}' },
      { instance: 'i', id: 'b', type: 'message.created', payload: 'null' },
    ]);
  });

  it('refuses what Postgres cannot hold, naming the event and field', () => {
    const refused = (e: ReturnType<typeof event>) => {
      try {
        storableRows('i', [event('ok', {}), e]);
      } catch (err) {
        return err instanceof InboxEventInvalidError ? [err.eventId, err.field] : err;
      }
      return undefined;
    };
    expect(refused(event('n1', { text: 'a\u0000b' }))).toEqual(['n1', 'payload']);
    expect(refused(event('s1', { text: 'lone \ud800 high' }))).toEqual(['s1', 'payload']);
    expect(refused(event('s2', ['\udc00']))).toEqual(['s2', 'payload']);
    expect(refused(event('n\u00002', {}))).toEqual(['n\u00002', 'id']);
    expect(refused(event('t1', {}, 'type\u0000'))).toEqual(['t1', 'type']);
  });

  it('accepts text that only looks like an escape, and paired surrogates', () => {
    expect(() =>
      storableRows('i', [event('x', { text: 'a literal \\u0000 and \\ud800, an emoji 😀', k: '\\\\u0000' })]),
    ).not.toThrow();
  });
});
