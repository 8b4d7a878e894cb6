/**
 * Bot-like activity: bursts of views/clicks from one actor (user, or anonymous session).
 *
 * Per actor a ring of the timestamps of its last `maxEvents + 1` counted events: the actor is bursting when
 * the oldest of them is less than `windowMs` old (more than maxEvents events in the window). One finding per
 * burst episode: the episode ends (with hysteresis) once the window holds at most maxEvents / 2 events, so a
 * long scrape yields one finding, and a second scrape after a quiet spell yields another. O(1) per event,
 * O(maxEvents) memory per actor, actors capped by an LRU.
 */
import { actorId, type InteractionEvent } from '../events/event.js';
import type { AnomalyConfig, BotConfig } from './config.js';
import { LruMap } from './structures.js';
import type { AnomalyFinding } from './types.js';

interface ActorState {
  ring: number[];
  next: number;
  last: number;
  inEpisode: boolean;
  flaggedUntil: number;
  episodes: number;
  /** Events counted in the current episode. */
  episodeEvents: number;
}

export class BotDetector {
  private readonly cfg: BotConfig;
  private readonly actors: LruMap<ActorState>;
  /** Flag expiry per actor, kept apart from the activity state so busy traffic does not evict bots. */
  private readonly flagged: LruMap<number>;
  private readonly counted: Set<string>;
  private readonly cap: number;
  private readonly half: number;
  private now = -Infinity;

  constructor(private readonly config: AnomalyConfig) {
    this.cfg = config.bot;
    this.actors = new LruMap(config.maxTrackedKeys);
    this.flagged = new LruMap(config.maxTrackedKeys);
    this.counted = new Set(this.cfg.types);
    this.cap = this.cfg.maxEvents + 1;
    this.half = Math.floor(this.cfg.maxEvents / 2);
  }

  get trackedActors(): number {
    return this.actors.size;
  }

  /** Erasure: drop the actor's activity ring and flag. */
  forgetActor(actor: string): void {
    this.actors.delete(actor);
    this.flagged.delete(actor);
  }

  observe(e: InteractionEvent, out: AnomalyFinding[]): void {
    if (e.timestamp > this.now) this.now = e.timestamp;
    if (!this.counted.has(e.type)) return;
    const actor = actorId(e);
    let s = this.actors.get(actor);
    if (!s) {
      s = { ring: [], next: 0, last: -Infinity, inEpisode: false, flaggedUntil: -Infinity, episodes: 0, episodeEvents: 0 };
      this.actors.set(actor, s);
    }
    const t = Math.max(e.timestamp, s.last); // tolerate slightly out-of-order events
    s.last = t;
    if (s.ring.length < this.cap) s.ring.push(t);
    else {
      s.ring[s.next] = t;
      s.next = (s.next + 1) % this.cap;
    }
    if (s.inEpisode) s.episodeEvents++;
    const full = s.ring.length === this.cap;
    // The oldest of the last maxEvents + 1 timestamps sits at `next` once the ring is full.
    const burst = full && t - s.ring[s.next]! < this.cfg.windowMs;
    if (burst) {
      s.flaggedUntil = t + this.cfg.flagTtlMs;
      this.flagged.set(actor, s.flaggedUntil);
      if (!s.inEpisode) {
        s.inEpisode = true;
        s.episodes++;
        s.episodeEvents = this.cap;
        const span = t - s.ring[s.next]!;
        const rate = (this.cap * 60_000) / Math.max(span, 1);
        const severity = span <= this.cfg.windowMs / 10 ? 'CRITICAL' : 'WARNING';
        const entityType = e.userId !== undefined ? 'user' : 'session';
        const entityId = e.userId ?? e.sessionId ?? actor;
        out.push({
          id: `BOT_ACTIVITY:${entityType}:${entityId}:${e.id}`,
          kind: 'BOT_ACTIVITY',
          severity,
          entityType,
          entityId,
          score: this.cfg.windowMs / Math.max(span, 1),
          detectedAt: e.timestamp,
          message:
            `${entityType} ${entityId}: ${this.cap} ${this.cfg.types.join('/')} events in ${(span / 1000).toFixed(1)} s ` +
            `(limit ${this.cfg.maxEvents} per ${(this.cfg.windowMs / 1000).toFixed(0)} s, ~${rate.toFixed(0)}/min); ` +
            `interactions ignored until ${new Date(s.flaggedUntil).toISOString()}`,
          evidence: {
            actorId: actor,
            eventId: e.id,
            eventsInWindow: this.cap,
            spanMs: span,
            windowMs: this.cfg.windowMs,
            maxEvents: this.cfg.maxEvents,
            episode: s.episodes,
            flaggedUntil: s.flaggedUntil,
          },
        });
      }
    } else if (s.inEpisode) {
      // Hysteresis: end the episode once the window holds at most maxEvents / 2 events, i.e. the
      // (half + 1)-th most recent timestamp is outside the window.
      const idx = (s.next - 1 - this.half + 2 * this.cap) % this.cap;
      if (!full || t - s.ring[idx]! >= this.cfg.windowMs) s.inEpisode = false;
    }
  }

  /** True while `actor` (as `actorId()` spells it) is inside a flagged burst's TTL, at event time `at`. */
  isFlagged(actor: string, at?: number): boolean {
    const until = this.flagged.peek(actor);
    return until !== undefined && until >= (at ?? this.now);
  }

  flaggedActors(at?: number): string[] {
    const now = at ?? this.now;
    const out: string[] = [];
    for (const [k, until] of this.flagged.entries()) if (until >= now) out.push(k);
    return out;
  }
}
