import { readFileSync } from 'node:fs';
import { Kind, parse } from 'graphql';
import { MANIFEST_FILE } from './safelist';

/**
 * Label values for the request-duration histogram: the names of the operations kept in the repo
 * (schema/operations/, as codegen's persisted-documents manifest), "anonymous" for unnamed operations,
 * "other" for every other name. Clients choose operation names freely; labelling by them would let
 * anyone grow the label set without bound or crowd out the real operations.
 */
export class OperationLabels {
  constructor(private readonly known: ReadonlySet<string>) {}

  static fromManifest(file = MANIFEST_FILE): OperationLabels {
    const names = new Set<string>();
    try {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
      for (const text of Object.values(manifest)) {
        for (const def of parse(text).definitions) if (def.kind === Kind.OPERATION_DEFINITION && def.name) names.add(def.name.value);
      }
    } catch {
      // No manifest (a stripped install): every named operation is "other"; metrics stay bounded.
    }
    return new OperationLabels(names);
  }

  labelFor(body: unknown): string {
    const name = body && typeof body === 'object' && 'operationName' in body ? (body as { operationName: unknown }).operationName : undefined;
    if (typeof name !== 'string' || name.length === 0) return 'anonymous';
    return this.known.has(name) ? name : 'other';
  }

  get size(): number {
    return this.known.size;
  }
}
