/** The in-process cache's size bound (the rest of its behaviour is in the kv contract). */
import { describe, expect, it } from 'vitest';
import { MemoryCache } from './memory-cache.js';

describe('MemoryCache', () => {
  it('evicts the oldest-written entries past maxEntries', async () => {
    const cache = new MemoryCache({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c']) await cache.set(key, key, 60_000);
    await cache.set('a', 'a again', 60_000);
    await cache.set('d', 'd', 60_000);
    expect(cache.size).toBe(3);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('c')).toBe('c');
    expect(await cache.get('a')).toBe('a again');
    expect(await cache.get('d')).toBe('d');
  });

  it('hands out copies, so a caller cannot change what others read', async () => {
    const cache = new MemoryCache();
    const value = { list: [1] };
    await cache.set('k', value, 60_000);
    value.list.push(2);
    const read = await cache.get<{ list: number[] }>('k');
    read?.list.push(3);
    expect(await cache.get('k')).toEqual({ list: [1] });
  });
});
