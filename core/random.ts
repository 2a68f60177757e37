/** A seeded pseudo-random number generator: the only source of randomness `core/` may use. */

/** A deterministic random stream: the same seed always yields the same sequence. */
export interface Random {
  /** A uniform float in [0, 1). */
  next(): number;
  /** A uniform integer in [min, max], both ends included (32 bits of randomness: ranges up to 2^32). */
  int(min: number, max: number): number;
  /** A standard normal draw (mean 0, standard deviation 1). */
  normal(): number;
}

/**
 * Creates a generator for `seed`. Only the low 32 bits of the (truncated) seed matter, so seeds
 * that differ by a multiple of 2^32 give the same stream.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, PractRand-clean,
 * period at least 2^32 thanks to its counter) with its state filled by splitmix32, so that
 * neighbouring seeds such as 1 and 2 still start far apart.
 */
export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) {
    throw new RangeError(`random seed must be a finite number, got ${seed}`);
  }
  let mix = Math.trunc(seed) >>> 0;
  const splitmix = (): number => {
    mix = (mix + 0x9e3779b9) | 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();

  const nextUint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm-up: the first outputs of sfc32 still correlate with the seed words.
  for (let i = 0; i < 12; i++) nextUint32();

  const next = (): number => nextUint32() / 4294967296;

  return {
    next,
    int(min: number, max: number): number {
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
        throw new RangeError(`random int needs integers min <= max, got min=${min} max=${max}`);
      }
      return min + Math.floor(next() * (max - min + 1));
    },
    normal(): number {
      // Box–Muller; 1 - next() lies in (0, 1], so the logarithm is always finite.
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
  };
}
