import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@aurum/source'] },
  ssr: { resolve: { conditions: ['@aurum/source'] } },
  test: {
    name: 'fastify',
    include: ['test/**/*.test.ts'],
    restoreMocks: true,
    // Type tests (*.test-d.ts) run through tsc: an @ts-expect-error that no longer errors fails.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
