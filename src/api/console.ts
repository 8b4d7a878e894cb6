/**
 * The web console at `/console`: static files built by `scripts/build-console.js` (esbuild) into
 * dist/console/, and an HTML page written here. The console is code only; every datum it shows comes from
 * /graphql with the signed-in user's credentials, through the same gate as any other client, so it is
 * served in production as GraphiQL is (the files hold nothing a caller may not see).
 *
 * Routes (GET/HEAD only):
 *   /console, /console/        the page (Cache-Control: no-store; strict CSP: 'self' only, no inline code)
 *   /console/assets/<name>     the built files listed in dist/console/manifest.json; names carry a content
 *                              hash, so they are cached immutably. gzip when the client accepts it.
 */
import type * as http from 'node:http';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { acceptsGzip, commonHeaders, etagMatches, pageCsp, sendText } from './graphiql';

const gzip = promisify(gzipCb);

const BASE = '/console';
const ASSET_PREFIX = `${BASE}/assets/`;
/** Where the build writes the console: dist/console (this file runs from dist/src/api). */
export const CONSOLE_DIR = path.resolve(__dirname, '../../console');

/** What scripts/build-console.js writes next to the files. */
interface ConsoleManifest {
  /** The entry script and its stylesheet (asset names). */
  entry: string;
  css: string[];
  /** Every servable asset name (entry, chunks, styles). */
  files: string[];
}

interface Asset {
  type: string;
  body: Buffer;
  gz: Buffer | null;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export type ConsoleHandler = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

export function createConsoleHandler(dir: string = CONSOLE_DIR): ConsoleHandler {
  let manifest: Promise<ConsoleManifest> | null = null;
  const assets = new Map<string, Promise<Asset>>();
  const loadManifest = () => {
    if (!manifest) {
      manifest = readFile(path.join(dir, 'manifest.json'), 'utf8').then((t) => JSON.parse(t) as ConsoleManifest);
      manifest.catch(() => (manifest = null));
    }
    return manifest;
  };
  const loadAsset = (name: string): Promise<Asset> => {
    let a = assets.get(name);
    if (!a) {
      a = (async () => {
        const body = await readFile(path.join(dir, 'assets', name));
        const type = TYPES[path.extname(name)] ?? 'application/octet-stream';
        return { type, body, gz: body.length > 1024 && !type.startsWith('image/png') ? await gzip(body, { level: 9 }) : null };
      })();
      a.catch(() => assets.delete(name));
      assets.set(name, a);
    }
    return a;
  };

  const servePage = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    let m: ConsoleManifest;
    try {
      m = await loadManifest();
    } catch {
      sendText(res, 503, 'The console is not built: run `npm run build` (it bundles console/ into dist/console/).\n');
      return;
    }
    const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Flywheel console</title>
<link rel="icon" href="data:,">
${m.css.map((n) => `<link rel="stylesheet" href="${ASSET_PREFIX}${n}">`).join('\n')}
<script type="module" src="${ASSET_PREFIX}${m.entry}"></script>
</head>
<body>
<div id="app"><p class="loading">Loading the console…</p></div>
<noscript>The Flywheel console needs JavaScript.</noscript>
</body>
</html>
`;
    const body = Buffer.from(html, 'utf8');
    commonHeaders(res);
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(body.length),
      'Cache-Control': 'no-store',
      'Content-Security-Policy': pageCsp(req),
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const serveAsset = async (req: http.IncomingMessage, res: http.ServerResponse, name: string) => {
    let m: ConsoleManifest;
    try {
      m = await loadManifest();
    } catch {
      return sendText(res, 404, 'Not Found\n');
    }
    // Only names the build listed; the URL is never used as a path otherwise.
    if (!m.files.includes(name)) return sendText(res, 404, 'Not Found\n');
    const a = await loadAsset(name);
    const useGz = a.gz !== null && acceptsGzip(req);
    const etag = `"${name}${useGz ? '-gz' : ''}"`;
    commonHeaders(res);
    res.setHeader('Content-Type', a.type);
    res.setHeader('Content-Security-Policy', "default-src 'none'");
    res.setHeader('ETag', etag);
    if (a.gz) res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
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
  };

  return (req, res) => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      return false;
    }
    if (pathname !== BASE && !pathname.startsWith(`${BASE}/`)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
      return true;
    }
    let work: Promise<void>;
    if (pathname === BASE || pathname === `${BASE}/`) work = servePage(req, res);
    else if (pathname.startsWith(ASSET_PREFIX)) work = serveAsset(req, res, pathname.slice(ASSET_PREFIX.length));
    else {
      sendText(res, 404, 'Not Found\n');
      return true;
    }
    work.catch((err: unknown) => sendText(res, 500, `console asset error: ${(err as Error)?.message ?? String(err)}\n`));
    return true;
  };
}
