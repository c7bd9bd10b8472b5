// The typing travels with this file: packages that type-check this source (adapters, through the
// @aurum/source condition) do not include the store's src folder.
/// <reference path="./cluster-key-slot.d.ts" />
import calculateSlot from 'cluster-key-slot';
import type { SlotOf } from './batcher.js';
import type { RedisClient } from './client.js';

/**
 * How the batcher groups decisions for `client`: by hash slot on a Cluster (one script call may
 * only touch one slot), not at all on a single node. A decision whose lease key is in another slot
 * than its bucket (its caller broke the shared `{…}` convention) goes alone and fails alone, as it
 * would have without batching.
 */
export function slotGrouping(client: RedisClient): SlotOf | undefined {
  if ((client as { isCluster?: boolean }).isCluster !== true) return undefined;
  // ioredis prefixes keys with its own keyPrefix before routing them: the slot is the prefixed key's.
  const prefix = (client as { options?: { keyPrefix?: string } }).options?.keyPrefix ?? '';
  return (d) => {
    const slot = calculateSlot(prefix + d.key);
    return d.lease === undefined || calculateSlot(prefix + d.lease.key) === slot ? slot : undefined;
  };
}
