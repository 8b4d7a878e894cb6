import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge } from 'prom-client';
import type { Metrics } from './metrics';

/**
 * Liveness beyond "the process answers": is the event loop turning promptly, and is ingestion moving
 * while there is something to ingest? Issue 11's hang showed neither in /metrics nor in /readyz: the
 * consumer sat behind the log end while everything claimed to be fine. The watchdog samples both once a
 * second; /readyz reports not ready while ingestion is stalled, and /metrics exposes the figures so an
 * alert can fire on them (a frozen loop cannot answer at all, which probes see as a timeout).
 */
export interface IngestProgress {
  /** A number that grows whenever ingestion commits: the next offset (embedded), records handled (Kafka). */
  position(): number;
  /** Events in the log not yet applied. */
  lag(): number;
}

export interface WatchdogStatus {
  /** Behind the log end, yet no progress for at least `stallAfterMs`. */
  stalled: boolean;
  /** Seconds since ingestion last moved, 0 while it is caught up. */
  secondsWithoutProgress: number;
  lag: number;
  /** Event-loop delay over the last sampling window. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

export interface WatchdogOptions {
  /** Ingestion that is behind and has not moved for this long counts as stalled. */
  stallAfterMs: number;
  sampleEveryMs?: number;
  /** Injected for tests. */
  now?: () => number;
}

export class Watchdog {
  private readonly loopDelay: IntervalHistogram;
  private timer: NodeJS.Timeout | null = null;
  private lastPosition = -1;
  private lastProgressAt: number;
  private window = { p99Ms: 0, maxMs: 0 };
  private readonly now: () => number;

  constructor(
    private readonly ingest: IngestProgress,
    private readonly options: WatchdogOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.lastProgressAt = this.now();
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
  }

  start(): void {
    if (this.timer) return;
    this.loopDelay.enable();
    this.timer = setInterval(() => this.sample(), this.options.sampleEveryMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.loopDelay.disable();
  }

  /** Takes one sample: closes the event-loop delay window and checks ingestion progress. */
  sample(): void {
    // The histogram reports nanoseconds; a window without samples reports NaN/0.
    const p99 = this.loopDelay.percentile(99);
    this.window = { p99Ms: Number.isFinite(p99) ? p99 / 1e6 : 0, maxMs: this.loopDelay.max / 1e6 || 0 };
    this.loopDelay.reset();
    const position = this.ingest.position();
    if (position !== this.lastPosition || this.ingest.lag() === 0) {
      this.lastPosition = position;
      this.lastProgressAt = this.now();
    }
  }

  status(): WatchdogStatus {
    const lag = this.ingest.lag();
    // Read live, not from the last sample: progress made since then counts at once.
    if (this.ingest.position() !== this.lastPosition || lag === 0) {
      this.lastPosition = this.ingest.position();
      this.lastProgressAt = this.now();
    }
    const idleMs = this.now() - this.lastProgressAt;
    return {
      stalled: lag > 0 && idleMs >= this.options.stallAfterMs,
      secondsWithoutProgress: lag > 0 ? idleMs / 1000 : 0,
      lag,
      eventLoopDelayP99Ms: this.window.p99Ms,
      eventLoopDelayMaxMs: this.window.maxMs,
    };
  }

  /** Registers the watchdog's gauges, read at scrape time. */
  register(metrics: Metrics): void {
    const registers = [metrics.registry];
    const self = this;
    new Gauge({
      name: 'flywheel_event_loop_delay_seconds',
      help: 'Event-loop delay over the last watchdog window (1 s), by statistic',
      labelNames: ['stat'] as const,
      registers,
      collect() {
        const s = self.status();
        this.set({ stat: 'p99' }, s.eventLoopDelayP99Ms / 1000);
        this.set({ stat: 'max' }, s.eventLoopDelayMaxMs / 1000);
      },
    });
    new Gauge({
      name: 'flywheel_ingest_seconds_without_progress',
      help: 'Seconds since ingestion last advanced while behind the log end (0 when caught up)',
      registers,
      collect() {
        this.set(self.status().secondsWithoutProgress);
      },
    });
    new Gauge({
      name: 'flywheel_ingest_stalled',
      help: '1 while ingestion is behind and has not advanced for FLYWHEEL_STALL_SECONDS (also makes /readyz 503)',
      registers,
      collect() {
        this.set(self.status().stalled ? 1 : 0);
      },
    });
    new Gauge({
      name: 'flywheel_ingest_position',
      help: 'Ingestion progress: next log offset (embedded) or records handled since start (Kafka)',
      registers,
      collect() {
        this.set(self.ingest.position());
      },
    });
  }
}
