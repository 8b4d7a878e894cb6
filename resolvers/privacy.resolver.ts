import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { ErasureResultType } from '../graph-models/privacy.model';
import type { GatewayContext } from './context';
import { inputError } from './errors';
import { toErasureResult } from './mappers/privacy';

@Resolver()
export class PrivacyResolver {
  @Authorized('admin')
  @Mutation(() => ErasureResultType, {
    description:
      "Right to erasure: removes the user (and anonymous sessions linked to them) with their interactions, segment membership, anomaly evidence, events and every count derived from them (popularity, similar items, other users' recommendations). Admin only.",
  })
  async eraseUser(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<ErasureResultType> {
    if (id.length === 0 || id.length > 256) throw inputError('id must be 1 to 256 characters', 'id');
    if (id.startsWith('session:')) throw inputError('erase a customer id; anonymous sessions linked to it are erased with it', 'id');
    return toErasureResult(await ctx.app.privacy.erase(id));
  }
}
