import { describeStoreConformance } from '@aurum/ratelimit-testkit';
import { MemoryStore } from '../src/index.js';

describeStoreConformance({
  name: 'MemoryStore',
  create: (clock) => new MemoryStore({ clock }),
  createRealtime: () => new MemoryStore(),
});
