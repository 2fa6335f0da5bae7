import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, SETTINGS } from './config.js';

describe('loadConfig', () => {
  it('gives defaults for everything when nothing is set', () => {
    const c = loadConfig({ env: {} });
    expect(c).toMatchObject({ port: 4000, host: '127.0.0.1', environment: 'development', logLevel: 'info', worker: true, demo: false, defaultPhoneRegion: 'GB' });
    expect(c.databaseUrl).toBeUndefined();
  });

  it('reads environment variables and command-line overrides win', () => {
    const c = loadConfig({ env: { PORT: '5000', WORKER: 'false', DEFAULT_PHONE_REGION: 'us' }, overrides: { port: '6000' } });
    expect(c).toMatchObject({ port: 6000, worker: false, defaultPhoneRegion: 'US' });
  });

  it.each([
    [{ PORT: '-1' }, /^PORT must be an integer from 0 to 65535 \(got "-1"\)$/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)$/],
    [{ WORKER: 'maybe' }, /^WORKER must be true or false \(got "maybe"\)$/],
    [{ DEFAULT_PHONE_REGION: 'XX' }, /^DEFAULT_PHONE_REGION must be an ISO 3166 two-letter country code/],
    [{ TOUCHPOINT_ENV: 'prod' }, /^TOUCHPOINT_ENV must be one of development, production, test/],
    [{ DB_POOL_MAX: '0' }, /^DB_POOL_MAX must be an integer from 1 to 1000/],
    [{ READ_AUDIT_COMMIT: 'sometimes' }, /^READ_AUDIT_COMMIT must be async or durable \(got "sometimes"\)$/],
  ])('names the setting and what was expected for %j', (env, message) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(message);
  });

  it('every setting has an environment variable named in upper case', () => {
    for (const spec of Object.values(SETTINGS)) expect(spec.env).toMatch(/^[A-Z_]+$/);
  });
});
