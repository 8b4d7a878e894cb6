import { Field, Int, ObjectType, type ClassType } from 'type-graphql';

@ObjectType('PageInfo', { simpleResolvers: true })
export class PageInfoType {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

/** One entry of a page: the node and the cursor to continue after it. */
export interface Edge<TNode> {
  cursor: string;
  node: TNode;
}

/**
 * The one shape of a page (cursor paging): `edges { cursor node }`, `pageInfo`, `totalCount`.
 * `Connection(NodeType, 'X')` declares the GraphQL type `XEdge` and returns the base class of the
 * connection, which the caller names and describes:
 *
 *     @ObjectType('ItemConnection', { simpleResolvers: true, description: '...' })
 *     export class ItemConnection extends Connection(ItemType, 'Item') {}
 *
 * The base class is never referenced by a field, so it is not part of the schema; its fields are
 * inherited (type-graphql's generic types). Inherited fields keep the base's `simpleResolvers`.
 */
export function Connection<TNode extends object>(NodeType: ClassType<TNode>, nodeName: string) {
  @ObjectType(`${nodeName}Edge`, { simpleResolvers: true })
  class EdgeType implements Edge<TNode> {
    @Field()
    cursor!: string;

    @Field(() => NodeType)
    node!: TNode;
  }

  @ObjectType(`${nodeName}ConnectionBase`, { simpleResolvers: true })
  abstract class ConnectionBase {
    @Field(() => [EdgeType])
    edges!: Edge<TNode>[];

    @Field(() => PageInfoType)
    pageInfo!: PageInfoType;

    @Field(() => Int)
    totalCount!: number;
  }
  return ConnectionBase;
}
