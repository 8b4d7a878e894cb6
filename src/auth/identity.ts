/**
 * Who is asking. Roles, from least to most trusted in what they may read:
 * - shopper:  a signed-in customer; their own recommendations and events only (the token's `sub`).
 * - service:  a shop backend; any user's recommendations and events.
 * - analyst:  segments, anomalies, dead letters, introspection (GraphiQL).
 * - admin:    everything, including the catalog, erasure and refits.
 */
export const ROLES = ['shopper', 'service', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  role: Role;
  /** The user a shopper token speaks for; the key's name for API keys. */
  subject: string | null;
  via: 'jwt' | 'api-key' | 'auth-off';
  /**
   * When the credentials stop being valid (a JWT's `exp`, in ms since the epoch); absent for API keys and
   * tokens without `exp`. A WebSocket authenticated with it is closed (4403) at that instant.
   */
  expiresAt?: number;
  /** The rate-limit bucket of these credentials (see Authenticator); absent when authentication is off. */
  rateKey?: string;
}

/** When authentication is off (the embedded demo), every request acts with full rights. */
export const AUTH_OFF_IDENTITY: Identity = { role: 'admin', subject: null, via: 'auth-off' };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
