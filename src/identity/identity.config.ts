import type { CountryCode } from 'libphonenumber-js';
import { DEFAULT_AUTO_ACCEPT_WEIGHT, DEFAULT_SUGGEST_WEIGHT } from './matching/index.js';

export type SurvivorshipRule = 'source_priority' | 'most_recent';

export interface IdentityConfig {
  defaultRegion: CountryCode;
  /** Values that never link, as `kind:namespace:value` (namespace empty for email/phone: `email::x@y.com`). */
  blockedValues: string[];
  /** A value held by more than this many distinct customers is quarantined (the household-phone guard). */
  tripWire: number;
  /** `kind:namespace` of ids a customer may hold only one of (e.g. `external:bamboohr:employee`). */
  uniqueNamespaces: string[];
  /** Probabilistic matching: at or above this weight a link is made, at or above `suggestWeight` a suggestion. */
  autoAcceptWeight: number;
  suggestWeight: number;
  /**
   * Record-by-record path: at most this many probabilistic suggestions are queued per apply, the
   * best-scored kept (a common first name and town can clear `suggestWeight` against dozens of
   * records; a reviewer queue cannot use that many for one record). 0: none.
   */
  maxSuggestionsPerRecord: number;
  probabilistic: boolean;
  /** Golden record: the rule per trait (default for any trait not listed: `defaultRule`). */
  traitRules: Record<string, SurvivorshipRule>;
  defaultRule: SurvivorshipRule;
  /** Systems in order of trust, for `source_priority` (a system not listed ranks last). */
  sourcePriority: string[];
}

export const DEFAULT_IDENTITY_CONFIG: IdentityConfig = {
  defaultRegion: 'GB',
  blockedValues: [],
  tripWire: 10,
  uniqueNamespaces: ['external:bamboohr:employee'],
  autoAcceptWeight: DEFAULT_AUTO_ACCEPT_WEIGHT,
  suggestWeight: DEFAULT_SUGGEST_WEIGHT,
  maxSuggestionsPerRecord: 5,
  probabilistic: true,
  traitRules: { firstName: 'source_priority', lastName: 'source_priority', dob: 'source_priority' },
  defaultRule: 'most_recent',
  sourcePriority: ['bamboohr', 'salesforce', 'hubspot', 'stripe', 'zendesk', 'twilio', 'csv', 'x', 'meta'],
};
