/**
 * Role (shared, functional) mailbox detection. A role address belongs to a team, not a person,
 * so it must never link two customers deterministically (DESIGN §5.3): it becomes a suggestion.
 */

// Local parts (after plus-tag removal, lower-case) that name a function rather than a person.
const ROLE_LOCAL_PARTS: ReadonlySet<string> = new Set([
  'abuse',
  'accounting',
  'accounts',
  'admin',
  'administrator',
  'billing',
  'bookings',
  'careers',
  'community',
  'compliance',
  'contact',
  'contactus',
  'customercare',
  'customerservice',
  'customersupport',
  'daemon',
  'dev',
  'devnull',
  'do-not-reply',
  'donotreply',
  'enquiries',
  'enquiry',
  'feedback',
  'finance',
  'hello',
  'help',
  'helpdesk',
  'hostmaster',
  'hr',
  'info',
  'information',
  'inquiries',
  'invoice',
  'invoices',
  'it',
  'jobs',
  'legal',
  'mailer-daemon',
  'marketing',
  'media',
  'news',
  'newsletter',
  'no-reply',
  'noreply',
  'notifications',
  'office',
  'operations',
  'ops',
  'orders',
  'payments',
  'postmaster',
  'press',
  'privacy',
  'purchasing',
  'reception',
  'recruitment',
  'root',
  'sales',
  'security',
  'service',
  'services',
  'shop',
  'social',
  'support',
  'sysadmin',
  'team',
  'tech',
  'test',
  'webmaster',
  'welcome',
  'www',
]);

// Separators people put inside role names: "customer.service", "customer_service", "no_reply".
const SEPARATORS = /[._]/g;

/**
 * True when the address's local part is a role mailbox (support@, info@, noreply@ ...).
 * Accepts raw or normalised addresses; plus-tags are ignored (`support+tickets@x.com` is a role).
 */
export function isRoleAddress(email: string): boolean {
  const at = email.lastIndexOf('@');
  if (at <= 0) return false;
  let local = email.slice(0, at).trim().toLowerCase();
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (ROLE_LOCAL_PARTS.has(local)) return true;
  const compact = local.replace(SEPARATORS, '');
  return (
    compact !== local &&
    (ROLE_LOCAL_PARTS.has(compact) || ROLE_LOCAL_PARTS.has(local.replace(SEPARATORS, '-')))
  );
}
