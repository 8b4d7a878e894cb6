/**
 * The console's only way to data: the public GraphQL API at /graphql, with the signed-in user's
 * credentials. Operations are codegen's typed documents (schema/operations/console.graphql); each is sent
 * with its text and its persisted-document id, so the console works in safelist mode too.
 *
 * Credentials live in memory and in this tab's sessionStorage (gone when the tab closes; never in
 * localStorage, never in a cookie), so nothing is shared across users of one browser profile.
 */
import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from './generated/graphql';

export interface Credentials {
  kind: 'token' | 'apiKey' | 'none';
  value: string;
}

const STORAGE_KEY = 'flywheel.console.credentials';
let credentials: Credentials | null = null;
let ws: Client | null = null;
const signOutListeners = new Set<() => void>();

export function loadCredentials(): Credentials | null {
  if (credentials) return credentials;
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    credentials = raw ? (JSON.parse(raw) as Credentials) : null;
  } catch {
    credentials = null;
  }
  return credentials;
}

export function setCredentials(c: Credentials | null): void {
  credentials = c;
  ws?.dispose();
  ws = null;
  if (c) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(c));
  else sessionStorage.removeItem(STORAGE_KEY);
}

export function onSignOut(fn: () => void): () => void {
  signOutListeners.add(fn);
  return () => signOutListeners.delete(fn);
}

function authHeaders(c: Credentials | null): Record<string, string> {
  if (!c || c.kind === 'none') return {};
  return c.kind === 'token' ? { authorization: `Bearer ${c.value}` } : { 'x-api-key': c.value };
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

interface GraphqlResponse<R> {
  data?: R | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

function operationName(text: string): string | undefined {
  return /\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(text)?.[1];
}

function hashOf(doc: TypedDocumentString<unknown, unknown>): string | undefined {
  const meta = doc.__meta__ as { hash?: string } | undefined;
  return meta?.hash;
}

/** Runs a query or mutation; throws ApiError on any GraphQL error (the first one's message and code). */
export async function request<R, V>(doc: TypedDocumentString<R, V>, variables?: V): Promise<R> {
  const text = doc.toString();
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeaders(loadCredentials()) },
    body: JSON.stringify({
      query: text,
      operationName: operationName(text),
      variables: variables ?? {},
      documentId: hashOf(doc as TypedDocumentString<unknown, unknown>),
    }),
    credentials: 'omit',
    cache: 'no-store',
  });
  let body: GraphqlResponse<R>;
  try {
    body = (await res.json()) as GraphqlResponse<R>;
  } catch {
    throw new ApiError(`the gateway answered ${res.status} without a GraphQL body`, undefined);
  }
  const first = body.errors?.[0];
  if (first) {
    const code = first.extensions?.code;
    if (code === 'UNAUTHENTICATED') for (const fn of signOutListeners) fn();
    throw new ApiError(first.message, code);
  }
  if (!body.data) throw new ApiError(`the gateway answered ${res.status} without data`, undefined);
  return body.data;
}

function wsClient(): Client {
  if (!ws) {
    const url = new URL('/graphql', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const c = loadCredentials();
    ws = createClient({
      url: url.href,
      lazy: true,
      retryAttempts: 5,
      connectionParams: authHeaders(c),
    });
  }
  return ws;
}

/** Subscribes over graphql-ws; returns the function that ends the subscription. */
export function subscribe<R, V>(doc: TypedDocumentString<R, V>, variables: V, onData: (data: R) => void, onError: (e: ApiError) => void): () => void {
  const text = doc.toString();
  const hash = hashOf(doc as TypedDocumentString<unknown, unknown>);
  return wsClient().subscribe<R>(
    {
      query: text,
      operationName: operationName(text),
      variables: (variables ?? {}) as Record<string, unknown>,
      ...(hash ? { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } } : {}),
    },
    {
      next: (msg) => {
        if (msg.errors?.length) onError(new ApiError(msg.errors[0]!.message, (msg.errors[0]!.extensions as { code?: string } | undefined)?.code));
        else if (msg.data) onData(msg.data as R);
      },
      error: (err) => onError(new ApiError(err instanceof Error ? err.message : 'the subscription was closed', undefined)),
      complete: () => {},
    },
  );
}
