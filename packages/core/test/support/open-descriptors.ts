import { readdirSync, readlinkSync } from 'node:fs';

/** How many of this process's open file descriptors name `target` (Linux: /proc/self/fd). */
export function descriptorsOf(target: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === target) count += 1;
    } catch {
      // closed while listing
    }
  }
  return count;
}
