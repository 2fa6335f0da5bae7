import { hintFor, maskJson, maskScalar, maskText } from './mask.js';

/** The roles a credential can carry (API key or OIDC token). */
export const ROLES = ['agent', 'supervisor', 'analyst', 'integrator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** Columns of the policy table: the roles, and `anonymous` for a request without a credential. */
export const PRINCIPALS = ['anonymous', ...ROLES] as const;
export type Principal = (typeof PRINCIPALS)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * allow: the value as stored; mask: the value with its characters hidden (`j•••@e•••.com`);
 * deny: a FORBIDDEN error on the field (root fields: on the operation, before any resolver runs).
 */
export type Access = 'allow' | 'mask' | 'deny';

export interface PolicyRow {
  /** One access per column of PRINCIPALS, written as letters: A allow, M mask, D deny. */
  access: Record<Principal, Access>;
  /** Personal data of a customer: reading it is audited and masked where the row says M. */
  personal: boolean;
  /** How the value is masked; the root object gives context (a trait's name, an identity's kind). */
  mask?: (value: unknown, root: Record<string, unknown>) => unknown;
  note: string;
}

const LETTER: Record<string, Access> = { A: 'allow', M: 'mask', D: 'deny' };

/** `row('D A A M D A', ...)`: columns anonymous agent supervisor analyst integrator admin. */
function row(
  letters: string,
  note: string,
  extra: Partial<Omit<PolicyRow, 'access' | 'note'>> = {},
): PolicyRow {
  const parts = letters.split(/\s+/);
  if (parts.length !== PRINCIPALS.length || parts.some((p) => !LETTER[p]))
    throw new Error(`bad policy row "${letters}"`);
  const access = Object.fromEntries(PRINCIPALS.map((p, i) => [p, LETTER[parts[i]!]!])) as Record<
    Principal,
    Access
  >;
  return { access, personal: false, note, ...extra };
}

const personalScalar = (letters: string, note: string, hintFrom?: string) =>
  row(letters, note, {
    personal: true,
    mask: (v, root) => maskScalar(v, hintFrom ? hintFor(root[hintFrom]) : undefined),
  });
const personalJson = (letters: string, note: string, hintFrom?: string) =>
  row(letters, note, {
    personal: true,
    mask: (v, root) => maskJson(v, hintFrom ? hintFor(root[hintFrom]) : undefined),
  });
const personalText = (letters: string, note: string) =>
  row(letters, note, { personal: true, mask: (v) => (typeof v === 'string' ? maskText(v) : v) });

/**
 * THE access table: every root field (operation) and every personal field, by role. The README's
 * "Access by role" section is printed from it (`policyMarkdown`, checked by a test).
 *
 * A root field missing from the table is allowed to `admin` only, so a new query or mutation is
 * closed until someone decides who may use it. Any other field missing from the table is not
 * personal data and follows the access of the root field that reached it.
 */
export const POLICY: Record<string, PolicyRow> = {
  //                                  anon agent sup analyst integr admin
  'Query.health': row('A A A A A A', 'Process and database status'),
  'Query.customer': row('D A A A A A', 'A customer by id'),
  'Query.customerByIdentifier': row('D A A A A A', 'A customer by email, phone, social or external id'),
  'Query.searchCustomers': row('D A A A D A', 'Search by name, email, phone'),
  'Query.screenPop': row('D A A D D A', 'Call-centre screen for a ringing phone'),
  'Query.timeline': row('D A A A D A', 'Interactions of a customer'),
  'Query.explainLink': row('D D A A D A', 'Why two records are one customer'),
  'Query.suggestions': row('D D A D D A', 'Possible matches to review'),
  'Query.auditTrail': row('D D A D D A', 'Audit events about a customer'),
  'Query.connectors': row('D D A A A A', 'Connector health, last sync, lag'),
  'Query.deadLetters': row('D D D D A A', 'Failed events waiting for replay'),
  'Mutation.mergeCustomers': row('D D A D D A', 'Merge two customers'),
  'Mutation.unmergeCustomer': row('D D A D D A', 'Split records away from a customer'),
  'Mutation.acceptSuggestion': row('D D A D D A', 'Accept a suggested match'),
  'Mutation.rejectSuggestion': row('D D A D D A', 'Reject a suggested match'),
  'Mutation.eraseCustomer': row('D D D D D A', 'Erase a person everywhere (GDPR Art. 17)'),
  'Mutation.recordInteraction': row('D A A D A A', 'Record a touch (note, call outcome)'),
  'Mutation.triggerSync': row('D D D D A A', 'Start a connector sync now'),
  'Mutation.replayDeadLetter': row('D D D D A A', 'Replay a dead-lettered event'),
  'Query._service': row('D A A A A A', 'Federation: the subgraph SDL for a gateway'),
  'Query._entities': row(
    'D A A A A A',
    'Federation: customers by key for a gateway (fields below follow this table)',
  ),
  'Subscription.customerTimeline': row('D A A D D A', 'Live interactions of a customer'),
  'Subscription.customerChanged': row('D A A D A A', 'Merges, splits, erasures'),

  'Customer.billing': row('D A A D D A', 'Open balance and overdue invoices, live from billing (money: denied, not masked)'),
  'Trait.value': personalJson('D A A M D A', 'Golden-record value (name, email, phone, address...)', 'name'),
  'Identity.value': personalScalar('D A A M M A', 'Normalised identifier', 'kind'),
  'Identity.rawValue': personalScalar('D A A M M A', 'Identifier as the source wrote it', 'kind'),
  'Interaction.summary': personalText('D A A M D A', 'What was said or written'),
  'Interaction.attributes': personalJson('D A A M M A', 'Source attributes (amount, duration, addresses...)'),
  'Conversation.subject': personalText('D A A M D A', 'Ticket or thread subject'),
  'IdentityLinkEvidence.evidence': personalJson('D A A M M A', 'Values matched between two records'),
  'MatchSuggestion.evidence': personalJson('D A A M M A', 'Values compared for a suggestion'),
};

/** Keys of root types: their fields are operations. */
export const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/** What `principal` may do with `Type.field`; root fields not in the table are admin-only. */
export function accessFor(typeName: string, fieldName: string, principal: Principal): Access {
  if (fieldName.startsWith('__')) return 'allow';
  const row = POLICY[`${typeName}.${fieldName}`];
  if (row) return row.access[principal];
  if (ROOT_TYPES.has(typeName)) return principal === 'admin' ? 'allow' : 'deny';
  return 'allow';
}

/**
 * Which customer an object belongs to, per GraphQL type: personal fields below such an object are
 * audited as reads of that customer.
 */
export const CUSTOMER_OF: Record<string, (root: Record<string, unknown>) => (string | null | undefined)[]> = {
  Customer: (r) => [r.id as string],
  ScreenPop: (r) => [(r.customer as { id?: string } | undefined)?.id],
  Interaction: (r) => [r.customerId as string | null],
  LinkExplanation: (r) => [r.customerId as string],
  MatchSuggestion: (r) => [r.customerA as string | null, r.customerB as string | null],
};

/** The README section: one markdown table printed from POLICY. */
export function policyMarkdown(): string {
  const word: Record<Access, string> = { allow: 'yes', mask: 'masked', deny: '—' };
  const lines = [
    `| Type.field | ${PRINCIPALS.join(' | ')} | personal | what |`,
    `|${' --- |'.repeat(PRINCIPALS.length + 3)}`,
    ...Object.entries(POLICY).map(
      ([key, r]) =>
        `| \`${key}\` | ${PRINCIPALS.map((p) => word[r.access[p]]).join(' | ')} | ${r.personal ? 'yes' : ''} | ${r.note} |`,
    ),
  ];
  return lines.join('\n');
}
