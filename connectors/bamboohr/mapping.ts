import type {
  CanonicalBatch,
  CanonicalEmployee,
  CanonicalIdentifier,
  CanonicalPerson,
} from '../../src/connector-kit/index.js';
import { MappingError } from '../../src/connector-kit/index.js';
import type { BambooHrEmployee, BambooHrItem } from './client.js';

export const PERSON_OBJECT = 'employee';
/** The hub treats this namespace as unique per customer: one customer never holds two HR ids. */
export const EMPLOYEE_NAMESPACE = 'bamboohr:employee';

/** `https://twitter.com/jo_tpd`, `x.com/jo_tpd` or `@jo_tpd` → `jo_tpd`. */
export function xHandleOf(url: string | null | undefined): string | null {
  if (!url) return null;
  const trimmed = url.trim();
  const m =
    /^(?:https?:\/\/)?(?:www\.|mobile\.)?(?:twitter|x)\.com\/@?([A-Za-z0-9_]{1,15})\/?(?:[?#].*)?$/i.exec(
      trimmed,
    );
  if (m?.[1]) return m[1];
  const at = /^@?([A-Za-z0-9_]{1,15})$/.exec(trimmed);
  return at?.[1] ?? null;
}

const text = (v: string | null | undefined): string | null => (v && v.trim() !== '' ? v.trim() : null);

function displayNameOf(e: BambooHrEmployee): string {
  const first = text(e.preferredName) ?? text(e.firstName);
  return [first, text(e.lastName)].filter(Boolean).join(' ') || `Employee ${e.employeeId}`;
}

function mapLive(e: BambooHrEmployee): CanonicalBatch {
  if (!e.employeeId) throw new MappingError('employee without employeeId', 'employeeId');
  const id = String(e.employeeId);
  const updatedAt = e.lastChanged ?? null;
  const x = xHandleOf(e.twitterUrl);
  const workEmail = text(e.workEmail);
  const manager =
    e.reportsToId === null || e.reportsToId === undefined || e.reportsToId === ''
      ? null
      : String(e.reportsToId);
  const employee: CanonicalEmployee = {
    externalId: id,
    displayName: displayNameOf(e),
    title: text(e.jobTitleName),
    department: text(e.departmentName),
    managerExternalId: manager,
    workEmails: workEmail ? [workEmail] : [],
    handles: x ? { x } : {},
    status: (e.status ?? 'unknown').toLowerCase(),
    updatedAt,
  };
  // Staff who are also customers resolve through their personal contact details and the HR id.
  const identifiers: CanonicalIdentifier[] = [{ kind: 'external', namespace: EMPLOYEE_NAMESPACE, value: id }];
  for (const email of [workEmail, text(e.homeEmail)])
    if (email) identifiers.push({ kind: 'email', value: email });
  const mobile = text(e.mobilePhone);
  if (mobile) identifiers.push({ kind: 'phone', value: mobile });
  const traits: CanonicalPerson['traits'] = { displayName: displayNameOf(e) };
  if (text(e.firstName)) traits.firstName = text(e.firstName) as string;
  if (text(e.lastName)) traits.lastName = text(e.lastName) as string;
  if (text(e.birthDate)) traits.dob = text(e.birthDate) as string;
  if (text(e.jobTitleName)) traits.jobTitle = text(e.jobTitleName) as string;
  const person: CanonicalPerson = {
    objectType: PERSON_OBJECT,
    externalId: id,
    updatedAt,
    deleted: false,
    traits,
    identifiers,
    payload: e,
  };
  return { employees: [employee], people: [person] };
}

/** One BambooHR employee (or a deletion from `/employees/changed`) → employee + person record. */
export function mapEmployee(item: BambooHrItem): CanonicalBatch {
  if ('deleted' in item && item.deleted) {
    const id = String(item.employeeId);
    return {
      people: [
        {
          objectType: PERSON_OBJECT,
          externalId: id,
          updatedAt: item.lastChanged,
          deleted: true,
          identifiers: [{ kind: 'external', namespace: EMPLOYEE_NAMESPACE, value: id }],
          payload: item,
        },
      ],
      // No employee record: BambooHR keeps no name for a deleted employee, and CanonicalEmployee
      // has no deletion flag, so sending one would overwrite the stored name with nothing.
    };
  }
  return mapLive(item as BambooHrEmployee);
}
