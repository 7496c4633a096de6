/**
 * Import boundaries (npm run lint): the layer order the README draws.
 * entry points (api routes, consumers, cli, runtime) → application → adapters (infrastructure,
 * publishers) → domain; arrows are imports.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'The domain holds pure rules: it imports nothing of ours outside src/domain.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^(src/(?!domain/)|consumers/|publishers/)' },
    },
    {
      name: 'entry-points-do-not-touch-mongo',
      comment: 'Routes and consumers parse, call an application service and answer or ack: no model access.',
      severity: 'error',
      from: { path: '^(src/api/routes/|consumers/)' },
      to: { path: '^src/infrastructure/mongo/' },
    },
    {
      name: 'application-does-not-know-entry-points',
      comment: 'Application services are called by entry points, never the other way round.',
      severity: 'error',
      from: { path: '^src/application/' },
      to: { path: '^(src/api/|src/cli/|src/runtime/|consumers/)' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
