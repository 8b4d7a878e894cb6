import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventLoopWatchdog } from '../../../src/observability/watchdog';
import { createMetrics } from '../../../src/observability/metrics';

const turn = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a blocked event loop shows in the last window, and the next quiet window clears it', async () => {
  const dog = new EventLoopWatchdog(60_000); // windows closed by hand below
  const metrics = createMetrics();
  dog.register(metrics);
  dog.start();
  try {
    await turn(50);
    const until = Date.now() + 250;
    while (Date.now() < until) {
      /* hold the loop, as a spinning consumer did */
    }
    await turn(20);
    dog.closeWindow();
    assert.ok(dog.delay().maxMs >= 200, `max ${dog.delay().maxMs} ms`);
    const text = await metrics.registry.getSingleMetricAsString('flywheel_event_loop_delay_seconds');
    assert.match(text, /flywheel_event_loop_delay_seconds\{stat="max"\} 0\.[2-9]/);

    await turn(100);
    dog.closeWindow();
    assert.ok(dog.delay().maxMs < 200, `quiet window max ${dog.delay().maxMs} ms`);
  } finally {
    dog.stop();
  }
});
