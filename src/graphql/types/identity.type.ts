import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { SourceRecordRef } from './customer.type.js';

@ObjectType({ simpleResolvers: true, description: 'One edge of the identity graph with the evidence that made it' })
export class IdentityLinkEvidence {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  fromRecordId!: string;

  @Field(() => ID)
  toRecordId!: string;

  @Field({ description: 'exact_email, exact_phone, exact_social, exact_external, probabilistic, manual_merge, suggestion_accepted' })
  rule!: string;

  @Field(() => Float, { nullable: true, description: 'Match weight for probabilistic links' })
  score!: number | null;

  @Field(() => GraphQLJSONObject, { description: 'Values matched, per-field comparisons, source' })
  evidence!: Record<string, unknown>;

  @Field({ description: 'Who or what made the link: rule:..., user:..., suggestion' })
  actor!: string;

  @Field()
  createdAt!: Date;
}

@ObjectType({ simpleResolvers: true, description: 'Why two records are one customer: the path of links between them' })
export class LinkExplanation {
  @Field(() => ID)
  customerId!: string;

  @Field(() => [IdentityLinkEvidence])
  path!: IdentityLinkEvidence[];
}

@ObjectType({ simpleResolvers: true, description: 'A possible match waiting for a person to accept or reject it' })
export class MatchSuggestion {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'probabilistic, guard:role_address, guard:cardinality, guard:name_conflict, guard:separated...' })
  reason!: string;

  @Field(() => Float, { nullable: true })
  score!: number | null;

  @Field(() => GraphQLJSONObject)
  evidence!: Record<string, unknown>;

  @Field()
  status!: string;

  @Field(() => SourceRecordRef)
  recordA!: SourceRecordRef;

  @Field(() => SourceRecordRef)
  recordB!: SourceRecordRef;

  @Field(() => ID, { nullable: true })
  customerA!: string | null;

  @Field(() => ID, { nullable: true })
  customerB!: string | null;

  @Field()
  createdAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class MergeResult {
  @Field(() => ID, { description: 'The surviving customer id (the oldest of the merged ones)' })
  customerId!: string;

  @Field(() => [ID], { description: 'Ids that now redirect to the survivor' })
  retiredIds!: string[];
}

@ObjectType({ simpleResolvers: true })
export class UnmergeResult {
  @Field(() => [ID], { description: 'The customers after the split; the first keeps the original id' })
  customerIds!: string[];
}

@ObjectType({ simpleResolvers: true })
export class SourceToNotify {
  @Field()
  system!: string;

  @Field()
  objectType!: string;

  @Field()
  externalId!: string;
}

@ObjectType({ simpleResolvers: true })
export class ErasureResult {
  @Field(() => ID)
  customerId!: string;

  @Field(() => [SourceToNotify], { description: 'Source systems holding the person: notify them (GDPR Art. 19)' })
  notify!: SourceToNotify[];

  @Field(() => Int)
  sourceRecordsRemoved!: number;

  @Field(() => Int)
  interactionsRemoved!: number;
}

@ObjectType({ simpleResolvers: true, description: 'One entry of the hash-chained audit log' })
export class AuditEntry {
  @Field(() => ID)
  seq!: string;

  @Field()
  occurredAt!: Date;

  @Field()
  actor!: string;

  @Field(() => String, { nullable: true })
  role!: string | null;

  @Field()
  action!: string;

  @Field(() => String, { nullable: true })
  purpose!: string | null;

  @Field(() => GraphQLJSONObject)
  details!: Record<string, unknown>;

  @Field()
  hash!: string;
}
