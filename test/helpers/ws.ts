import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** What one graphql-ws operation produced: its first result, its error list, or the socket's close. */
export type WsOutcome =
  | { kind: 'data'; data: Record<string, unknown>; errors?: WsError[] }
  | { kind: 'errors'; errors: WsError[] }
  | { kind: 'closed'; code: number; reason: string }
  | { kind: 'pending' };

export interface WsError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/** A connection that stays open for several operations (see `wsRun`). */
export function wsClient(url: string, connectionParams?: Record<string, unknown>): Client {
  return createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams });
}

/**
 * Runs one operation over graphql-ws and settles on its first message. A subscription that is accepted
 * and then quiet settles as `pending` after `quietMs` (pass a short one for subscriptions).
 */
export function wsRun(client: Client, query: string, variables?: Record<string, unknown>, quietMs = 5000, operationName?: string): Promise<WsOutcome> {
  return new Promise<WsOutcome>((resolve) => {
    let settled = false;
    const settle = (o: WsOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      resolve(o);
    };
    const timer = setTimeout(() => settle({ kind: 'pending' }), quietMs);
    const unsubscribe = client.subscribe(
      { query, variables, ...(operationName ? { operationName } : {}) },
      {
        next: (m) =>
          settle(
            m.data
              ? { kind: 'data', data: m.data as Record<string, unknown>, errors: m.errors as WsError[] | undefined }
              : { kind: 'errors', errors: (m.errors ?? []) as WsError[] },
          ),
        error: (err) => {
          if (Array.isArray(err)) settle({ kind: 'errors', errors: err as WsError[] });
          else if (err && typeof err === 'object' && 'code' in err)
            settle({ kind: 'closed', code: Number((err as { code: unknown }).code), reason: String((err as { reason?: unknown }).reason ?? '') });
          else settle({ kind: 'errors', errors: [{ message: String(err) }] });
        },
        complete: () => settle({ kind: 'pending' }),
      },
    );
  });
}

/** One operation on a fresh connection, disposed afterwards. */
export async function wsOnce(
  url: string,
  query: string,
  connectionParams?: Record<string, unknown>,
  variables?: Record<string, unknown>,
  quietMs?: number,
  operationName?: string,
): Promise<WsOutcome> {
  const client = wsClient(url, connectionParams);
  try {
    return await wsRun(client, query, variables, quietMs, operationName);
  } finally {
    await client.dispose();
  }
}
