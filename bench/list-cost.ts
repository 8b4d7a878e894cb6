import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * `node dist/bench/list-cost.js [OTHER_ROOT]`: what one recommendations list costs in the recommender alone
 * (`recommendSync`, result cache off, the default blend), on the demo shop with 2,000 users: microseconds per
 * list over 60,000 lists after 20,000 of warm-up. With OTHER_ROOT (a checkout of another commit, built), the
 * two builds run alternately, three times each, each in a fresh process, so a change to the hot path is
 * compared on the same machine state. Prints one JSON object last: {"builds":{root: [us, us, us]}}.
 */
const ROOT = path.resolve(__dirname, '../..');

function measureIn(root: string): number {
  const script = `
    const { Recommender } = require(${JSON.stringify(path.join(root, 'dist/src/recommend/recommender'))});
    const { generateDemoShop } = require(${JSON.stringify(path.join(root, 'dist/src/demo/demo-data'))});
    const shop = generateDemoShop({ users: 2000, seed: 3 });
    const rec = new Recommender(null, { backgroundRefresh: false, cacheEntries: 0 });
    rec.applyEvents(shop.events);
    rec.refreshNow();
    const users = [...new Set(shop.events.filter((e) => e.userId).map((e) => e.userId))];
    for (let k = 0; k < 20000; k++) rec.recommendSync({ userId: users[k % users.length], first: 10 });
    const t = process.hrtime.bigint();
    for (let k = 0; k < 60000; k++) rec.recommendSync({ userId: users[(k * 7) % users.length], first: 10 });
    process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1000 / 60000));
  `;
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

const roots = [ROOT, ...process.argv.slice(2).map((r) => path.resolve(r))];
const builds: Record<string, number[]> = Object.fromEntries(roots.map((r) => [r, []]));
for (let round = 0; round < 3; round++)
  for (const root of roots) {
    const us = measureIn(root);
    builds[root]!.push(Math.round(us * 10) / 10);
    console.log(`${root}: ${us.toFixed(1)} us per list`);
  }
console.log(JSON.stringify({ builds }));
