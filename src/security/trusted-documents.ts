import crypto from 'node:crypto';
import fs from 'node:fs';
import type { NextFunction, Request, Response } from 'express';
import {
  Kind,
  parse,
  print,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
} from 'graphql';

export const sha256 = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

/** sha256 of the document text → the document. */
export type TrustedDocuments = ReadonlyMap<string, string>;

function fragmentsUsed(
  def: DefinitionNode,
  all: Map<string, FragmentDefinitionNode>,
  out = new Set<string>(),
): Set<string> {
  visit(def, {
    FragmentSpread(node) {
      const name = node.name.value;
      if (out.has(name)) return;
      out.add(name);
      const frag = all.get(name);
      if (frag) fragmentsUsed(frag, all, out);
    },
  });
  return out;
}

/** One trusted document per operation of a .graphql file (with the fragments it uses), keyed by sha256. */
export function trustedDocumentsFromGraphql(text: string): Record<string, string> {
  const doc = parse(text);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const out: Record<string, string> = {};
  for (const d of doc.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const used = [...fragmentsUsed(d, fragments)]
      .sort()
      .map((n) => fragments.get(n)!)
      .filter(Boolean);
    const single: DocumentNode = { kind: Kind.DOCUMENT, definitions: [d, ...used] };
    const printed = print(single);
    out[sha256(printed)] = printed;
  }
  return out;
}

/** Reads trusted-documents.json, checking every key is the sha256 of its document. */
export function loadTrustedDocuments(file: string): TrustedDocuments {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const map = new Map<string, string>();
  for (const [hash, doc] of Object.entries(raw)) {
    if (typeof doc !== 'string' || sha256(doc) !== hash)
      throw new Error(`${file}: entry ${hash.slice(0, 12)}… is not the sha256 of its document`);
    map.set(hash, doc);
  }
  return map;
}

function isTrusted(docs: TrustedDocuments, query: string): boolean {
  if (docs.has(sha256(query))) return true;
  try {
    // Whitespace and comments do not change what a document does: compare the printed form too.
    return docs.has(sha256(print(parse(query))));
  } catch {
    return false;
  }
}

const NOT_TRUSTED = {
  errors: [
    {
      message: 'This GraphQL document is not on the list of trusted documents of this hub',
      extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
    },
  ],
};

/**
 * Production only: a request must send a trusted document, either as its text or as
 * `extensions.persistedQuery.sha256Hash` alone. Anything else is refused before Apollo parses it.
 */
export function trustedDocumentsMiddleware(docs: TrustedDocuments) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const source: Record<string, unknown> | undefined =
      req.method === 'GET'
        ? (req.query as Record<string, unknown>)
        : req.body && typeof req.body === 'object' && !Array.isArray(req.body)
          ? (req.body as Record<string, unknown>)
          : undefined;
    if (!source) return next();
    const query = source.query;
    if (typeof query === 'string' && query.length) {
      if (isTrusted(docs, query)) return next();
      res.status(400).json(NOT_TRUSTED);
      return;
    }
    let ext = source.extensions;
    if (typeof ext === 'string') {
      try {
        ext = JSON.parse(ext);
      } catch {
        ext = undefined;
      }
    }
    const hash = (ext as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery
      ?.sha256Hash;
    if (typeof hash === 'string' && docs.has(hash)) {
      if (req.method === 'GET') {
        res
          .status(400)
          .json({
            errors: [{ message: 'Send trusted documents by POST', extensions: { code: 'BAD_REQUEST' } }],
          });
        return;
      }
      const body = req.body as { query?: string; extensions?: { persistedQuery?: unknown } };
      body.query = docs.get(hash)!;
      // The document now travels as text; Apollo's own APQ cache plays no part.
      if (body.extensions && typeof body.extensions === 'object') delete body.extensions.persistedQuery;
      return next();
    }
    res.status(400).json(NOT_TRUSTED);
  };
}
