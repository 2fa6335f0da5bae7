import {
  getNamedType,
  GraphQLError,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
  type ValueNode,
} from 'graphql';

export interface QueryLimits {
  /** Deepest field nesting (a root field is depth 1). */
  maxDepth: number;
  /** Fields weighted by the page sizes above them (`first`/`last`). */
  maxCost: number;
  maxAliases: number;
  /** Lexer tokens per document: refuses huge documents before they are even parsed fully. */
  maxTokens: number;
  /** Assumed size of a list field without `first`/`last`. */
  defaultListSize: number;
  /** Assumed `first` when it comes from a variable whose value is not known yet. */
  maxPageSize: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 8,
  maxCost: 5000,
  maxAliases: 15,
  maxTokens: 4000,
  defaultListSize: 10,
  maxPageSize: 100,
};

export interface QueryMetrics {
  depth: number;
  cost: number;
  aliases: number;
}

/** Stops pathological fragment fan-out from making the measurement itself expensive. */
const MAX_VISITS = 100_000;

function intValue(
  node: ValueNode | undefined,
  variables: Record<string, unknown> | undefined,
  op: OperationDefinitionNode,
  fallback: number,
): number | null {
  if (!node) return null;
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) {
    const name = node.name.value;
    const given = variables?.[name];
    if (typeof given === 'number') return given;
    const def = op.variableDefinitions?.find((v) => v.variable.name.value === name)?.defaultValue;
    if (def?.kind === Kind.INT) return Number(def.value);
    return fallback;
  }
  return null;
}

function isList(type: GraphQLOutputType): boolean {
  const t = isNonNullType(type) ? type.ofType : type;
  return isListType(t);
}

/** Measures one operation: depth, cost (page sizes multiply), aliases. Introspection is free. */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  op: OperationDefinitionNode,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
  variables?: Record<string, unknown>,
): QueryMetrics {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  let aliases = 0;
  let maxDepth = 0;
  let visits = 0;

  const multiplierOf = (
    def: GraphQLField<unknown, unknown> | undefined,
    node: FieldNode,
    paged: boolean,
  ): number => {
    if (!def) return 1;
    // A connection's edges/nodes are the page itself: its size was already counted by first/last.
    if (paged && (node.name.value === 'edges' || node.name.value === 'nodes')) return 1;
    for (const name of ['first', 'last']) {
      const argNode = node.arguments?.find((a) => a.name.value === name)?.value;
      const given = intValue(argNode, variables, op, limits.maxPageSize);
      if (given !== null) return Math.max(1, given);
      const argDef = def.args.find((a) => a.name === name);
      if (argDef && typeof argDef.defaultValue === 'number') return Math.max(1, argDef.defaultValue);
    }
    return isList(def.type) ? limits.defaultListSize : 1;
  };

  const hasPageArgs = (node: FieldNode): boolean =>
    Boolean(node.arguments?.some((a) => a.name.value === 'first' || a.name.value === 'last'));

  const walk = (
    set: SelectionSetNode,
    type: GraphQLNamedType | undefined,
    depth: number,
    multiplier: number,
    seen: ReadonlySet<string>,
    paged = false,
  ): number => {
    let cost = 0;
    for (const sel of set.selections) {
      if (++visits > MAX_VISITS) return Number.POSITIVE_INFINITY;
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        if (name.startsWith('__')) continue;
        if (sel.alias) aliases += 1;
        const d = depth + 1;
        if (d > maxDepth) maxDepth = d;
        const def =
          type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[name] : undefined;
        cost += multiplier;
        if (sel.selectionSet) {
          const isPaged =
            hasPageArgs(sel) || Boolean(def?.args.some((a) => a.name === 'first' || a.name === 'last'));
          cost += walk(
            sel.selectionSet,
            def ? getNamedType(def.type) : undefined,
            d,
            multiplier * multiplierOf(def, sel, paged),
            seen,
            isPaged,
          );
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        cost += walk(sel.selectionSet, t ?? undefined, depth, multiplier, seen, paged);
      } else {
        const name = sel.name.value;
        const frag = fragments.get(name);
        if (!frag || seen.has(name)) continue;
        cost += walk(
          frag.selectionSet,
          schema.getType(frag.typeCondition.name.value) ?? undefined,
          depth,
          multiplier,
          new Set([...seen, name]),
          paged,
        );
      }
    }
    return cost;
  };

  const root =
    op.operation === 'query'
      ? schema.getQueryType()
      : op.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const cost = walk(op.selectionSet, root ?? undefined, 0, 1, new Set());
  return { depth: maxDepth, cost, aliases };
}

/** Picks the operation a request runs (by name, or the only one). */
export function selectOperation(
  document: DocumentNode,
  operationName?: string | null,
): OperationDefinitionNode | undefined {
  const ops = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  return operationName
    ? ops.find((o) => o.name?.value === operationName)
    : ops.length === 1
      ? ops[0]
      : undefined;
}

function tooComplex(message: string, limit: string, value: number, max: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'QUERY_TOO_COMPLEX', limit, value: Number.isFinite(value) ? value : null, max },
  });
}

/**
 * One validation rule for depth, cost and aliases: a document over a limit is refused at
 * validation, so not one resolver runs.
 */
export function queryLimitsRule(limits: QueryLimits = DEFAULT_QUERY_LIMITS): ValidationRule {
  return (context) => ({
    Document: {
      leave(document) {
        for (const def of document.definitions) {
          if (def.kind !== Kind.OPERATION_DEFINITION) continue;
          const m = measureOperation(context.getSchema(), document, def, limits);
          const name = def.name ? ` ${def.name.value}` : '';
          if (m.depth > limits.maxDepth) {
            context.reportError(
              tooComplex(
                `Operation${name} is nested ${m.depth} deep; the limit is ${limits.maxDepth}`,
                'depth',
                m.depth,
                limits.maxDepth,
              ),
            );
          }
          if (m.cost > limits.maxCost) {
            context.reportError(
              tooComplex(
                `Operation${name} costs ${Number.isFinite(m.cost) ? m.cost : 'too much'}; the limit is ${limits.maxCost} (each field counts once per item of the pages above it: lower first/last)`,
                'cost',
                m.cost,
                limits.maxCost,
              ),
            );
          }
          if (m.aliases > limits.maxAliases) {
            context.reportError(
              tooComplex(
                `Operation${name} uses ${m.aliases} aliases; the limit is ${limits.maxAliases}`,
                'aliases',
                m.aliases,
                limits.maxAliases,
              ),
            );
          }
        }
      },
    },
  });
}
