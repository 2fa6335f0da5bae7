/** `'/v1/customers/:id'`, `'/crm/*'`, exact strings or a RegExp, matched against a request path. */
export type PathPattern = string | RegExp;

export function compilePath(pattern: PathPattern): RegExp {
  if (pattern instanceof RegExp) return pattern;
  const source = pattern
    .split('/')
    .map((seg) =>
      seg === '*' ? '.*' : seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${source}/?$`);
}

export function pathMatches(
  pattern: PathPattern | readonly PathPattern[] | undefined,
  path: string,
): boolean {
  if (pattern === undefined) return true;
  const list: readonly PathPattern[] =
    typeof pattern === 'string' || pattern instanceof RegExp ? [pattern] : pattern;
  return list.some((p) => compilePath(p).test(path));
}
