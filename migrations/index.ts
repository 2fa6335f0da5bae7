import type { MigrationInterface } from 'typeorm';
import { Initial1795624361245 } from './1795624361245-initial.js';
import { IdentityGraph1795624798379 } from './1795624798379-identity-graph.js';
import { Security1795625844531 } from './1795625844531-security.js';
import { LiveFieldCache1795628146701 } from './1795628146701-live-field-cache.js';
import { InboxDueIndex1795640000000 } from './1795640000000-inbox-due-index.js';
import { ScreenPopIndexes1795641000000 } from './1795641000000-screen-pop-indexes.js';
import { AuditAppendFunction1795642000000 } from './1795642000000-audit-append-function.js';
import { BlockKeyCoveringIndex1795643860345 } from './1795643860345-block-key-covering-index.js';
import { RateLimitUnlogged1795644000000 } from './1795644000000-rate-limit-unlogged.js';
import { BlockKeyCCollation1795645000000 } from './1795645000000-block-key-c-collation.js';
import { IdentityKeysCCollation1795646000000 } from './1795646000000-identity-keys-c-collation.js';
import { EvidenceAsJson1795647000000 } from './1795647000000-evidence-as-json.js';
import { OrderedUuidDefaults1795648000000 } from './1795648000000-ordered-uuid-defaults.js';
import { IdentityKeysValueFirst1795649000000 } from './1795649000000-identity-keys-value-first.js';
import { SharedSuggestionEvidence1795650000000 } from './1795650000000-shared-suggestion-evidence.js';

/** Every migration, oldest first. Never edit a landed migration: add a new one at the end. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [Initial1795624361245, IdentityGraph1795624798379, Security1795625844531, LiveFieldCache1795628146701, InboxDueIndex1795640000000, ScreenPopIndexes1795641000000, AuditAppendFunction1795642000000, BlockKeyCoveringIndex1795643860345, RateLimitUnlogged1795644000000, BlockKeyCCollation1795645000000, IdentityKeysCCollation1795646000000, EvidenceAsJson1795647000000, OrderedUuidDefaults1795648000000, IdentityKeysValueFirst1795649000000, SharedSuggestionEvidence1795650000000];
