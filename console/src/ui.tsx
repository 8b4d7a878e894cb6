/** Small shared pieces: formatting, loading/error states, the hook that runs one API call. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en');
}

export function fmtNum(n: number, digits = 1): string {
  return n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function fmtMoney(n: number): string {
  return n.toLocaleString('en', { maximumFractionDigits: 2, minimumFractionDigits: 2 });
}

export function fmtTime(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
}

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when a dependency changes; keeps the last data while reloading. */
export function useApi<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (err: unknown) =>
        live && setState((s) => ({ data: s.data, error: err instanceof ApiError ? err : new ApiError(String(err), undefined), loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function ErrorNote({ error }: { error: ApiError | null }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error.code ? `${error.code}: ` : ''}
      {error.message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Card({ title, children, wide }: { title: string; children: ComponentChildren; wide?: boolean }) {
  return (
    <section class={wide ? 'card wide' : 'card'} aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function Stat({ label, value, note }: { label: string; value: string; note?: string }) {
  return (
    <div class="stat">
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {note ? <div class="stat-note">{note}</div> : null}
    </div>
  );
}

export function Unavailable({ children }: { children: ComponentChildren }) {
  return <p class="unavailable">{children}</p>;
}

/** Links into the console's own pages (hash routes). */
export function userHref(id: string): string {
  return `#/shopper/${encodeURIComponent(id)}`;
}
export function itemHref(id: string): string {
  return `#/item/${encodeURIComponent(id)}`;
}
