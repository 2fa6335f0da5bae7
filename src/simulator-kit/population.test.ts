import { describe, expect, it } from '@jest/globals';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import {
  generatePopulation,
  personViewFor,
  viewsFor,
  SYSTEM_CATEGORIES,
  type SimPersonView,
} from './population.js';

const pop = generatePopulation({ seed: 'unit', people: 400, employees: 40 });

function e164(view: SimPersonView): string | undefined {
  if (!view.phone) return undefined;
  return parsePhoneNumberFromString(
    view.phone,
    view.address?.country ?? (view.phone.startsWith('+1') ? 'US' : 'GB'),
  )?.number;
}

describe('generatePopulation', () => {
  it('is deterministic per seed and differs between seeds', () => {
    expect(generatePopulation({ seed: 'unit', people: 400, employees: 40 })).toEqual(pop);
    const other = generatePopulation({ seed: 'other', people: 400, employees: 40 });
    expect(other.people.map((p) => p.personalEmail)).not.toEqual(pop.people.map((p) => p.personalEmail));
  });

  it('makes the requested numbers of people and employees with unique ids', () => {
    expect(pop.people).toHaveLength(400);
    expect(pop.employees).toHaveLength(40);
    expect(new Set(pop.people.map((p) => p.personId)).size).toBe(400);
    expect(new Set(pop.employees.map((e) => e.employeeId)).size).toBe(40);
  });

  it('overlaps systems realistically: most in CRM, many in two or more, some only on social', () => {
    const inSystem = (s: string): number => pop.people.filter((p) => p.systems.includes(s as never)).length;
    expect(inSystem('crm')).toBeGreaterThan(inSystem('billing'));
    expect(inSystem('crm') / 400).toBeGreaterThan(0.6);
    expect(inSystem('billing') / 400).toBeGreaterThan(0.3);
    expect(pop.people.filter((p) => p.systems.length >= 2).length / 400).toBeGreaterThanOrEqual(0.5);
    const socialOnly = pop.people.filter((p) => p.systems.length === 1 && p.systems[0] === 'social');
    expect(socialOnly.length).toBeGreaterThan(10);
    // handles without phones: nothing but social ids in their views
    for (const p of socialOnly) {
      const view = personViewFor(p, 'social');
      expect(view?.phone).toBeNull();
      expect(view?.social?.x ?? view?.social?.instagram ?? view?.social?.facebook).toBeTruthy();
    }
    expect(pop.people.some((p) => p.systems.includes('hr') && p.employeeId !== null)).toBe(true);
  });

  it('writes phones in varied formats that all parse back to the person’s real numbers', () => {
    const styles = new Set<string>();
    for (const system of SYSTEM_CATEGORIES) {
      for (const view of viewsFor(pop, system)) {
        if (!view.phone) continue;
        const person = pop.people.find((p) => p.personId === view.personId);
        expect(person?.phones.map((ph) => ph.e164)).toContain(e164(view));
        styles.add(view.phone);
      }
    }
    const all = [...styles];
    for (const shape of [
      /^\+44 \d/,
      /^0\d{2,4} \d/,
      /^0044 \d/,
      /^\+44\d+$/,
      /^\(\d{3}\) \d{3}-\d{4}$/,
      /^\d{3}-\d{3}-\d{4}$/,
    ]) {
      expect(all.some((ph) => shape.test(ph))).toBe(true);
    }
    for (const view of viewsFor(pop, 'contact_centre')) if (view.phone) expect(view.phone).toMatch(/^\+\d+$/);
  });

  it('shares a household landline between 2–5 people, visible in the systems’ copies', () => {
    expect(pop.households.length).toBeGreaterThan(0);
    for (const h of pop.households) expect(h.memberIds.length).toBeGreaterThanOrEqual(2);
    for (const h of pop.households) expect(h.memberIds.length).toBeLessThanOrEqual(5);
    const holders = new Map<string, Set<string>>();
    for (const system of SYSTEM_CATEGORIES) {
      for (const view of viewsFor(pop, system)) {
        const n = e164(view);
        if (n) holders.set(n, (holders.get(n) ?? new Set()).add(view.personId));
      }
    }
    const shared = [...holders.entries()].filter(([, ids]) => ids.size >= 2);
    expect(shared.length).toBeGreaterThan(0);
    const householdPhones = new Set(pop.households.map((h) => h.phone));
    for (const [phone] of shared) expect(householdPhones.has(phone)).toBe(true);
  });

  it('has a support@ role address used by unrelated people in billing', () => {
    const byEmail = new Map<string, SimPersonView[]>();
    for (const v of viewsFor(pop, 'billing'))
      if (v.email) byEmail.set(v.email, [...(byEmail.get(v.email) ?? []), v]);
    const shared = [...byEmail.entries()].filter(
      ([email, vs]) => email.startsWith('support@') && vs.length >= 2,
    );
    expect(shared.length).toBeGreaterThan(0);
    const [, views] = shared[0]!;
    const households = views.map(
      (v) => pop.people.find((p) => p.personId === v.personId)?.householdId ?? v.personId,
    );
    expect(new Set(households).size).toBe(views.length);
  });

  it('puts typos and email variants in some copies, never in HR, and keeps the truth intact', () => {
    const altered = pop.people
      .flatMap((p) => Object.values(p.copies))
      .filter((c) => c.alterations.length > 0);
    const kinds = new Set(
      altered.flatMap((c) => c.alterations.map((a) => a.split(':')[0] + ':' + a.split(':')[1])),
    );
    expect([...kinds].some((k) => k.startsWith('lastName:'))).toBe(true);
    expect([...kinds].some((k) => k === 'email:gmail-dots' || k === 'email:plus-tag')).toBe(true);
    for (const p of pop.people) expect(p.copies.hr?.alterations ?? []).toEqual([]);
    const typoed = pop.people.find((p) => p.copies.crm?.alterations.some((a) => a.startsWith('lastName:')));
    expect(typoed && personViewFor(typoed, 'crm')?.lastName).not.toBe(typoed?.lastName);
  });

  it('gives stable social ids: X ids survive handle changes, Facebook ids differ per page', () => {
    expect(pop.people.some((p) => (p.social.x?.previousHandles.length ?? 0) > 0)).toBe(true);
    const twoPages = pop.people.find((p) => Object.keys(p.social.facebook?.pageScopedIds ?? {}).length === 2);
    const ids = Object.values(twoPages?.social.facebook?.pageScopedIds ?? {});
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
    const xIds = pop.people.flatMap((p) => (p.social.x ? [p.social.x.userId] : []));
    expect(new Set(xIds).size).toBe(xIds.length);
  });

  it('builds an HR tree: one chief, every manager exists, the service departments are staffed', () => {
    const ids = new Set(pop.employees.map((e) => e.employeeId));
    expect(pop.employees.filter((e) => e.managerId === null)).toHaveLength(1);
    for (const e of pop.employees) if (e.managerId) expect(ids.has(e.managerId)).toBe(true);
    const departments = new Set(pop.employees.map((e) => e.department));
    for (const d of ['Support', 'Sales', 'Billing', 'Social']) expect(departments.has(d as never)).toBe(true);
    for (const e of pop.employees) expect(e.workEmail).toMatch(/@touchpoint-demo\.co\.uk$/);
    expect(pop.employees.some((e) => e.x !== null)).toBe(true);
  });

  it('answers null for a system that does not hold the person', () => {
    const p = pop.people.find((x) => !x.systems.includes('billing'))!;
    expect(personViewFor(p, 'billing')).toBeNull();
  });

  it('handles a tiny population', () => {
    const tiny = generatePopulation({ seed: 1, people: 3, employees: 1 });
    expect(tiny.people).toHaveLength(3);
    expect(tiny.employees[0]?.managerId).toBeNull();
  });
});
