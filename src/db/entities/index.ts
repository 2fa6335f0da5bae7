import { AuditEventEntity, SuppressionEntity } from './audit.entity.js';
import { ConversationEntity } from './conversation.entity.js';
import { CustomerEntity, CustomerRedirectEntity } from './customer.entity.js';
import { EmployeeEntity } from './employee.entity.js';
import { IdentifierEntity, RecordIdentifierEntity } from './identifier.entity.js';
import {
  IdentitySeparationEntity,
  MatchEvidenceEntity,
  MatchSuggestionEntity,
  RecordBlockKeyEntity,
} from './identity-graph.entity.js';
import { IdentityLinkEntity } from './identity-link.entity.js';
import { ConnectorTokenEntity, InboxEventEntity, SyncStateEntity } from './ingest.entity.js';
import { InteractionEntity } from './interaction.entity.js';
import { LiveFieldCacheEntity } from './live-field.entity.js';
import { SourceRecordEntity } from './source-record.entity.js';

export * from './audit.entity.js';
export * from './conversation.entity.js';
export * from './customer.entity.js';
export * from './employee.entity.js';
export * from './identifier.entity.js';
export * from './identity-graph.entity.js';
export * from './identity-link.entity.js';
export * from './ingest.entity.js';
export * from './interaction.entity.js';
export * from './live-field.entity.js';
export * from './source-record.entity.js';

export const ENTITIES = [
  CustomerEntity,
  CustomerRedirectEntity,
  SourceRecordEntity,
  IdentifierEntity,
  RecordIdentifierEntity,
  IdentityLinkEntity,
  InteractionEntity,
  EmployeeEntity,
  ConversationEntity,
  InboxEventEntity,
  SyncStateEntity,
  ConnectorTokenEntity,
  AuditEventEntity,
  SuppressionEntity,
  IdentitySeparationEntity,
  MatchSuggestionEntity,
  MatchEvidenceEntity,
  RecordBlockKeyEntity,
  LiveFieldCacheEntity,
];
