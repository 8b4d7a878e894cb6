import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LmdbEventLog } from '../../../src/event-log/lmdb-event-log';
import { eventLogContract } from '../../contract/event-log.contract';

// The shared event log contract on the embedded LMDB log (the same suite runs on Kafka in
// test/integration/kafka-event-log.test.ts).
let groups = 0;
eventLogContract(
  'embedded LMDB log',
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-log-contract-'));
    const log = new LmdbEventLog(dir);
    return {
      log,
      async close() {
        await log.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  () => `group-${++groups}`,
);
