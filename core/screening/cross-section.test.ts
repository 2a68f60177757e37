/** crossSectionalZ on hand-computed cross-sections: population z-scores, orientation, clipping, missing values. */
import { describe, expect, it } from 'vitest';
import { crossSectionalZ } from './cross-section.js';

const f = (values: number[]) => Float64Array.from(values);

describe('crossSectionalZ', () => {
  it('uses the mean and the population standard deviation of the present values', () => {
    // Mean 2.5; deviations ±0.5, ±1.5; variance (0.25 + 2.25) · 2 / 4 = 1.25.
    const { z, stats } = crossSectionalZ(f([1, 2, 3, 4]), 1, 3);
    const std = Math.sqrt(1.25);
    expect(stats).toEqual({ count: 4, mean: 2.5, std });
    expect(Array.from(z)).toEqual([-1.5 / std, -0.5 / std, 0.5 / std, 1.5 / std]);
  });

  it('flips the sign for a factor where lower is better', () => {
    const up = crossSectionalZ(f([1, 2, 3, 4]), 1, 3).z;
    const down = crossSectionalZ(f([1, 2, 3, 4]), -1, 3).z;
    expect(Array.from(down)).toEqual(Array.from(up).map((v) => -v));
  });

  it('clips z-scores at ±limit without re-standardising the rest', () => {
    // Nine 0s and one 10: mean 1, std 3, so the outlier sits at z = 3 and the others at −1/3.
    const values = f([0, 0, 0, 0, 0, 0, 0, 0, 0, 10]);
    const { z, stats } = crossSectionalZ(values, 1, 2);
    expect(stats).toEqual({ count: 10, mean: 1, std: 3 });
    expect(z[9]).toBe(2);
    for (let i = 0; i < 9; i++) expect(z[i]).toBeCloseTo(-1 / 3, 15);
    expect(crossSectionalZ(values, -1, 2).z[9]).toBe(-2);
    expect(crossSectionalZ(values, 1, 3).z[9]).toBeCloseTo(3, 14);
  });

  it('leaves missing values NaN and takes the statistics without them', () => {
    const { z, stats } = crossSectionalZ(f([Number.NaN, 1, 3, Number.NaN]), 1, 3);
    expect(stats).toEqual({ count: 2, mean: 2, std: 1 });
    expect(Array.from(z)).toEqual([Number.NaN, -1, 1, Number.NaN]);
  });

  it('gives 0 to every present value when the factor does not separate the symbols', () => {
    // 0.1 three times: the float mean is not exactly 0.1, yet the z-scores must be exactly 0.
    expect(Array.from(crossSectionalZ(f([0.1, 0.1, 0.1]), -1, 3).z)).toEqual([0, 0, 0]);
    expect(Array.from(crossSectionalZ(f([7, Number.NaN]), 1, 3).z)).toEqual([0, Number.NaN]);
    expect(crossSectionalZ(f([Number.NaN]), 1, 3).stats).toEqual({ count: 0, mean: 0, std: 0 });
    expect(crossSectionalZ(f([]), 1, 3).z).toHaveLength(0);
  });
});
