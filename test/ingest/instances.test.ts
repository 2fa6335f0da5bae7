import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ConfigError } from '../../src/config/config.js';
import { bearer, defineConnector } from '../../src/connector-kit/index.js';
import { parseInstances } from '../../src/ingest/instances.js';
import csv from '../../connectors/csv/index.js';

const zendesk = defineConnector<{ subdomain: string }>({
  id: 'zendesk',
  category: 'contact_centre',
  displayName: 'Zendesk',
  api: { baseUrl: 'https://example.zendesk.com', auth: 'bearer', paging: 'cursor' },
  configSchema: z.object({ subdomain: z.string({ error: 'subdomain is required' }) }),
  credentials: {
    apiToken: { description: 'API token' },
    email: { description: 'agent email', optional: true },
  },
  auth: ({ credentials }) => bearer(credentials.apiToken!),
  streams: [],
});
const registry = { zendesk, csv };

function errorOf(section: unknown, env: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}): string {
  try {
    parseInstances(section, registry, {
      env,
      readFile: (f) => {
        if (f in files) return files[f]!;
        throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      },
    });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const base = {
  id: 'zendesk-eu',
  connector: 'zendesk',
  config: { subdomain: 'acme' },
  credentials: { apiToken: { env: 'ZENDESK_EU_TOKEN' } },
};

describe('parseInstances', () => {
  it('builds instances with credentials from the environment or a secrets file', () => {
    const [a, b] = parseInstances(
      [
        base,
        {
          ...base,
          id: 'zendesk-us',
          baseUrl: 'http://127.0.0.1:8080',
          credentials: { apiToken: { file: '/run/secrets/zd' } },
          schedule: { everySeconds: 60 },
          enabled: false,
        },
      ],
      registry,
      { env: { ZENDESK_EU_TOKEN: 'tok-eu' }, readFile: () => 'tok-us\n' },
    );
    expect(a).toMatchObject({
      id: 'zendesk-eu',
      connectorId: 'zendesk',
      baseUrl: 'https://example.zendesk.com',
      credentials: { apiToken: 'tok-eu' },
      everySeconds: null,
      enabled: true,
    });
    expect(b).toMatchObject({
      baseUrl: 'http://127.0.0.1:8080',
      credentials: { apiToken: 'tok-us' },
      everySeconds: 60,
      enabled: false,
    });
  });

  it.each([
    [
      'an unset environment variable',
      [base],
      'connector instance "zendesk-eu": credential apiToken needs environment variable ZENDESK_EU_TOKEN, which is not set',
    ],
    [
      'an unknown connector',
      [{ ...base, connector: 'zendsk' }],
      'connector instance "zendesk-eu": connector "zendsk" is not one of csv, zendesk',
    ],
    [
      'a bad config block',
      [{ ...base, config: {} }],
      'connector instance "zendesk-eu": config.subdomain: subdomain is required',
    ],
    [
      'a missing credential',
      [{ ...base, credentials: {} }],
      'connector instance "zendesk-eu": credential apiToken is required: map it to { "env": "VARIABLE" } or { "file": "/run/secrets/..." }',
    ],
    [
      'a secret written inline',
      [{ ...base, credentials: { apiToken: 'abc' } }],
      'connector instance "zendesk-eu": credential apiToken must be { "env": "VARIABLE" } or { "file": "/path" } (secrets are never written in the config file)',
    ],
    [
      'an unreadable secrets file',
      [{ ...base, credentials: { apiToken: { file: '/run/secrets/x' } } }],
      'connector instance "zendesk-eu": credential apiToken needs file /run/secrets/x, which cannot be read (no such file)',
    ],
    [
      'an undeclared credential',
      [{ ...base, credentials: { ...base.credentials, pasword: { env: 'P' } } }],
      'connector instance "zendesk-eu": credential pasword is not one the zendesk connector declares (apiToken, email)',
    ],
    ['a duplicate id', [base, base], 'connector instance "zendesk-eu": is declared more than once'],
    [
      'a bad schedule',
      [{ ...base, schedule: { everySeconds: 0 } }],
      'connector instance "zendesk-eu": schedule.everySeconds must be an integer from 1 to 604800 (got 0)',
    ],
    [
      'an unknown key',
      [{ ...base, shedule: {} }],
      'connector instance "zendesk-eu": unknown setting "shedule" (allowed: id, connector, baseUrl, config, credentials, schedule, enabled)',
    ],
    [
      'a bad base URL',
      [{ ...base, baseUrl: 'ftp://x' }],
      'connector instance "zendesk-eu": baseUrl must be an http(s) URL (got "ftp://x")',
    ],
    ['no id', [{ connector: 'zendesk' }], 'connector instance #1 has no "id"'],
    [
      'not a list',
      { id: 'x' },
      'connectors must be a list of connector instances, like [{ "id": "zendesk-eu", "connector": "zendesk", ... }]',
    ],
    [
      'a bad csv map',
      [{ id: 'legacy', connector: 'csv', config: { path: '/x.csv', map: 'Email=mail' } }],
      'connector instance "legacy": config.map: map entry "Email=mail": field "mail" is not one of externalId, email, phone, firstName, lastName, displayName, dob, city, address, postcode, country, company, jobTitle, updatedAt, social:<platform>, external:<system:object>, trait:<name>',
    ],
  ])('refuses %s with one exact line', (_what, section, message) => {
    // Only the first case leaves the token unset; the others fail for their own reason.
    const env = message.includes('ZENDESK_EU_TOKEN') ? {} : { ZENDESK_EU_TOKEN: 'tok' };
    expect(errorOf(section, env)).toBe(message);
  });

  it('leaves an optional credential out when its variable is unset', () => {
    const [a] = parseInstances(
      [{ ...base, credentials: { ...base.credentials, email: { env: 'ZD_EMAIL' } } }],
      registry,
      { env: { ZENDESK_EU_TOKEN: 't' } },
    );
    expect(a!.credentials).toEqual({ apiToken: 't' });
  });
});
