/** Several symbols' bars on one shared calendar, for backtests where they share one cash balance. */
import type { BarView } from './price-series.js';

/** The union of the symbols' trading days and, per symbol, where each day falls in its own bars. */
export interface Panel {
  views: BarView[];
  /** ISO dates on which at least one symbol has a bar, ascending. */
  dates: string[];
  /** barAt[j][t]: the index of calendar day t in views[j]'s bars, or −1 when it has none that day. */
  barAt: Int32Array[];
}

const single = new WeakMap<BarView, Panel>();

/**
 * Aligns the views on the union of their dates. One view maps onto itself without copying dates,
 * and its panel is cached, so an optimizer running thousands of backtests on one symbol builds it once.
 */
export function buildPanel(views: BarView[]): Panel {
  if (views.length === 1) {
    const only = views[0] as BarView;
    const cached = single.get(only);
    if (cached) return cached;
    const identity = new Int32Array(only.dates.length);
    for (let i = 0; i < identity.length; i++) identity[i] = i;
    const panel = { views: [only], dates: only.dates, barAt: [identity] };
    single.set(only, panel);
    return panel;
  }
  const all = new Set<string>();
  for (const view of views) for (const date of view.dates) all.add(date);
  const dates = [...all].sort();
  const barAt = views.map((view) => {
    const map = new Int32Array(dates.length).fill(-1);
    let i = 0;
    for (let t = 0; t < dates.length && i < view.dates.length; t++) {
      if (dates[t] === view.dates[i]) map[t] = i++;
    }
    return map;
  });
  return { views, dates, barAt };
}
