import type { ApolloServerPlugin } from '@apollo/server';
import { visit, type DocumentNode } from 'graphql';
import type { GatewayContext } from './context';
import { forbidden } from '../auth/authenticator';

/**
 * Introspection (`__schema`, `__type`) is for analysts and admins (GraphiQL, codegen); shoppers and
 * services get FORBIDDEN. `__typename` stays allowed for everyone: clients need it.
 */
export function usesIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') found = true;
    },
  });
  return found;
}

export const introspectionGuard: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ document, contextValue }) {
        const role = contextValue.identity.role;
        if (role !== 'analyst' && role !== 'admin' && usesIntrospection(document)) {
          throw forbidden('introspection is reserved for analysts and admins');
        }
      },
    };
  },
};
