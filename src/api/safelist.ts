import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Safelist mode (`FLYWHEEL_SAFELIST=on`): only operations that codegen produced from
 * schema/operations/ are executed. Clients send `{"documentId": "sha256:<hash>", "variables": ...}`
 * (the client preset's persisted-document form) or the full text of a listed document; anything else
 * is refused with PERSISTED_QUERY_NOT_ALLOWED.
 */
export const MANIFEST_FILE = path.resolve(__dirname, '../../../src/generated/graphql/persisted-documents.json');

export class Safelist {
  private readonly byHash: Map<string, string>;
  private readonly texts: Set<string>;

  constructor(manifest: Record<string, string>) {
    this.byHash = new Map(Object.entries(manifest));
    this.texts = new Set(this.byHash.values());
  }

  static fromFile(file = MANIFEST_FILE): Safelist {
    return new Safelist(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>);
  }

  /** Returns the body to execute (with the listed query text), or null when not allowed. */
  resolve(body: unknown): Record<string, unknown> | null {
    if (!body || typeof body !== 'object') return null;
    const b = body as Record<string, unknown>;
    const id = typeof b.documentId === 'string' ? b.documentId : persistedHash(b.extensions);
    if (id) {
      const text = this.byHash.get(id.startsWith('sha256:') ? id : `sha256:${id}`);
      if (!text) return null;
      const { documentId: _id, extensions: _ext, ...rest } = b;
      return { ...rest, query: text };
    }
    return typeof b.query === 'string' && this.texts.has(b.query) ? b : null;
  }

  get size(): number {
    return this.byHash.size;
  }
}

function persistedHash(extensions: unknown): string | undefined {
  const pq = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  return typeof pq?.sha256Hash === 'string' ? pq.sha256Hash : undefined;
}
