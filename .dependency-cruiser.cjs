/**
 * The layer order from docs/DESIGN.md, enforced on every `npm test`:
 *   config → core → store → models → broker → orders → rag → tools → agents → server, bots
 * A folder may import only from folders to its left (server may mount bots' webhooks).
 * `cli/`, `bench/` and `test/` are entry points and may import any layer; no layer imports them,
 * except that tests (`*.test.ts`) may use the shared helpers in `test/`.
 */
const LAYERS = [
  'config',
  'core',
  'store',
  'models',
  'broker',
  'orders',
  'rag',
  'tools',
  'agents',
  'server',
  'bots',
];

const layerRules = LAYERS.map((layer, index) => {
  const right = LAYERS.slice(index + 1).filter((l) => !(layer === 'server' && l === 'bots'));
  if (layer === 'bots') right.push('server');
  return {
    name: `layer-${layer}`,
    comment: `${layer}/ may not import from layers to its right (${right.join(', ')}): see docs/DESIGN.md`,
    severity: 'error',
    from: { path: `^${layer}/` },
    to: { path: `^(${right.concat('cli', 'bench').join('|')})/` },
  };
}).filter((rule) => rule.to.path !== '^(cli|bench)/');

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'only-orders-reaches-brokers',
      comment:
        'the approval invariant (docs/DESIGN.md): only orders/ may use a broker adapter, so no other layer can submit or cancel an order',
      severity: 'error',
      from: { path: '.', pathNot: ['^(orders|broker|test)/', '\\.test\\.ts$'] },
      to: { path: '^broker/' },
    },
    {
      name: 'core-is-pure',
      comment: 'core/ is pure trading logic: no I/O modules (docs/DESIGN.md)',
      severity: 'error',
      from: { path: '^core/', pathNot: '\\.test\\.ts$' },
      to: {
        dependencyTypes: [
          'core',
          'npm',
          'npm-dev',
          'npm-optional',
          'npm-peer',
          'npm-no-pkg',
          'npm-unknown',
        ],
        pathNot: ['node_modules/(decimal\\.js|zod)/'],
        path: '.',
      },
    },
    {
      name: 'test-helpers-only-in-tests',
      comment: 'only test files and benchmarks may import the shared test helpers',
      severity: 'error',
      from: {
        path: '^(config|core|store|models|broker|orders|rag|tools|agents|server|bots|cli)/',
        pathNot: '(\\.test|-contract)\\.ts$',
      },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-dev-deps-in-product',
      comment:
        'product code may not depend on devDependencies (they are absent in production installs)',
      severity: 'error',
      from: {
        path: '^(config|core|store|models|broker|orders|rag|tools|agents|server|bots|cli)/',
        pathNot: '(\\.test|-contract)\\.ts$',
      },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    exclude: { path: '^(.data|data|scratch|coverage)/' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
