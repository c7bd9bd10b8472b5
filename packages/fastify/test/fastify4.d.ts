// Fastify 4 is installed under the alias `fastify4` to run the conformance suite on both majors.
declare module 'fastify4' {
  import type { FastifyInstance } from 'fastify';
  const fastify: (options?: Record<string, unknown>) => FastifyInstance;
  export default fastify;
}
