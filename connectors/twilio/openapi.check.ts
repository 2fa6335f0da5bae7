/**
 * Checks recorded requests against an OpenAPI 3 document: the path template and method must
 * exist, and every path and query parameter must be declared and fit its schema. A test helper
 * (the document is read from shared/specs at test time, never copied into the repo).
 */
interface Schema {
  type?: string;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  $ref?: string;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: Parameter[] } | unknown>>;
  components?: { schemas?: Record<string, Schema> };
}

function resolve(doc: OpenApiDocument, schema: Schema | undefined): Schema | undefined {
  if (!schema?.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  return doc.components?.schemas?.[name];
}

function checkValue(doc: OpenApiDocument, param: Parameter, value: string): string | null {
  const schema = resolve(doc, param.schema);
  if (!schema) return null;
  const where = `${param.in} parameter ${param.name}=${JSON.stringify(value)}`;
  if (schema.enum && !schema.enum.includes(value)) return `${where} is not one of ${schema.enum.join(', ')}`;
  if (schema.type === 'integer') {
    if (!/^-?\d+$/.test(value)) return `${where} is not an integer`;
    const n = Number(value);
    if (schema.minimum !== undefined && n < schema.minimum) return `${where} is below ${schema.minimum}`;
    if (schema.maximum !== undefined && n > schema.maximum) return `${where} is above ${schema.maximum}`;
  }
  if (schema.type === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) return `${where} is too short`;
    if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${where} is too long`;
    if (schema.pattern && !new RegExp(schema.pattern).test(value))
      return `${where} does not match ${schema.pattern}`;
    if (
      schema.format === 'date-time' &&
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)
    )
      return `${where} is not an RFC 3339 date-time`;
    if (schema.format === 'phone-number' && !/^\+[1-9]\d{1,14}$/.test(value))
      return `${where} is not an E.164 number`;
  }
  return null;
}

/** Problems with one request (empty when the document accepts it). */
export function checkRequest(
  doc: OpenApiDocument,
  req: { method: string; path: string; query: Readonly<Record<string, string | string[] | undefined>> },
): string[] {
  const segments = req.path.split('/');
  // literal segments beat templated ones, as in every router
  const literal = (t: string) => t.split('/').filter((p) => !p.includes('{')).length;
  const templates = Object.entries(doc.paths).sort(([a], [b]) => literal(b) - literal(a));
  for (const [template, item] of templates) {
    const parts = template.split('/');
    if (parts.length !== segments.length) continue;
    const pathValues: Record<string, string> = {};
    const matches = parts.every((part, i) => {
      const seg = decodeURIComponent(segments[i] ?? '');
      const m = /^\{(.+)\}(.*)$/.exec(part);
      if (!m) return part === seg;
      const [, name = '', suffix = ''] = m;
      if (!seg.endsWith(suffix) || seg.length === suffix.length) return false;
      pathValues[name] = seg.slice(0, seg.length - suffix.length);
      return true;
    });
    if (!matches) continue;
    const op = item[req.method.toLowerCase()] as { parameters?: Parameter[] } | undefined;
    if (!op) return [`${req.method} ${template} is not in the document`];
    const params = op.parameters ?? [];
    const problems: string[] = [];
    for (const p of params) {
      const value = p.in === 'path' ? pathValues[p.name] : p.in === 'query' ? req.query[p.name] : undefined;
      if (value === undefined) {
        if (p.required && (p.in === 'path' || p.in === 'query'))
          problems.push(`missing ${p.in} parameter ${p.name}`);
        continue;
      }
      for (const v of Array.isArray(value) ? value : [value]) {
        const problem = checkValue(doc, p, v);
        if (problem) problems.push(problem);
      }
    }
    for (const name of Object.keys(req.query))
      if (!params.some((p) => p.in === 'query' && p.name === name))
        problems.push(`query parameter ${name} is not declared`);
    return problems;
  }
  return [`no path in the document matches ${req.path}`];
}
