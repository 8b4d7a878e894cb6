import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadProgress } from '../../../src/event-log/kafka/read-progress';
import type { LogRecord } from '../../../src/event-log/event-log';

const at = (partition: number, offset: number) => ({ origin: { partition, offset: String(offset) } }) as unknown as LogRecord;

test('read progress: behind until every partition is read up to its end, and says which partitions lag', () => {
  const progress = new ReadProgress(
    new Map([
      [0, '0'],
      [1, '5'],
      [2, '3'],
    ]),
    new Map([
      [0, '2'],
      [1, '5'],
      [2, '4'],
    ]),
  );
  assert.deepEqual(progress.lagging(), [
    { partition: 0, read: 0, end: 2 },
    { partition: 2, read: 3, end: 4 },
  ]);
  progress.note([at(0, 1), at(0, 0)]);
  assert.equal(progress.behind, true, 'partition 2 is not read yet');
  assert.deepEqual(progress.lagging(), [{ partition: 2, read: 3, end: 4 }]);
  progress.note([at(2, 3)]);
  assert.equal(progress.behind, false);
});
