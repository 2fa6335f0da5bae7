import { Field, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'Whether this hub process and its database are able to serve' })
export class Health {
  @Field({ description: 'ok when the database answers and every migration is applied, otherwise degraded' })
  status!: string;

  @Field({ description: 'up, down, or migrations-pending' })
  database!: string;

  @Field({ description: 'The hub version (package.json)' })
  version!: string;
}
