import { defineProject } from 'vitest/config';

/**
 * The package's own tests against NestJS 11, installed outside the workspace by
 * scripts/check-nest11.mjs (NEST11_DIR): every Nest package and rxjs resolve there instead.
 */
const dir = process.env.NEST11_DIR;
if (!dir) throw new Error('NEST11_DIR is not set: run node scripts/check-nest11.mjs');

export default defineProject({
  resolve: {
    conditions: ['@aurum/source'],
    alias: [
      { find: /^@nestjs\/(common|core|platform-express|platform-fastify)(\/.*)?$/, replacement: `${dir}/node_modules/@nestjs/$1$2` },
      { find: /^rxjs$/, replacement: `${dir}/node_modules/rxjs` },
    ],
  },
  ssr: { resolve: { conditions: ['@aurum/source'] } },
  test: { name: 'nestjs-11', include: ['test/**/*.test.ts'], restoreMocks: true },
});
