import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { buildSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { maskEmail, maskJson, maskPhone, maskText } from './mask.js';
import { accessFor, policyMarkdown, POLICY } from './policy.js';
import { measureOperation } from './query-limits.js';
import { loadConnectorSecrets, redactSecrets } from './secrets.js';
import { sha256, trustedDocumentsFromGraphql } from './trusted-documents.js';

describe('masking', () => {
  it('keeps the shape of emails and phones and hides the person', () => {
    expect(maskEmail('jane.doe@example.com')).toBe('j•••@e•••.com');
    expect(maskPhone('+447911123456')).toBe('+44 •••• ••• 456');
    expect(maskPhone('+1 415 555 0132')).toBe('+1 •••• ••• 132');
    expect(maskText('Lovelace')).toBe('L•••');
    expect(maskJson({ email: 'a@b.io', n: 3, ok: true, nested: ['Sam'] })).toEqual({
      email: 'a•••@b•••.io',
      n: '•••',
      ok: true,
      nested: ['S•••'],
    });
  });
});

describe('policy table', () => {
  it('closes unknown root fields to everyone but admin and leaves non-personal fields open', () => {
    expect(accessFor('Query', 'somethingNew', 'supervisor')).toBe('deny');
    expect(accessFor('Query', 'somethingNew', 'admin')).toBe('allow');
    expect(accessFor('Customer', 'id', 'analyst')).toBe('allow');
    expect(accessFor('Mutation', 'eraseCustomer', 'supervisor')).toBe('deny');
    expect(accessFor('Identity', 'value', 'analyst')).toBe('mask');
  });

  it('every personal row has a mask, and the README shows the table as the code has it', () => {
    for (const [key, row] of Object.entries(POLICY))
      if (row.personal) expect([key, typeof row.mask]).toEqual([key, 'function']);
    const readme = fs.readFileSync(path.resolve('README.md'), 'utf8');
    expect(readme).toContain(policyMarkdown());
  });
});

describe('query measurement', () => {
  const schema = buildSchema(`type Query { node: Node, nodes(first: Int = 20): [Node!]! }
    type Node { id: ID!, child: Node, children(first: Int = 10): NodeConnection! }
    type NodeConnection { edges: [Edge!]! }
    type Edge { node: Node! }`);
  const op = (q: string) => {
    const doc = parse(q);
    return measureOperation(
      schema,
      doc,
      doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!,
    );
  };

  it('counts depth through fragments, aliases, and cost with page sizes as multipliers', () => {
    expect(
      op('{ node { child { child { child { child { child { child { child { id } } } } } } } } }').depth,
    ).toBe(9);
    expect(op('query { ...F } fragment F on Query { node { child { id } } }').depth).toBe(3);
    expect(op('{ a: node { id } b: node { id } }').aliases).toBe(2);
    // nodes(first: 50) → 1 + 50 × 1
    expect(op('{ nodes(first: 50) { id } }').cost).toBe(51);
    // default first (20) and connection edges are the page, not another list
    expect(op('{ nodes { children(first: 5) { edges { node { id } } } } }').cost).toBe(
      1 + 20 + 20 * 5 + 20 * 5 + 20 * 5,
    );
    expect(op('query Q($n: Int = 7) { nodes(first: $n) { id } }').cost).toBe(8);
  });
});

describe('trusted documents', () => {
  it('keys each operation of a .graphql file (with its fragments) by sha256', () => {
    const docs = trustedDocumentsFromGraphql(
      'query A { health { ...H } } query B { health { status } } fragment H on Health { status }',
    );
    const values = Object.values(docs);
    expect(values.length).toBe(2);
    for (const [k, v] of Object.entries(docs)) expect(sha256(v)).toBe(k);
    expect(values.find((v) => v.startsWith('query A'))).toContain('fragment H on Health');
  });
});

describe('connector secrets', () => {
  it('come from the environment or a secrets file, the environment winning, and are redacted from text', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tp-sec-')), 'secrets.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ 'hubspot-main': { accessToken: 'from-file', clientSecret: 's3cr3t-value' } }),
    );
    const s = loadConnectorSecrets('hubspot-main', {
      env: { TOUCHPOINT_SECRET_HUBSPOT_MAIN_ACCESS_TOKEN: 'from-env' },
      secretsFile: file,
    });
    expect(s).toEqual({ accessToken: 'from-env', clientSecret: 's3cr3t-value' });
    expect(redactSecrets('401 for token from-env', s)).toBe('401 for token [redacted]');
  });
});

describe('the API never returns credentials', () => {
  it('no field of the real schema is a password, secret, token, credential or key', async () => {
    const { buildHubSchema } = await import('../graphql/schema.js');
    const { isObjectType } = await import('graphql');
    const schema = await buildHubSchema();
    const offenders: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const f of Object.keys(type.getFields()))
        if (/password|secret|token|credential|api_?key|authorization/i.test(f))
          offenders.push(`${type.name}.${f}`);
    }
    expect(offenders).toEqual([]);
  });
});
