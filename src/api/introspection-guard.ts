import { visit, type DocumentNode } from 'graphql';

/**
 * Introspection (`__schema`, `__type`) is for analysts and admins (GraphiQL, codegen); shoppers and
 * services get FORBIDDEN (enforced by the admission gate, src/api/admission.ts, on both transports).
 * `__typename` stays allowed for everyone: clients need it.
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
