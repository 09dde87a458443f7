/**
 * The control plane's layout, checked by `.ci/run` (dependency-cruiser under Node 24). Type-only imports count
 * (`tsPreCompilationDeps`), so a cycle through `import type` is a cycle here too.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const SRC = '^api/_src/';
const TEST_CODE = '(\\.test\\.tsx?$|(^|/)testing\\.ts$|-testing\\.ts$|^test/)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No module imports, however indirectly, a module that imports it.',
      from: { pathNot: TEST_CODE },
      to: { circular: true },
    },
    {
      name: 'admin-only-from-root',
      severity: 'error',
      comment: 'admin/ holds admin routes only: the composition root (app.ts) mounts them, nothing else imports them.',
      from: { path: SRC, pathNot: [`${SRC}admin/`, `${SRC}app\\.ts$`, TEST_CODE] },
      to: { path: `${SRC}admin/` },
    },
    {
      name: 'routes-are-mounted-not-imported',
      severity: 'error',
      comment: 'A routes.ts is an HTTP adapter over its folder\'s domain code: the composition root (or admin/routes.ts, which mounts the admin API) mounts it, and nothing calls into it.',
      from: { path: SRC, pathNot: [`${SRC}app\\.ts$`, `${SRC}admin/routes\\.ts$`, TEST_CODE] },
      to: { path: `${SRC}[^/]+/routes\\.ts$` },
    },
    {
      name: 'release-core-without-hono',
      severity: 'error',
      comment: 'releases/ is the domain the routes, the GitHub sync and the CLI share: plain functions over db and storage, no HTTP framework.',
      from: { path: `${SRC}releases/`, pathNot: TEST_CODE },
      to: { path: '(^|/)node_modules/hono/', reachable: true },
    },
    {
      name: 'protocol-is-a-leaf',
      severity: 'error',
      comment: 'protocol/ is shared by the server, the actions, the CLI and the dashboard: it imports only itself, the typed schema and zod.',
      from: { path: `${SRC}protocol/`, pathNot: TEST_CODE },
      to: { dependencyTypesNot: ['core'], pathNot: [`${SRC}protocol/`, '^db/schema\\.ts$', '(^|/)node_modules/zod/'] },
    },
    {
      name: 'clients-use-protocol-and-client-only',
      severity: 'error',
      comment: 'The dashboard (ui/client/) and the CLI (cli/) speak to the server through protocol/ and the typed client only.',
      from: { path: [`${SRC}ui/client/`, `${SRC}cli/`], pathNot: TEST_CODE },
      to: { path: SRC, pathNot: [`${SRC}protocol/`, `${SRC}client/`, `${SRC}ui/client/`, `${SRC}cli/`] },
    },
    {
      name: 'actions-use-protocol-and-client-only',
      severity: 'error',
      comment: 'An action bundles what it imports: from the control plane, only protocol/ and the typed client.',
      from: { path: '^actions/', pathNot: TEST_CODE },
      to: { path: SRC, pathNot: [`${SRC}protocol/`, `${SRC}client/`] },
    },
    {
      name: 'db-below-api',
      severity: 'error',
      comment: 'db/ (schema, migrations, connections) knows nothing of the server above it; only `npm run migrate` (db/migrate.ts run as a script) reads the server\'s configuration.',
      from: { path: '^db/', pathNot: ['^db/migrate\\.ts$', TEST_CODE] },
      to: { path: '^api/' },
    },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      comment: 'Test helpers stay out of what ships.',
      from: { pathNot: TEST_CODE },
      to: { path: TEST_CODE },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^actions/[^/]+/dist/', '^api/_src/ui/dist/', '^\\.cache/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.mjs', '.js'] },
  },
};
