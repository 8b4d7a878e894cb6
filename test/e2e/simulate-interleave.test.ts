import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

/**
 * `flywheel simulate --scenario interleave`: the `ab` pair (popular against item-knn) as an interleaving on the same
 * simulated shop; the last line is one JSON object with an `interleaving` object. A strong true lift is preferred
 * with the right sign; the same seed gives the same run (the coin flips come from it).
 */
const BIN = path.resolve(__dirname, '../../../bin/flywheel.js');

interface Output {
  scenario: string;
  users: number;
  variants: { name: string; strategy: string; creditedClicks: number }[];
  interleaving: {
    users: number;
    lists: number;
    credited: { control: number; treatment: number };
    wins: number;
    losses: number;
    ties: number;
    preferenceShare: number;
    pValue: number;
    ci: [number, number];
    difference: { mean: number; ci: [number, number]; pValue: number };
  };
  truth: { relativeLift: number };
}

function simulate(...args: string[]): Output {
  const r = spawnSync(process.execPath, [BIN, 'simulate', '--json', ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Output;
}

test('interleave: every user sees both strategies; a strong lift is preferred with the right sign; reproducible from the seed', () => {
  const out = simulate('--scenario', 'interleave', '--seed', '5', '--users', '600', '--days', '3', '--lift', '0.5');
  assert.equal(out.scenario, 'interleave');
  assert.equal(out.truth.relativeLift, 0.5);
  assert.deepEqual(
    out.variants.map((v) => [v.name, v.strategy]),
    [
      ['control', 'popular'],
      ['treatment', 'item-knn'],
    ],
  );
  const il = out.interleaving;
  assert.ok(il.users > 550 && il.users <= 600, `${il.users} users interleaved`);
  assert.ok(il.lists >= il.users);
  assert.equal(il.wins + il.losses + il.ties, il.users);
  assert.deepEqual([out.variants[0]!.creditedClicks, out.variants[1]!.creditedClicks], [il.credited.control, il.credited.treatment]);
  assert.ok(il.credited.treatment > il.credited.control, JSON.stringify(il.credited));
  assert.ok(il.preferenceShare > 0.5 && il.pValue < 0.05, `share ${il.preferenceShare}, p ${il.pValue}`);
  assert.ok(il.ci[0] > 0.5 && il.ci[1] <= 1);
  assert.ok(il.difference.mean > 0 && il.difference.pValue < 0.05);
  assert.deepEqual(
    simulate('--scenario', 'interleave', '--seed', '5', '--users', '600', '--days', '3', '--lift', '0.5').interleaving,
    il,
    'same seed, same run',
  );
});
