import type { InteractionIndex } from './interactions';

/**
 * Content similarity from item text: title and category tokens, IDF-weighted cosine. It is the only
 * signal for an item nobody has interacted with yet, so it serves cold items and cold sessions.
 * Built lazily and rebuilt at most every `rebuildMs` when the catalogue changed: it is a fallback
 * path, read only when the collaborative signal cannot fill a list.
 */
const STOP = new Set(['the', 'and', 'for', 'with', 'set', 'of', 'in', 'a', 'an', 'to', 'de', 'pack']);

export function tokenize(text: string): string[] {
  const out = new Set<string>();
  for (const t of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (t.length >= 3 && !STOP.has(t) && !/^\d+$/.test(t)) out.add(t);
  return [...out];
}

export class ContentIndex {
  private tokens: Int32Array[] = [];
  private postings = new Map<number, number[]>();
  private tokenIds = new Map<string, number>();
  private idf: number[] = [];
  private builtVersion = -1;
  private builtAt = 0;

  constructor(
    private readonly index: InteractionIndex,
    private readonly rebuildMs = 2000,
  ) {}

  private ensure(): void {
    const v = this.index.metaVersion;
    if (v === this.builtVersion) return;
    if (this.builtVersion >= 0 && Date.now() - this.builtAt < this.rebuildMs) return;
    this.tokens = [];
    this.postings.clear();
    this.tokenIds.clear();
    const n = this.index.itemCount;
    for (let i = 0; i < n; i++) {
      const m = this.index.items[i]!;
      const toks = tokenize(`${m.title ?? ''} ${m.category ?? ''}`);
      const ids = new Int32Array(toks.length);
      toks.forEach((t, k) => {
        let id = this.tokenIds.get(t);
        if (id === undefined) this.tokenIds.set(t, (id = this.tokenIds.size));
        ids[k] = id;
        let p = this.postings.get(id);
        if (!p) this.postings.set(id, (p = []));
        p.push(i);
      });
      this.tokens.push(ids);
    }
    this.idf = [];
    for (const [id, p] of this.postings) this.idf[id] = Math.log(1 + n / p.length);
    this.builtVersion = v;
    this.builtAt = Date.now();
  }

  /** Items most similar to `item` by text, best first; items with no interactions first on ties. */
  similar(item: number, k: number, maxPerToken = 5000): { item: number; score: number }[] {
    this.ensure();
    const mine = this.tokens[item];
    if (!mine || mine.length === 0) return [];
    const acc = new Map<number, number>();
    let norm = 0;
    for (const t of mine) {
      const w = this.idf[t]!;
      norm += w * w;
      const p = this.postings.get(t)!;
      for (let x = 0; x < Math.min(p.length, maxPerToken); x++) {
        const j = p[x]!;
        if (j !== item) acc.set(j, (acc.get(j) ?? 0) + w * w);
      }
    }
    const out: { item: number; score: number }[] = [];
    for (const [j, dot] of acc) {
      let nj = 0;
      for (const t of this.tokens[j]!) nj += this.idf[t]! ** 2;
      out.push({ item: j, score: dot / Math.sqrt(norm * nj) });
    }
    const tie = this.index.tieRank;
    out.sort((a, b) => b.score - a.score || this.index.degree(a.item) - this.index.degree(b.item) || tie[a.item]! - tie[b.item]! || a.item - b.item);
    return out.slice(0, k);
  }
}
