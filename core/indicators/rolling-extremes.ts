/** Rolling maximum and minimum in O(n) amortised: the highest high and lowest low behind Donchian channels and the stochastic. */

/** Highest value of the window of `period` bars ending at each bar (current bar included); NaN until full or while the window holds a NaN. */
export function rollingMax(values: Float64Array, period: number): Float64Array {
  return rollingExtreme(values, period, true);
}

/** Lowest value of the window of `period` bars ending at each bar (current bar included); NaN until full or while the window holds a NaN. */
export function rollingMin(values: Float64Array, period: number): Float64Array {
  return rollingExtreme(values, period, false);
}

function rollingExtreme(values: Float64Array, period: number, highest: boolean): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  // Monotonic deque of indices whose values only get worse from front to back: a value that a newer,
  // better one beats can never be the extreme again, so each index enters and leaves once.
  // Sized n rather than as a ring of `period` so that push and pop need no modulo.
  const deque = new Int32Array(n);
  let head = 0;
  let tail = 0;
  let lastNaN = -period;
  for (let i = 0; i < n; i++) {
    const x = values[i] as number;
    if (Number.isNaN(x)) {
      // NaN compares false with everything, so it would silently vanish from the deque.
      lastNaN = i;
    } else {
      while (tail > head) {
        const back = values[deque[tail - 1] as number] as number;
        if (highest ? back > x : back < x) break;
        tail--;
      }
      deque[tail++] = i;
    }
    // Bars advance one at a time, so at most the front index has just left the window.
    if (tail > head && (deque[head] as number) <= i - period) head++;
    if (i >= period - 1) {
      out[i] = i - lastNaN < period ? Number.NaN : (values[deque[head] as number] as number);
    }
  }
  return out;
}
