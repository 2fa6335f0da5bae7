import type { IdentityConfig } from './identity.config.js';

export interface TraitSource {
  system: string;
  traits: Record<string, unknown>;
  sourceUpdatedAt: Date | null;
}

export interface GoldenTrait {
  value: unknown;
  source: string;
  observedAt: string | null;
  rule: string;
}

const empty = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

/**
 * Per-trait survivorship over a customer's source records. Empty values never win (never
 * overwrite with null); `source_priority` takes the most trusted system that has a value (the
 * most recent of its records on a tie); `most_recent` the newest source update.
 */
export function goldenRecord(sources: readonly TraitSource[], config: Pick<IdentityConfig, 'traitRules' | 'defaultRule' | 'sourcePriority'>): Record<string, GoldenTrait> {
  const rank = (system: string) => {
    const base = system.split(/[-:]/)[0] ?? system;
    const i = config.sourcePriority.indexOf(system);
    const j = config.sourcePriority.indexOf(base);
    return i >= 0 ? i : j >= 0 ? j : config.sourcePriority.length;
  };
  const time = (s: TraitSource) => s.sourceUpdatedAt?.getTime() ?? 0;
  const out: Record<string, GoldenTrait> = {};
  if (sources.length === 1) {
    // One source wins every trait it has a value for (most customers of an import have one record).
    const only = sources[0]!;
    const observedAt = only.sourceUpdatedAt?.toISOString() ?? null;
    for (const name of Object.keys(only.traits).sort()) {
      if (empty(only.traits[name])) continue;
      out[name] = { value: only.traits[name], source: only.system, observedAt, rule: config.traitRules[name] ?? config.defaultRule };
    }
    return out;
  }
  const names = new Set(sources.flatMap((s) => Object.keys(s.traits)));
  for (const name of [...names].sort()) {
    const rule = config.traitRules[name] ?? config.defaultRule;
    const candidates = sources.filter((s) => !empty(s.traits[name]));
    if (!candidates.length) continue;
    candidates.sort((a, b) =>
      rule === 'source_priority'
        ? rank(a.system) - rank(b.system) || time(b) - time(a) || a.system.localeCompare(b.system)
        : time(b) - time(a) || rank(a.system) - rank(b.system) || a.system.localeCompare(b.system),
    );
    const best = candidates[0]!;
    out[name] = { value: best.traits[name], source: best.system, observedAt: best.sourceUpdatedAt?.toISOString() ?? null, rule };
  }
  return out;
}
