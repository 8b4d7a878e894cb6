#!/usr/bin/env node
'use strict';
// Writes test/fixtures/movielens-sample.tsv: a small, MovieLens-shaped ratings file (user, item, rating,
// epoch seconds; tab-separated, no header, like ml-100k's u.data) with times from 1997-09-20 to 1998-04-22.
// Synthetic and deterministic (seeded PRNG): no real MovieLens data. Two taste groups of users over two
// groups of films plus a few films everybody rates, so a learned strategy has something to learn.
// Run: npm run build && node scripts/make-movielens-sample.js > test/fixtures/movielens-sample.tsv
// The project's seeded PRNG (src/util/prng.ts), from the build: run `npm run build` first.
const { mulberry32 } = require('../dist/src/util/prng.js');
const rand = mulberry32(1997);
const FIRST = 874724710; // 1997-09-20T03:05:10Z, ml-100k's first rating time
const LAST = 893286638; // 1998-04-22T23:10:38Z, its last
const lines = [];
for (let user = 1; user <= 60; user++) {
  const group = user % 2; // films 1-20 for group 0, 21-40 for group 1; 41-45 are rated by everybody
  const own = Array.from({ length: 20 }, (_, i) => 1 + group * 20 + i);
  for (let i = own.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [own[i], own[j]] = [own[j], own[i]];
  }
  const films = [...own.slice(0, 6 + Math.floor(rand() * 4)), 41 + Math.floor(rand() * 5)];
  const start = FIRST + Math.floor(rand() * (LAST - FIRST) * 0.3);
  const step = Math.floor((LAST - start) / (films.length + 1));
  films.forEach((item, k) => {
    const rating = 3 + Math.floor(rand() * 3);
    const ts = start + k * step + Math.floor(rand() * 3600);
    lines.push(`${user}\t${item}\t${rating}\t${ts}`);
  });
}
process.stdout.write(lines.join('\n') + '\n');
