// @ts-check
/**
 * Dependencies point one way (issue 12). `npm run lint:deps` (part of `npm test`) checks the product's code
 * (src/, resolvers/, graph-models/) against these rules with dependency-cruiser.
 *
 * A folder is src/<name>, resolvers or graph-models. The allowed direction, outside in:
 *
 *   cli -> api -> resolvers -> graph-models   (src/api reaches graph-models through resolvers only)
 *   api, resolvers -> app (composition root)
 *     -> domains (anomaly, recommend, segments, privacy, import, demo, outcomes)
 *     -> ingest -> event-log, graph -> events
 *   config, auth, observability, util sit low: they import no domain, except config, which imports the
 *   settings modules (src/<domain>/config.ts) it validates.
 *
 * Every rule is written by folder pattern, never by file, so files can move inside a folder (or a folder
 * move under resolvers/ or src/api/) without touching this file. Type-only imports count
 * (tsPreCompilationDeps): they are dependencies a reader follows too.
 */

/** A folder of the product, as a path pattern: `^src/(a|b)/` */
const folders = (...names) => `^src/(${names.join('|')})/`;

const DOMAINS = ['anomaly', 'recommend', 'segments', 'privacy', 'import', 'demo', 'outcomes'];
// Below the composition root: the domains and everything they stand on.
const CORE = [...DOMAINS, 'ingest', 'event-log', 'graph', 'events'];
const LOW = ['config', 'auth', 'observability', 'util'];
// The settings modules config validates: src/<domain>/config.ts
const DOMAIN_SETTINGS = `^src/(${DOMAINS.join('|')})/config\\.ts$`;

// graphql-js and everything built on it: type-graphql, Apollo, graphql-ws, graphql-jit, graphql-scalars, graphql-armor, codegen
const GRAPHQL_PACKAGES = '(graphql|graphql-[^/]+|type-graphql|@apollo/[^/]+|@graphql-[^/]+/[^/]+|@escape\\.tech/graphql-armor)';

/** `from` may not import `to`: one rule of the direction above. */
const forbid = (name, comment, from, to) => ({ name, comment, severity: 'error', from, to });

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-file-cycle',
      comment: 'No import cycle between files (type-only imports included).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      comment:
        'No import cycle between folders (src/<name>, resolvers, graph-models). One import against the direction at the top of .dependency-cruiser.cjs closes such a cycle; a layer rule usually names its file.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(src/[^/]+|resolvers|graph-models)$' },
      // a folder's own subfolders (src/graph/embedded -> src/graph) are inside it, not a cycle between folders
      to: { circular: true, pathNot: '^$1/' },
    },

    // Outside in: nothing imports a layer above it.
    forbid('cli-is-the-top', 'Only the CLI imports the CLI.', { pathNot: folders('cli') }, { path: folders('cli') }),
    forbid('api-below-cli-only', 'src/api (HTTP, WebSocket) is imported by the CLI only.', { pathNot: folders('cli', 'api') }, { path: folders('api') }),
    forbid(
      'resolvers-below-api',
      'Resolvers (and the schema build, resolvers/build-schema.ts) are imported by src/api and the CLI (schema writer), not by the composition root or the domains.',
      { pathNot: [folders('cli', 'api'), '^resolvers/'] },
      { path: '^resolvers/' },
    ),
    forbid(
      'graph-models-below-resolvers',
      'GraphQL object and input types are imported by the resolvers only (src/api reaches them through resolvers).',
      { pathNot: ['^resolvers/', '^graph-models/'] },
      { path: '^graph-models/' },
    ),
    forbid(
      'app-is-the-composition-root',
      'src/app (composition root) is imported by the CLI and the GraphQL side, never by what it composes.',
      { pathNot: [folders('cli', 'api', 'app'), '^resolvers/'] },
      { path: folders('app') },
    ),
    forbid(
      'domains-below-app',
      'Ingestion, the event log, the graph store and the event contract import no domain.',
      { path: folders('ingest', 'event-log', 'graph', 'events') },
      { path: folders(...DOMAINS) },
    ),
    forbid(
      'ingest-above-stores',
      'The event log and the graph store do not import ingestion.',
      { path: folders('event-log', 'graph', 'events') },
      { path: folders('ingest') },
    ),
    forbid('events-at-the-bottom', 'The event contract imports no store.', { path: folders('events') }, { path: folders('event-log', 'graph') }),
    forbid(
      'low-folders-stay-low',
      'config, auth, observability and util import nothing above them; config alone may import the settings it validates (src/<domain>/config.ts).',
      { path: folders(...LOW) },
      {
        path: [folders('cli', 'api', 'app', 'ingest', 'event-log', 'graph', ...DOMAINS), '^resolvers/', '^graph-models/'],
        pathNot: DOMAIN_SETTINGS,
      },
    ),
    forbid(
      'only-config-reads-settings',
      'Of the low folders only config reads domain settings and the event rules.',
      { path: folders('auth', 'observability', 'util') },
      { path: [DOMAIN_SETTINGS, folders('events')] },
    ),
    forbid(
      'util-is-the-floor',
      'util imports no other folder of the product.',
      { path: folders('util') },
      { path: folders('config', 'auth', 'observability') },
    ),

    // Domains know nothing of GraphQL.
    forbid(
      'core-without-graphql',
      'The domains and what they stand on (and config, observability, util) never import GraphQL, type-graphql, Apollo or graphql-ws; the GraphQL side maps their types.',
      { path: folders(...CORE, 'config', 'observability', 'util') },
      {
        path: [
          // resolved into node_modules, or left as the bare name when a package cannot be resolved
          `(^|node_modules/)${GRAPHQL_PACKAGES}(/|$)`,
          '^resolvers/',
          '^graph-models/',
          folders('api'),
        ],
      },
    ),
  ],
  options: {
    // Only the product's own files are walked; packages are recorded as dependencies but not followed.
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^src/generated/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    // folder-scope rules need the folder graph, which dependency-cruiser computes with its metrics
    metrics: true,
  },
};
