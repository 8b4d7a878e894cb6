import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { readEventBatches } from '../../src/import/importer';

const DATASET = '/work/shared/datasets/online-retail/online-retail-2010-12-to-2011-09.csv.gz';
const BIN = path.resolve(__dirname, '../../../bin/flywheel.js');
const run = promisify(execFile);

/**
 * The bar of issue 5 on real data: segments built on lines before 2011-09-01 separate September behaviour
 * (share of a segment's customers who buy in September) by at least 3x between the most and least active
 * segment, with names that agree (Champions-like above the base rate, Hibernating-like below).
 */
describe('flywheel segments (CLI, online retail)', { skip: existsSync(DATASET) ? false : `dataset missing: ${DATASET}` }, () => {
  it('separates next-month buyers by >= 3x with agreeing names', { timeout: 600_000 }, async (t) => {
    const { stdout } = await run(
      process.execPath,
      [BIN, 'segments', '--input', DATASET, '--format', 'online-retail', '--until', '2011-09-01', '--members', '--json'],
      {
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, LOG_LEVEL: 'silent' },
      },
    );
    const out = JSON.parse(stdout) as {
      k: number;
      silhouette: number;
      segments: { id: string; name: string; size: number; recency: number; frequency: number; monetary: number }[];
      members: Record<string, string>;
    };
    assert.ok(out.k >= 3 && out.k <= 6, `k ${out.k}`);
    assert.ok(out.silhouette > 0.25, `silhouette ${out.silhouette}`);
    assert.equal(
      Object.keys(out.members).length,
      out.segments.reduce((s, x) => s + x.size, 0),
    );
    for (const s of out.segments)
      assert.deepEqual(Object.keys(s), ['id', 'name', 'size', 'recency', 'frequency', 'monetary', 'averageOrderValue', 'nextPeriodBuyRate']);

    // September buyers, from the same cleaned events.
    const sept = Date.UTC(2011, 8, 1);
    const buyers = new Set<string>();
    for await (const batch of readEventBatches(DATASET, { format: 'online-retail' }, {})) {
      for (const e of batch) if (e.kind === 'interaction' && e.timestamp >= sept && e.userId) buyers.add(e.userId);
    }
    const members = Object.entries(out.members);
    const base = members.filter(([u]) => buyers.has(u)).length / members.length;
    const rate = new Map<string, number>();
    for (const s of out.segments) {
      const m = members.filter(([, id]) => id === s.id);
      rate.set(s.id, m.filter(([u]) => buyers.has(u)).length / m.length);
    }
    const ranked = [...out.segments].sort((a, b) => rate.get(b.id)! - rate.get(a.id)!);
    const top = ranked[0]!;
    const bottom = ranked[ranked.length - 1]!;
    t.diagnostic(`k=${out.k} silhouette=${out.silhouette} base=${(100 * base).toFixed(1)}%`);
    for (const s of ranked)
      t.diagnostic(`${s.id} ${s.name} size=${s.size} R=${s.recency}d F=${s.frequency} M=${s.monetary} Sept buy rate=${(100 * rate.get(s.id)!).toFixed(1)}%`);
    const ratio = rate.get(top.id)! / rate.get(bottom.id)!;
    assert.ok(ratio >= 3, `most/least active ${ratio.toFixed(2)}x`);
    assert.match(top.name, /Champions|Loyal|Potential loyalists/);
    assert.ok(rate.get(top.id)! > base);
    assert.match(bottom.name, /Hibernating|Lost|At risk|About to sleep/);
    assert.ok(rate.get(bottom.id)! < base);
  });
});
