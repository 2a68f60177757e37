/** Lua scripts on an ioredis client, with the one untyped step (ioredis adds them as dynamic methods) kept here. */
import type { Redis } from 'ioredis';

/** Runs a defined script: EVALSHA, falling back to EVAL when Redis has not cached it (ioredis does this). */
export type RedisScript = (
  keys: readonly string[],
  args: readonly (string | number)[],
) => Promise<unknown>;

type ScriptMethod = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Defines `lua` as command `name` on `client` and returns a typed caller. Defining the same name
 * again replaces it, which is harmless when the text is the same.
 */
export function defineScript(
  client: Redis,
  name: string,
  lua: string,
  numberOfKeys: number,
): RedisScript {
  client.defineCommand(name, { lua, numberOfKeys });
  const method = (client as unknown as Record<string, ScriptMethod | undefined>)[name];
  if (!method) throw new Error(`ioredis did not define the script command ${name}`);
  return (keys, args) => {
    if (keys.length !== numberOfKeys) {
      throw new Error(`script ${name} takes ${numberOfKeys} keys; got ${keys.length}`);
    }
    return method.call(client, ...keys, ...args);
  };
}
