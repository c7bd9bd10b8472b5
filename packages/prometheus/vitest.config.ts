import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@aurum/source'] },
  ssr: { resolve: { conditions: ['@aurum/source'] } },
  test: { name: 'prometheus', include: ['test/**/*.test.ts'], restoreMocks: true },
});
