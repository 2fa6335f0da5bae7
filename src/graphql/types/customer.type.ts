import { GraphQLJSON } from 'graphql-scalars';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum IdentifierKind {
  EMAIL = 'email',
  PHONE = 'phone',
  SOCIAL = 'social',
  EXTERNAL = 'external',
}
registerEnumType(IdentifierKind, {
  name: 'IdentifierKind',
  description: 'email, phone (E.164), social (namespace = platform[:scope]), external (namespace = system:object)',
});

@ObjectType({ simpleResolvers: true, description: 'A golden-record trait with where it came from and the rule that chose it' })
export class Trait {
  @Field()
  name!: string;

  @Field(() => GraphQLJSON, { nullable: true })
  value!: unknown;

  @Field({ description: 'Connector instance that supplied the value' })
  source!: string;

  @Field(() => Date, { nullable: true, description: 'When the source last changed the value' })
  observedAt!: Date | null;

  @Field({ description: 'Survivorship rule that chose this value (source_priority, most_recent...)' })
  rule!: string;
}

@ObjectType({ simpleResolvers: true, description: 'An object in a source system that belongs to a customer' })
export class SourceRecordRef {
  @Field(() => ID)
  id!: string;

  @Field()
  system!: string;

  @Field()
  objectType!: string;

  @Field()
  externalId!: string;

  @Field(() => Date, { nullable: true })
  sourceUpdatedAt!: Date | null;

  @Field()
  deleted!: boolean;
}

@ObjectType({ simpleResolvers: true, description: 'One identifier of a customer, with the source record that carries it' })
export class Identity {
  @Field(() => IdentifierKind)
  kind!: IdentifierKind;

  @Field({ description: "Scope of the value: '' for email and phone" })
  namespace!: string;

  @Field({ description: 'Normalised value' })
  value!: string;

  @Field({ description: 'The value as the source wrote it' })
  rawValue!: string;

  @Field(() => SourceRecordRef)
  sourceRecord!: SourceRecordRef;
}

@Directive('@key(fields: "id")')
@ObjectType({ simpleResolvers: true, description: 'One person as every connected system knows them' })
export class Customer {
  @Field(() => ID, { description: 'Stable id; retired ids of merged customers redirect here' })
  id!: string;

  @Field()
  status!: string;

  @Field(() => Int, { description: 'How many source records make up this customer' })
  recordCount!: number;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;

  /** Internal: the golden record as stored; served through the `traits` field resolver. */
  traitMap!: Record<string, unknown>;
}
