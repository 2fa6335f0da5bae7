import { GraphQLJSON } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'One stream of a connector instance' })
export class StreamHealth {
  @Field()
  name!: string;

  @Field({ description: 'never_run, running, succeeded, failed' })
  status!: string;

  @Field(() => Float)
  recordsSynced!: number;

  @Field(() => Date, { nullable: true })
  lastSuccessAt!: Date | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => Date, { nullable: true })
  lastErrorAt!: Date | null;

  @Field(() => Float, { nullable: true, description: 'Seconds between now and the newest source change applied' })
  lagSeconds!: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'A configured connector instance and its health' })
export class ConnectorHealth {
  @Field(() => ID)
  id!: string;

  @Field()
  connector!: string;

  @Field()
  displayName!: string;

  @Field()
  category!: string;

  @Field({ description: 'ok, running, failing, never_run or disabled: the worst of its streams' })
  status!: string;

  @Field(() => Date, { nullable: true, description: 'The oldest last success across its streams' })
  lastSyncAt!: Date | null;

  @Field(() => Float, { nullable: true, description: 'The largest lag across its streams, in seconds' })
  lagSeconds!: number | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => Int)
  deadLetters!: number;

  @Field(() => [StreamHealth])
  streams!: StreamHealth[];
}

@ObjectType({ simpleResolvers: true })
export class SyncRun {
  @Field()
  stream!: string;

  @Field({ description: 'succeeded, failed, or busy (another process is syncing it)' })
  status!: string;

  @Field(() => Int)
  pages!: number;

  @Field(() => Int)
  records!: number;

  @Field(() => Int)
  deadLettered!: number;

  @Field(() => String, { nullable: true })
  error!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'An event or object that failed every retry' })
export class DeadLetter {
  @Field(() => ID)
  id!: string;

  @Field()
  instance!: string;

  @Field()
  eventId!: string;

  @Field(() => String, { nullable: true })
  eventType!: string | null;

  @Field({ description: 'webhook (replayable) or pull (from a sync or import: re-run the sync)' })
  origin!: string;

  @Field(() => Int)
  attempts!: number;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field()
  receivedAt!: Date;
}

@InputType({ description: 'A touch recorded by an app that is itself a touch point' })
export class RecordInteractionInput {
  @Field({ description: 'Your system name (becomes the interaction source)' })
  system!: string;

  @Field({ description: 'Your id for the interaction: recording it again with the same id updates it' })
  externalId!: string;

  @Field(() => ID, { nullable: true, description: 'The customer, if known' })
  customerId?: string | null;

  @Field(() => String, { nullable: true, description: 'Or an identifier kind (email, phone, social, external)' })
  identifierKind?: string | null;

  @Field(() => String, { nullable: true })
  identifierNamespace?: string | null;

  @Field(() => String, { nullable: true })
  identifierValue?: string | null;

  @Field()
  occurredAt!: Date;

  @Field()
  channel!: string;

  @Field({ description: 'inbound, outbound or internal' })
  direction!: string;

  @Field()
  kind!: string;

  @Field(() => String, { nullable: true })
  summary?: string | null;

  @Field(() => String, { nullable: true, description: 'Work email of the employee who handled it' })
  handledByEmail?: string | null;

  @Field(() => GraphQLJSON, { nullable: true })
  attributes?: Record<string, unknown> | null;
}
