import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge } from 'prom-client';
import type { Metrics } from './metrics';

/**
 * How promptly the event loop turns, over the last window (one second). Issue 11's hang was a loop that
 * never turned: nothing in /metrics or /readyz showed it coming. Ingestion progress is judged by the
 * ingestor itself (`Ingestor.stalled`); this watches the loop that everything, ingestion included, runs on.
 * A loop that is frozen outright cannot answer at all, which probes see as a timeout; a loop that is
 * merely slow shows here and in /readyz.
 */
export interface EventLoopDelay {
  p99Ms: number;
  maxMs: number;
}

export class EventLoopWatchdog {
  private readonly histogram: IntervalHistogram;
  private timer: NodeJS.Timeout | null = null;
  private window: EventLoopDelay = { p99Ms: 0, maxMs: 0 };

  constructor(private readonly windowMs = 1000) {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
  }

  start(): void {
    if (this.timer) return;
    this.histogram.enable();
    this.timer = setInterval(() => this.closeWindow(), this.windowMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.histogram.disable();
  }

  /** Ends the current window: its figures become the reported ones and a new window starts. */
  closeWindow(): void {
    // The histogram counts nanoseconds; an empty window reports NaN for percentiles.
    const p99 = this.histogram.percentile(99);
    this.window = { p99Ms: Number.isFinite(p99) ? p99 / 1e6 : 0, maxMs: this.histogram.max / 1e6 || 0 };
    this.histogram.reset();
  }

  /** Delay of the last closed window. */
  delay(): EventLoopDelay {
    return this.window;
  }

  register(metrics: Metrics): void {
    const self = this;
    new Gauge({
      name: 'flywheel_event_loop_delay_seconds',
      help: 'Event-loop delay over the last one-second window, by statistic (p99, max)',
      labelNames: ['stat'] as const,
      registers: [metrics.registry],
      collect() {
        const d = self.delay();
        this.set({ stat: 'p99' }, d.p99Ms / 1000);
        this.set({ stat: 'max' }, d.maxMs / 1000);
      },
    });
  }
}
