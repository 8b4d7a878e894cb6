import type { AuthChecker } from 'type-graphql';
import { forbidden } from './authenticator';
import type { Identity, Role } from './identity';

/**
 * Authorisation rules, in one place. Resolvers declare which roles may call them with
 * `@Authorized(...)`; the per-user rule for shoppers (only themselves) is `assertActsFor`.
 */
// Typed by what it reads (the caller's identity), not by the API's context type: auth sits below the API.
export const authChecker: AuthChecker<{ identity: Identity }, Role> = ({ context }, roles) => {
  const role = context.identity.role;
  if (roles.length === 0 || role === 'admin' || roles.includes(role)) return true;
  throw forbidden(`role ${role} may not do this; allowed: ${[...roles, 'admin'].join(', ')}`);
};

/** A shopper may only read or write as the user in their token; other roles act for anyone. */
export function assertActsFor(identity: Identity, userId: string | undefined | null): void {
  if (identity.role !== 'shopper') return;
  if (userId !== identity.subject) throw forbidden(`a shopper token may only act for its own user (${identity.subject})`);
}

/** Roles that can see analyst-grade data (segments, anomalies, dead letters, introspection). */
export const ANALYSTS: Role[] = ['analyst'];
export const SHOP: Role[] = ['shopper', 'service', 'analyst'];
