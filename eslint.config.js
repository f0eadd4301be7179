// ESLint 9 flat config: typescript-eslint, type-aware (the top-level tsconfig.json covers src/,
// test/ and firmware-sim/). `npm run lint` runs it together with `prettier --check`.
// Rules that catch real faults are errors; see CONTRIBUTING.md ("Lint and format").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tmp/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits or catches loses its error (an unhandled rejection ends the process).
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function where a plain callback is expected (an event listener, a setTimeout).
      // Attributes of JSX do not exist here; void-return callbacks are the listener case.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Every case of a union handled; a `default:` counts as handling the rest, so a switch over
      // a string from the outside world can still end in a default that refuses it.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'none',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // The recommended set, tuned to the code base: these would drown the tree in findings that
      // are not faults. Values from JSON.parse, zod and better-sqlite3 rows are `any` by design
      // at the boundaries; the `unsafe-*` family would flag every such line.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // `async` methods that implement an interface without awaiting (Component.start) are fine.
      '@typescript-eslint/require-await': 'off',
      // `${n}` of numbers and booleans is how the code writes messages.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      // Non-null assertions after a check the compiler cannot follow (noUncheckedIndexedAccess).
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Tests: vitest's expect(...).rejects is awaited by the test; the unbound-method rule trips
    // over `expect(spy.method)`. Tests read untyped JSON off the wire and the store and look into
    // it field by field: `any` is allowed there (never in src/).
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Plain JavaScript (this file, the list worker's loader, the bench baseline): no type information.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        performance: 'readonly',
      },
    },
  },
);
