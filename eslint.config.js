// `npm run lint`: ESLint's recommended rules and typescript-eslint's strict type-checked rules over
// every TypeScript file the type check covers (tsconfig.json: src, test, scripts, compat-tests),
// with type information from the TypeScript project service. The few plain .js/.mjs files (configs,
// a build step, the compat suite's global setup) get the recommended rules only: they are in no
// tsconfig, so there are no types to check them with.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**', 'coverage/**', 'node_modules/**', 'compat-tests/results/**', 'data/**', '.bench-tmp/**',
      // The generator (scripts/gen-protocol.ts, linted) writes one codec body per message for all its
      // versions, and for messages whose versions agree on a feature the version tests it emits are
      // constants (`if (flexible)` where every version is flexible): 279 of the 354 findings here are
      // no-unnecessary-condition on those, 50 unused parameters of the uniform signatures. Folding
      // them in the generator is a change of its own; check-gen already guarantees the output is
      // exactly what the generator writes.
      'src/protocol/generated/**',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A number, bigint or boolean in a template prints as everyone expects (`partition ${p}`,
      // `${n} bytes`; allowNumber covers bigint too). The rule's point is objects and nullish values
      // that print as "[object Object]" or "undefined", and those stay errors.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      // Passing on what a catch caught (typed unknown) is a rethrow, not a new non-Error reason.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // An async method without await is how an in-memory implementation of an async interface (the
      // in-memory state log and partition log, test doubles) keeps its throws rejections, as the disk
      // implementation's are; without `async` each would need a try/catch around Promise.reject.
      '@typescript-eslint/require-await': 'off',
      // The compiler's own convention (noUnusedParameters): a leading underscore marks a binding
      // unused on purpose, such as the loop variable of a loop that only counts, or a parameter an
      // interface requires.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Overloads whose parameters mean different things (ConfigException's (key, value, detail)
      // and (message)) stay apart, as their names say.
      '@typescript-eslint/unified-signatures': ['error', { ignoreDifferentlyNamedParameters: true }],
    },
  },
  {
    // In tests, benchmarks and the compat suite a `!` is an assertion: if the value is missing, the
    // run fails at that line with a TypeError, as an explicit expect() would make it fail. The
    // broker's own code (src/, the generator and schema scripts) keeps the rule.
    //
    // They also read what untyped JavaScript hands back: kafkajs's protocol modules (no type
    // declarations), @platformatic/kafka's parsed responses, and bodies decoded by an api key
    // chosen at run time (the golden fixtures, the benchmarks' raw wire client). Typing those would
    // mean writing declarations for other projects' internals; a wrong guess about their shape fails
    // the assertion that reads it, so `any` there is checked where it matters.
    files: ['test/**/*.ts', 'compat-tests/**/*.ts', 'scripts/bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    // Node's globals that these files use (TypeScript knows them from @types/node for the .ts files).
    languageOptions: { globals: { URL: 'readonly', process: 'readonly', console: 'readonly' } },
  },
);
