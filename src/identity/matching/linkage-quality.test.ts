import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { isRoleAddress } from '../normalise/role-address.js';
import { candidatePairs } from './blocking.js';
import { connectedComponents } from './cluster.js';
import { COMPARED_FIELDS, type PersonFeatures } from './comparisons.js';
import {
  DEFAULT_AUTO_ACCEPT_WEIGHT,
  DEFAULT_MATCH_PARAMETERS,
  DEFAULT_SUGGEST_WEIGHT,
} from './default-parameters.js';
import { estimateParameters } from './estimate.js';
import { evaluateClusters, type ClusterEvaluation } from './evaluate.js';
import { matchWeight } from './fellegi-sunter.js';

// The labelled data lives outside the repository, in the shared folder beside it.
const CSV = new URL('../../../../shared/data/linkage/fake_1000.csv', import.meta.url);

function load(): { records: PersonFeatures[]; truth: Map<number, string> } {
  const [header, ...rows] = readFileSync(CSV, 'utf8').trim().split('\n');
  expect(header).toBe('unique_id,first_name,surname,dob,city,email,cluster');
  const records: PersonFeatures[] = [];
  const truth = new Map<number, string>();
  const opt = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s);
  for (const row of rows) {
    const [, firstName, lastName, dob, city, email, cluster] = row.split(',');
    truth.set(records.length, cluster as string);
    records.push({
      firstName: opt(firstName),
      lastName: opt(lastName),
      dob: opt(dob),
      city: opt(city),
      email: opt(email),
    });
  }
  return { records, truth };
}

const { records, truth } = load();
const pairs = candidatePairs(records);
const weights = pairs.map(([i, j]) =>
  matchWeight(records[i] as PersonFeatures, records[j] as PersonFeatures),
);

// The product's deterministic rule: exact (normalised) email, role addresses excepted.
const emailLinks: Array<[number, number]> = [];
{
  const firstWithEmail = new Map<string, number>();
  records.forEach((r, i) => {
    if (r.email === undefined || isRoleAddress(r.email)) return;
    const first = firstWithEmail.get(r.email);
    if (first === undefined) firstWithEmail.set(r.email, i);
    else emailLinks.push([first, i]);
  });
}

function clusterAt(threshold: number): ClusterEvaluation {
  const links = [...emailLinks, ...pairs.filter((_, k) => (weights[k] as number) >= threshold)];
  const cluster = connectedComponents(records.length, links);
  return evaluateClusters(new Map(Array.from(cluster, (c, i) => [i, c])), truth);
}

const fmt = (e: ClusterEvaluation): string =>
  `precision ${e.precision.toFixed(3)} recall ${e.recall.toFixed(3)} F1 ${e.f1.toFixed(3)} clusters ${e.predictedClusters} (true ${e.trueClusters})`;

describe('linkage quality on fake_1000 (1000 records, 251 people)', () => {
  it('has 251 true clusters, and blocking keeps the candidate pairs near linear', () => {
    expect(truth.size).toBe(1000);
    expect(new Set(truth.values()).size).toBe(251);
    expect(pairs.length).toBeLessThan(5 * records.length);
  });

  it('auto-accepted links (with exact email) are precise: pairwise precision ≥ 0.98', () => {
    const e = clusterAt(DEFAULT_AUTO_ACCEPT_WEIGHT);
    console.log(`exact email + auto-accept ≥ ${DEFAULT_AUTO_ACCEPT_WEIGHT} bits: ${fmt(e)}`);
    expect(e.precision).toBeGreaterThanOrEqual(0.98);
    // Auto-accepting must add to the deterministic email links, not only repeat them.
    expect(e.recall).toBeGreaterThan(clusterAt(Infinity).recall + 0.3);
  });

  it('with suggestions added, pairwise recall ≥ 0.90', () => {
    const e = clusterAt(DEFAULT_SUGGEST_WEIGHT);
    console.log(
      `exact email only: ${fmt(clusterAt(Infinity))}\nwith suggestions ≥ ${DEFAULT_SUGGEST_WEIGHT} bits: ${fmt(e)}`,
    );
    expect(e.recall).toBeGreaterThanOrEqual(0.9);
  });

  it('re-estimating the parameters from the data gives the shipped defaults', () => {
    // u from a 100k random-pair sample rather than all 499,500 pairs keeps this test fast;
    // the shipped values used every pair, so u may differ by sampling noise (well under half a bit).
    const { parameters } = estimateParameters(records, { uSamplePairs: 100_000, seed: 7 });
    for (const field of COMPARED_FIELDS) {
      const shipped = DEFAULT_MATCH_PARAMETERS.fields[field];
      parameters.fields[field].m.forEach((m, l) => expect(m).toBeCloseTo(shipped.m[l] as number, 2));
      parameters.fields[field].u.forEach((u, l) =>
        expect(Math.abs(Math.log2(u / (shipped.u[l] as number)))).toBeLessThan(0.5),
      );
    }
  });
});
