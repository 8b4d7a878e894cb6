import type { Gauge } from 'prom-client';
import type { Identity } from '../auth/identity';

/** The part of a ws socket this module needs. */
interface ClosableSocket {
  close(code?: number, reason?: string): void;
}

/** Longest delay setTimeout takes; later expiries are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The authenticated graphql-ws connections: who each one acts for and until when.
 *
 * - A connection authenticated with an expiring token is closed with 4403 at the token's `exp`, and
 *   `identity()` answers null from then on, so no operation starts on expired credentials, even one
 *   whose message arrives before the close.
 * - `flywheel_ws_connections` counts connections from `open` (acknowledged) to `close`; a socket that was
 *   refused was never opened here and is not uncounted.
 */
export class WsSessions {
  private readonly sessions = new Map<ClosableSocket, { identity: Identity; timer?: NodeJS.Timeout }>();

  constructor(private readonly gauge: Pick<Gauge, 'inc' | 'dec'>) {}

  open(socket: ClosableSocket, identity: Identity): void {
    const session: { identity: Identity; timer?: NodeJS.Timeout } = { identity };
    this.sessions.set(socket, session);
    this.gauge.inc();
    if (identity.expiresAt !== undefined) {
      const expiresAt = identity.expiresAt;
      const schedule = () => {
        const wait = Math.min(Math.max(expiresAt - Date.now(), 0), MAX_TIMER_MS);
        session.timer = setTimeout(() => (Date.now() >= expiresAt ? socket.close(4403, 'token expired') : schedule()), wait);
        session.timer.unref();
      };
      schedule();
    }
  }

  /** The connection's identity while its credentials are valid; null once expired or closed. */
  identity(socket: ClosableSocket): Identity | null {
    const session = this.sessions.get(socket);
    if (!session) return null;
    // Expired: the timer closes the socket; until then nothing new starts.
    if (session.identity.expiresAt !== undefined && session.identity.expiresAt <= Date.now()) return null;
    return session.identity;
  }

  close(socket: ClosableSocket): void {
    const session = this.sessions.get(socket);
    if (!session) return;
    clearTimeout(session.timer);
    this.sessions.delete(socket);
    this.gauge.dec();
  }

  get size(): number {
    return this.sessions.size;
  }
}
