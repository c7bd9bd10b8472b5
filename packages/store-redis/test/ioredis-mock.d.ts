// ioredis-mock ships no types (its @types package is not installed here); it mimics ioredis's `Redis`.
declare module 'ioredis-mock' {
  import type { Redis, RedisOptions } from 'ioredis';

  const RedisMock: new (options?: RedisOptions & { data?: Record<string, unknown> }) => Redis;
  export default RedisMock;
}
