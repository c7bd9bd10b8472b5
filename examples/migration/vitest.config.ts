import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@aurum/source'] },
  ssr: { resolve: { conditions: ['@aurum/source'] } },
  test: { name: 'example-migration', include: ['test/**/*.test.ts'] },
});
