/**
 * Self-hosted GraphiQL at `/graphiql`.
 *
 * Everything the page needs is served by this handler from node_modules
 * (React 18 UMD, GraphiQL 4 UMD + CSS, graphql-ws UMD) plus two small files
 * of our own (`init.js`, `page.css`). The page requests nothing from any other
 * origin: fonts and images in graphiql.min.css are `data:` URIs, and the
 * Content-Security-Policy below enforces that in the browser.
 *
 * Routes (GET/HEAD only):
 *   /graphiql, /graphiql/          the HTML page (Cache-Control: no-store; carries a per-request nonce)
 *   /graphiql/assets/<name>        static assets; `?v=<content hash>` URLs are cached immutably,
 *                                  others revalidate via ETag. gzip when the client accepts it.
 *
 * Note: graphiql, react and react-dom are devDependencies. If they are not
 * installed (e.g. `npm ci --omit=dev`), the page answers 503 with a plain
 * explanation instead of crashing the server.
 */
import type * as http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';

const gzip = promisify(gzipCb);

export interface GraphiqlHandlerOptions {
  /** Path of the GraphQL endpoint on this server (HTTP POST and graphql-ws), e.g. `/graphql`. */
  graphqlPath: string;
  /** Initial contents of the query editor when there are no tabs: a document with several named example operations. */
  examples: string;
  /** One tab per kept operation (schema/operations/), grouped by audience; GraphiQL opens with them. */
  tabs?: { query: string }[];
  /** Page title. */
  title?: string;
}

export type GraphiqlHandler = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

const BASE = '/graphiql';
const ASSET_PREFIX = `${BASE}/assets/`;

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/** Bootstrap script. Served as a file because the CSP forbids inline scripts. */
const INIT_JS = `/* Flywheel GraphiQL bootstrap: config comes from data- attributes on #graphiql. */
(function () {
  'use strict';
  var root = document.getElementById('graphiql');
  var cfg = root.dataset;
  // react-remove-scroll (used by GraphiQL's dialogs and menus) injects a <style>
  // element and tags it with window.__webpack_nonce__ when set; the CSP allows
  // exactly that per-response nonce for inline <style>.
  if (cfg.styleNonce) window.__webpack_nonce__ = cfg.styleNonce;
  // Derive both endpoints from window.location, so the page works behind any host/port/TLS proxy.
  var httpUrl = new URL(cfg.graphqlPath || '/graphql', window.location.href);
  var wsUrl = new URL(httpUrl.href);
  wsUrl.protocol = httpUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  var wsClient = graphqlWs.createClient({ url: wsUrl.href, lazy: true, retryAttempts: 3 });
  var fetcher = GraphiQL.createFetcher({
    url: httpUrl.href,
    subscriptionUrl: wsUrl.href,
    wsClient: wsClient,
  });
  var tabs = cfg.tabs ? JSON.parse(cfg.tabs) : null;
  root.textContent = '';
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: cfg.examples || '',
      // Every kept operation as a named tab (used when the browser has no saved tabs of its own).
      defaultTabs: tabs && tabs.length > 0 ? tabs : undefined,
      defaultEditorToolsVisibility: true,
    }),
  );
})();
`;

const PAGE_CSS = `html, body { height: 100%; margin: 0; }
body { overflow: hidden; }
#graphiql { height: 100vh; }
.flywheel-graphiql-loading { font: 14px system-ui, sans-serif; padding: 1rem; }
`;

interface AssetSource {
  type: string;
  /** [package name, file path inside the package] for files read from node_modules. */
  pkg?: [string, string];
  /** Inline content for our own files. */
  content?: string;
}

/**
 * Whitelist of servable assets; the URL name is never used as a file path.
 * `index.umd.js.map` is the name graphiql.min.js's sourceMappingURL points at
 * (only fetched when DevTools are open).
 */
const ASSETS: Record<string, AssetSource> = {
  'react.production.min.js': { type: JS, pkg: ['react', 'umd/react.production.min.js'] },
  'react-dom.production.min.js': { type: JS, pkg: ['react-dom', 'umd/react-dom.production.min.js'] },
  'graphiql.min.js': { type: JS, pkg: ['graphiql', 'graphiql.min.js'] },
  'index.umd.js.map': { type: JSON_TYPE, pkg: ['graphiql', 'graphiql.min.js.map'] },
  'graphiql.min.css': { type: CSS, pkg: ['graphiql', 'graphiql.min.css'] },
  'graphql-ws.min.js': { type: JS, pkg: ['graphql-ws', 'umd/graphql-ws.min.js'] },
  'init.js': { type: JS, content: INIT_JS },
  'page.css': { type: CSS, content: PAGE_CSS },
};

/** Load order of the page's scripts (all `defer`, so they run in this order). */
const PAGE_SCRIPTS = ['react.production.min.js', 'react-dom.production.min.js', 'graphql-ws.min.js', 'graphiql.min.js', 'init.js'];
const PAGE_STYLES = ['graphiql.min.css', 'page.css'];

interface LoadedAsset {
  type: string;
  body: Buffer;
  gz: Buffer | null;
  /** First 16 hex chars of the body's sha256; used as `?v=` and in the ETag. */
  hash: string;
}

/**
 * Directory of an installed package. Uses `<pkg>/package.json` (exported by all
 * four packages) and falls back to walking up from the package's main entry,
 * since `exports` maps hide the umd/ files from require.resolve.
 */
function packageDir(pkg: string): string {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    let dir = path.dirname(require.resolve(pkg));
    for (;;) {
      const pj = path.join(dir, 'package.json');
      if (existsSync(pj)) {
        try {
          if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === pkg) return dir;
        } catch {
          /* keep walking */
        }
      }
      const up = path.dirname(dir);
      if (up === dir) throw new Error(`cannot locate package directory of ${pkg}`);
      dir = up;
    }
  }
}

const loaded = new Map<string, Promise<LoadedAsset>>();

function loadAsset(name: string): Promise<LoadedAsset> {
  let p = loaded.get(name);
  if (!p) {
    const src = ASSETS[name];
    p = (async () => {
      const body = src.content !== undefined ? Buffer.from(src.content, 'utf8') : await readFile(path.join(packageDir(src.pkg![0]), src.pkg![1]));
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
      const gz = body.length > 1024 ? await gzip(body, { level: 9 }) : null;
      return { type: src.type, body, gz, hash };
    })();
    // Do not cache failures (e.g. package installed later); retry on the next request.
    p.catch(() => loaded.delete(name));
    loaded.set(name, p);
  }
  return p;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Host header value, only if it is a plain host[:port] safe to echo into a header. */
export function safeHost(req: http.IncomingMessage): string | null {
  const host = req.headers.host;
  return host && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? host : null;
}

/**
 * The page's Content-Security-Policy. Everything is 'self'; the only extras:
 * - style-src 'nonce-…': react-remove-scroll (Radix dialogs/menus in GraphiQL)
 *   appends a <style> element; it carries this nonce via window.__webpack_nonce__
 *   (set in init.js). No 'unsafe-inline'. Inline `style=""` set through the
 *   CSSOM (React style props, CodeMirror) is not governed by CSP.
 * - img-src/font-src data:: graphiql.min.css embeds its fonts (woff2) and a few
 *   PNGs as data: URIs; the favicon is `data:,` to avoid a /favicon.ico 404.
 * - connect-src ws://host wss://host: 'self' covers same-host ws(s) in CSP3
 *   browsers; the explicit entries cover older ones. Derived from the Host
 *   header only when it is a syntactically plain host[:port].
 * No 'unsafe-eval' is needed: none of the bundles use eval/new Function
 * (verified with a headless Chromium run reporting zero CSP violations).
 */
export function pageCsp(req: http.IncomingMessage, nonce?: string): string {
  const host = safeHost(req);
  const connect = ["'self'", ...(host ? [`ws://${host}`, `wss://${host}`] : [])].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    nonce ? `style-src 'self' 'nonce-${nonce}'` : "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

export function commonHeaders(res: http.ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

export function sendText(res: http.ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  commonHeaders(res);
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra });
  res.end(text);
}

export function acceptsGzip(req: http.IncomingMessage): boolean {
  const ae = req.headers['accept-encoding'];
  return typeof ae === 'string' && /\bgzip\b(?!;\s*q=0(\.0*)?\b)/i.test(ae);
}

export function etagMatches(req: http.IncomingMessage, etag: string): boolean {
  const inm = req.headers['if-none-match'];
  if (!inm) return false;
  return inm.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v.replace(/^W\//, '') === etag;
  });
}

async function serveAsset(req: http.IncomingMessage, res: http.ServerResponse, name: string, version: string | null): Promise<void> {
  const a = await loadAsset(name);
  const useGz = a.gz !== null && acceptsGzip(req);
  const etag = `"${a.hash}${useGz ? '-gz' : ''}"`;
  commonHeaders(res);
  res.setHeader('Content-Type', a.type);
  res.setHeader('Content-Security-Policy', "default-src 'none'");
  res.setHeader('ETag', etag);
  if (a.gz) res.setHeader('Vary', 'Accept-Encoding');
  // Versioned URLs (as written by the page) never change content: cache for a year.
  // Anything else must revalidate, so a server upgrade is picked up immediately.
  res.setHeader('Cache-Control', version === a.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (etagMatches(req, etag)) {
    res.writeHead(304);
    res.end();
    return;
  }
  const body = useGz ? a.gz! : a.body;
  if (useGz) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', String(body.length));
  res.writeHead(200);
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function servePage(req: http.IncomingMessage, res: http.ServerResponse, opts: GraphiqlHandlerOptions): Promise<void> {
  let assets: Record<string, LoadedAsset>;
  try {
    const names = [...PAGE_STYLES, ...PAGE_SCRIPTS];
    const list = await Promise.all(names.map(loadAsset));
    assets = Object.fromEntries(names.map((n, i) => [n, list[i]]));
  } catch (err) {
    sendText(
      res,
      503,
      'GraphiQL is unavailable: its browser assets (graphiql, react, react-dom, graphql-ws) are not installed ' +
        `in node_modules (${(err as Error).message}). Install the dev dependencies with \`npm ci\`.\n`,
    );
    return;
  }
  const nonce = randomBytes(16).toString('base64');
  const url = (n: string) => `${ASSET_PREFIX}${n}?v=${assets[n].hash}`;
  const title = escapeHtml(opts.title ?? 'Flywheel GraphiQL');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="icon" href="data:,">
${PAGE_STYLES.map((n) => `<link rel="stylesheet" href="${url(n)}">`).join('\n')}
${PAGE_SCRIPTS.map((n) => `<script defer src="${url(n)}"></script>`).join('\n')}
</head>
<body>
<div id="graphiql" data-graphql-path="${escapeHtml(opts.graphqlPath)}" data-style-nonce="${nonce}" data-examples="${escapeHtml(opts.examples)}"${opts.tabs && opts.tabs.length > 0 ? ` data-tabs="${escapeHtml(JSON.stringify(opts.tabs))}"` : ''}><div class="flywheel-graphiql-loading">Loading GraphiQL…</div></div>
<noscript>GraphiQL needs JavaScript.</noscript>
</body>
</html>
`;
  const body = Buffer.from(html, 'utf8');
  commonHeaders(res);
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(body.length),
    // The page carries a per-response CSP nonce, so it must never be reused from a cache.
    'Cache-Control': 'no-store',
    'Content-Security-Policy': pageCsp(req, nonce),
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Returns a request handler that serves GraphiQL under `/graphiql`. It returns
 * true if it took the request (and will answer it), false otherwise so the
 * caller can route it elsewhere.
 */
export function createGraphiqlHandler(opts: GraphiqlHandlerOptions): GraphiqlHandler {
  return (req, res) => {
    let pathname: string;
    let version: string | null;
    try {
      const u = new URL(req.url ?? '/', 'http://localhost');
      pathname = u.pathname;
      version = u.searchParams.get('v');
    } catch {
      return false;
    }
    if (pathname !== BASE && !pathname.startsWith(`${BASE}/`)) return false;

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
      return true;
    }

    let work: Promise<void>;
    if (pathname === BASE || pathname === `${BASE}/`) {
      work = servePage(req, res, opts);
    } else if (pathname.startsWith(ASSET_PREFIX) && Object.hasOwn(ASSETS, pathname.slice(ASSET_PREFIX.length))) {
      work = serveAsset(req, res, pathname.slice(ASSET_PREFIX.length), version);
    } else {
      sendText(res, 404, 'Not Found\n');
      return true;
    }
    work.catch((err: unknown) => {
      sendText(res, 500, `GraphiQL asset error: ${(err as Error)?.message ?? String(err)}\n`);
    });
    return true;
  };
}
