// `npm run lint`: ESLint's recommended rules and typescript-eslint's strict type-checked rules over
// every TypeScript file the type check covers (tsconfig.json: src, test, scripts, compat-tests),
// with type information from the TypeScript project service. The few plain .js/.mjs files (configs,
// a build step, the compat suite's global setup) get the recommended rules only: they are in no
// tsconfig, so there are no types to check them with.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'compat-tests/results/**', 'data/**', '.bench-tmp/**'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A number, bigint or boolean in a template prints as everyone expects (`partition ${p}`,
      // `${n} bytes`); allowNumber covers bigint too. The rule's point is objects and nullish values that print as
      // "[object Object]" or "undefined", and those stay errors.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    // Node's globals that these files use (TypeScript knows them from @types/node for the .ts files).
    languageOptions: { globals: { URL: 'readonly', process: 'readonly', console: 'readonly' } },
  },
);
