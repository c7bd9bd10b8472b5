import { describeStoreConformance } from '@aurum/ratelimit-testkit';
import { MemoryStore } from '../src/index.js';

describeStoreConformance({
  name: 'MemoryStore',
  combined: true,
  quota: true,
  create: (clock) => new MemoryStore({ clock }),
  createRealtime: () => new MemoryStore(),
});
