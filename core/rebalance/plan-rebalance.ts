/**
 * plan_rebalance: the orders that move a book toward target weights, with costs, a drift band, a
 * minimum order size, a cash buffer and a position cap — planned, never placed.
 *
 * Money is exact: every amount is a decimal.js `Dec` (core/decimal.ts, 34 significant digits)
 * built from the shortest decimal text of the numbers given, order amounts are rounded to the cent
 * (notional half to even, estimated costs up), and only the figures returned are converted back to
 * numbers. Symbols are sorted (code-unit order) before anything is done, so the plan never depends
 * on the key order of the request's objects.
 */
import { Dec } from '../decimal.js';
import {
  type OrderReason,
  type PlannedOrder,
  REBALANCE_DEFAULTS,
  type RebalanceCosts,
  RebalanceInputError,
  type RebalancePlan,
  type RebalanceRequest,
  type ResultingPosition,
  type SkippedName,
  type SkipReason,
} from './types.js';

/** Decimal places of a share quantity: whole shares, or millionths when fractional. */
const WHOLE_PLACES = 0;
const FRACTIONAL_PLACES = 6;
/** Halvings of the buy scale factor when buys must shrink to fit the cash (2^-52: exhaustive for doubles). */
const SCALE_SEARCH_STEPS = 52;

const ZERO = new Dec(0);
const ONE = new Dec(1);
const BPS = new Dec(10_000);

interface ResolvedCosts {
  perShare: Dec;
  bps: Dec;
  minimum: Dec;
  slippageBps: Dec;
}

interface ResolvedOptions {
  places: number;
  driftThreshold: Dec;
  minNotional: Dec;
  cashBuffer: Dec;
  maxPositionWeight: Dec;
  costs: ResolvedCosts;
}

/** One symbol of positions ∪ targets. */
interface Line {
  symbol: string;
  shares: Dec;
  /** Undefined only for a name with no shares and no target (it needs none). */
  price: Dec | undefined;
  targeted: boolean;
  /** The effective target weight: capped, then scaled to the cash buffer. */
  target: Dec;
  /** shares × price / equity before. */
  weight: Dec;
}

/** A trade the drift rule asks for, before rounding, size and cash checks. */
interface Candidate {
  line: Line;
  price: Dec;
  side: 'buy' | 'sell';
  /** Shares wanted, > 0, on the quantity grid (or the whole holding on a full exit). */
  wanted: Dec;
  reason: OrderReason;
  detail: string;
}

interface Amounts {
  notional: Dec;
  commission: Dec;
  slippage: Dec;
}

function compareSymbols(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function show(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

function pct(value: Dec): string {
  return `${value.times(100).toFixed(2)} %`;
}

function cents(value: Dec): Dec {
  return value.toDecimalPlaces(2, Dec.ROUND_HALF_EVEN);
}

/** Rounded up to the cent (amounts here are ≥ 0): cost estimates err against the trader. */
function centsUp(value: Dec): Dec {
  return value.toDecimalPlaces(2, Dec.ROUND_CEIL);
}

/** The value of an own key (never one inherited from Object.prototype, such as "constructor"). */
function own(record: Record<string, number>, key: string): number | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Checks the shape and ranges of a request; every problem is collected before throwing. */
function validate(request: RebalanceRequest): ResolvedOptions {
  const problems: string[] = [];
  const record = (name: string, value: unknown, check: (v: number) => string | undefined) => {
    if (!isPlainRecord(value)) {
      problems.push(`${name} must be an object of symbol → number, got ${show(value)}`);
      return;
    }
    for (const key of Object.keys(value).sort(compareSymbols)) {
      if (key.trim() === '') problems.push(`${name} has an empty symbol`);
      const v = value[key];
      const problem = isFiniteNumber(v) ? check(v) : 'must be a finite number';
      if (problem) problems.push(`${name}.${key} ${problem}, got ${show(v)}`);
    }
  };
  if (!isPlainRecord(request)) {
    throw new RebalanceInputError(
      `a rebalance request must be an object with positions, cash, prices and targets, got ${show(request)}`,
    );
  }
  record('positions', request.positions, () => undefined);
  if (!isFiniteNumber(request.cash)) {
    problems.push(`cash must be a finite number, got ${show(request.cash)}`);
  }
  record('prices', request.prices, (v) => (v > 0 ? undefined : 'must be a price > 0'));
  record('targets', request.targets, (v) =>
    v >= 0 ? undefined : 'must be a weight ≥ 0 (0.25 = 25 %)',
  );
  if (isPlainRecord(request.targets)) {
    const weights = Object.values(request.targets).filter(isFiniteNumber);
    const sum = weights.reduce((acc: Dec, w) => acc.plus(w), ZERO);
    if (sum.greaterThan(ONE)) {
      problems.push(
        `target weights must sum to at most 1 (the rest is cash), but they sum to ${sum.toString()}`,
      );
    }
  }

  const options = request.options ?? {};
  if (!isPlainRecord(options)) {
    throw new RebalanceInputError(`options must be an object, got ${show(options)}`);
  }
  const option = (
    name: string,
    value: unknown,
    fallback: number,
    valid: (v: number) => boolean,
    range: string,
  ): Dec => {
    if (value === undefined) return new Dec(fallback);
    if (!isFiniteNumber(value) || !valid(value)) {
      problems.push(`${name} must be ${range}, got ${show(value)}`);
      return new Dec(fallback);
    }
    return new Dec(value);
  };
  const d = REBALANCE_DEFAULTS;
  if (options.allowFractional !== undefined && typeof options.allowFractional !== 'boolean') {
    problems.push(`allowFractional must be true or false, got ${show(options.allowFractional)}`);
  }
  const driftThreshold = option(
    'driftThreshold',
    options.driftThreshold,
    d.driftThreshold,
    (v) => v >= 0,
    'a relative drift ≥ 0 (0.05 = 5 % of the target)',
  );
  const minNotional = option(
    'minNotional',
    options.minNotional,
    d.minNotional,
    (v) => v >= 0,
    'an amount ≥ 0 in currency',
  );
  const cashBuffer = option(
    'cashBuffer',
    options.cashBuffer,
    d.cashBuffer,
    (v) => v >= 0 && v < 1,
    'a fraction in [0, 1) (0.02 = 2 % of equity)',
  );
  const maxPositionWeight = option(
    'maxPositionWeight',
    options.maxPositionWeight,
    d.maxPositionWeight,
    (v) => v > 0 && v <= 1,
    'a weight in (0, 1]',
  );
  const costs: RebalanceCosts = options.costs ?? {};
  if (!isPlainRecord(costs)) {
    problems.push(`costs must be an object, got ${show(costs)}`);
  }
  const cost = (name: keyof RebalanceCosts, unit: string) =>
    option(
      `costs.${name}`,
      isPlainRecord(costs) ? costs[name] : undefined,
      d.costs[name],
      (v) => v >= 0,
      `a number ≥ 0 (${unit})`,
    );
  const resolvedCosts: ResolvedCosts = {
    perShare: cost('commissionPerShare', 'currency per share'),
    bps: cost('commissionBps', 'basis points of notional'),
    minimum: cost('commissionMinimum', 'currency per order'),
    slippageBps: cost('slippageBps', 'basis points of notional'),
  };
  if (problems.length > 0) throw new RebalanceInputError(problems.join('; '));
  return {
    places: options.allowFractional === true ? FRACTIONAL_PLACES : WHOLE_PLACES,
    driftThreshold,
    minNotional,
    cashBuffer,
    maxPositionWeight,
    costs: resolvedCosts,
  };
}

/** Notional (cents, half to even), commission and slippage (each up to the cent) of one order. */
function amountsOf(quantity: Dec, price: Dec, costs: ResolvedCosts): Amounts {
  if (quantity.isZero()) return { notional: ZERO, commission: ZERO, slippage: ZERO };
  const notional = cents(quantity.times(price));
  const proportional = costs.perShare.times(quantity).plus(costs.bps.times(notional).div(BPS));
  return {
    notional,
    commission: centsUp(Dec.max(costs.minimum, proportional)),
    slippage: centsUp(costs.slippageBps.times(notional).div(BPS)),
  };
}

/** Cash a buy of `quantity` takes: notional + commission + slippage. */
function buyCost(quantity: Dec, price: Dec, costs: ResolvedCosts): Dec {
  const a = amountsOf(quantity, price, costs);
  return a.notional.plus(a.commission).plus(a.slippage);
}

/**
 * Quantities for `buys` that fit in `budget`. When all of them fit, they are kept whole. Otherwise
 * every buy is scaled by the same factor f (the largest f in [0, 1] found by bisection whose
 * rounded-down quantities fit, costs included); with whole shares, single shares are then added
 * back one at a time (largest unfilled notional first, ties by symbol) while they still fit. Buys
 * left at zero or under minNotional are dropped and the rest fitted again without them; when
 * that would drop every buy, only the one with the smallest wanted notional (the last symbol on a
 * tie) is dropped before fitting again.
 */
function fitBuys(buys: Candidate[], budget: Dec, options: ResolvedOptions): Map<string, Dec> {
  const { places, costs, minNotional } = options;
  const result = new Map<string, Dec>();
  let active = buys;
  for (;;) {
    const at = (f: Dec) =>
      active.map((b) => b.wanted.times(f).toDecimalPlaces(places, Dec.ROUND_FLOOR));
    const total = (quantities: Dec[]) =>
      quantities.reduce(
        (acc, q, k) => acc.plus(buyCost(q, (active[k] as Candidate).price, costs)),
        ZERO,
      );
    let quantities = active.map((b) => b.wanted);
    if (total(quantities).greaterThan(budget)) {
      if (budget.isNegative()) {
        quantities = active.map(() => ZERO);
      } else {
        let lo = 0;
        let hi = 1;
        for (let step = 0; step < SCALE_SEARCH_STEPS; step++) {
          const mid = (lo + hi) / 2;
          if (total(at(new Dec(mid))).greaterThan(budget)) hi = mid;
          else lo = mid;
        }
        quantities = at(new Dec(lo));
        if (places === WHOLE_PLACES) quantities = topUp(active, quantities, budget, costs);
      }
    }
    const kept: Candidate[] = [];
    const dropped: Candidate[] = [];
    active.forEach((b, k) => {
      const q = quantities[k] as Dec;
      const enough =
        !q.isZero() && amountsOf(q, b.price, costs).notional.greaterThanOrEqualTo(minNotional);
      (enough ? kept : dropped).push(b);
      result.set(b.line.symbol, enough ? q : ZERO);
    });
    if (dropped.length === 0 || active.length === 1) return result;
    if (kept.length > 0) {
      active = kept;
      continue;
    }
    // Every buy failed at once: give up the smallest wanted notional (the last symbol on a tie)
    // and fit the others again, rather than buying nothing.
    let smallest = 0;
    active.forEach((b, k) => {
      const other = active[smallest] as Candidate;
      const cmp = b.wanted.times(b.price).comparedTo(other.wanted.times(other.price));
      if (cmp < 0 || (cmp === 0 && compareSymbols(b.line.symbol, other.line.symbol) > 0)) {
        smallest = k;
      }
    });
    active = active.filter((_, k) => k !== smallest);
  }
}

/** Adds whole shares back to scaled-down buys while they fit (see fitBuys). */
function topUp(active: Candidate[], quantities: Dec[], budget: Dec, costs: ResolvedCosts): Dec[] {
  const q = quantities.slice();
  let spent = q.reduce(
    (acc, x, k) => acc.plus(buyCost(x, (active[k] as Candidate).price, costs)),
    ZERO,
  );
  for (;;) {
    const order = active
      .map((b, k) => ({
        k,
        unfilled: b.wanted.minus(q[k] as Dec).times(b.price),
        symbol: b.line.symbol,
      }))
      .filter((x) => x.unfilled.isPositive() && !x.unfilled.isZero())
      .sort((a, b) => b.unfilled.comparedTo(a.unfilled) || compareSymbols(a.symbol, b.symbol));
    let added = false;
    for (const { k } of order) {
      const b = active[k] as Candidate;
      const current = q[k] as Dec;
      if (current.plus(1).greaterThan(b.wanted)) continue;
      const extra = buyCost(current.plus(1), b.price, costs).minus(
        buyCost(current, b.price, costs),
      );
      if (spent.plus(extra).lessThanOrEqualTo(budget)) {
        q[k] = current.plus(1);
        spent = spent.plus(extra);
        added = true;
      }
    }
    if (!added) return q;
  }
}

/**
 * Plans the orders that bring `request.positions` to `request.targets`.
 *
 * Steps, with E = cash + Σ shares × price (equity before; must be > 0):
 * 1. Effective targets: t = min(target, maxPositionWeight); if Σ t > 1 − cashBuffer, every t is
 *    multiplied by (1 − cashBuffer) / Σ t.
 * 2. Drift: a name with t > 0 and current weight c = shares × price / E trades only when
 *    |c − t| / t > driftThreshold. A held name with t = 0 (targeted at 0, or not targeted) is
 *    closed entirely, whatever its size.
 * 3. Quantity: the wanted shares are d = t × E / price; a buy of d − s is rounded down to the
 *    quantity grid (1 share, or 1e-6 when fractional), a sell of s − d is rounded up (so the name
 *    ends at or just under its target) but never below the whole-grid part of the holding; a full
 *    exit trades the whole holding, fraction included.
 * 4. Orders rounding to 0 shares or with notional under minNotional are skipped; so is a sell
 *    whose commission and slippage exceed its notional.
 * 5. Sells go first; their net proceeds join the cash. Buys (and short covers) must fit in that
 *    cash with their costs: if they do not, they are scaled down together (see `fitBuys`). Cash
 *    after is therefore ≥ 0 whenever cash after the sells is; with negative cash after the sells
 *    (a margin debit) no buy is made.
 *
 * Throws RebalanceInputError on a malformed request: non-finite numbers, a negative weight,
 * weights summing above 1, a price ≤ 0, an option out of range, a held or targeted symbol with
 * no price, or equity ≤ 0.
 */
export function planRebalance(request: RebalanceRequest): RebalancePlan {
  const options = validate(request);
  const { places, costs, minNotional, driftThreshold } = options;
  const positions = request.positions;
  const targets = request.targets;
  const prices = request.prices;
  const cash = new Dec(request.cash);

  const symbols = [...new Set([...Object.keys(positions), ...Object.keys(targets)])].sort(
    compareSymbols,
  );
  const missing = symbols.filter(
    (s) =>
      own(prices, s) === undefined &&
      ((own(positions, s) ?? 0) !== 0 || (own(targets, s) ?? 0) > 0),
  );
  if (missing.length > 0) {
    throw new RebalanceInputError(
      `no price for ${missing.join(', ')}: every symbol held or targeted needs a last price in prices`,
    );
  }

  let equity = cash;
  for (const s of symbols) {
    const price = own(prices, s);
    if (price !== undefined) equity = equity.plus(new Dec(own(positions, s) ?? 0).times(price));
  }
  if (!equity.isPositive() || equity.isZero()) {
    throw new RebalanceInputError(
      `equity (cash + Σ shares × price) must be > 0 to weigh positions, got ${equity.toString()}`,
    );
  }

  // Effective targets: the cap, then the cash buffer.
  const capped = new Map<string, Dec>();
  let cappedSum = ZERO;
  for (const s of symbols) {
    const t = Dec.min(new Dec(own(targets, s) ?? 0), options.maxPositionWeight);
    capped.set(s, t);
    cappedSum = cappedSum.plus(t);
  }
  const room = ONE.minus(options.cashBuffer);
  const shrink = cappedSum.greaterThan(room) ? room.div(cappedSum) : ONE;

  const lines: Line[] = symbols.map((symbol) => {
    const given = own(prices, symbol);
    const price = given === undefined ? undefined : new Dec(given);
    const shares = new Dec(own(positions, symbol) ?? 0);
    return {
      symbol,
      shares,
      price,
      targeted: Object.hasOwn(targets, symbol),
      target: (capped.get(symbol) as Dec).times(shrink),
      weight: price === undefined ? ZERO : shares.times(price).div(equity),
    };
  });

  const skipped: SkippedName[] = [];
  const skip = (line: Line, reason: SkipReason, detail: string) =>
    skipped.push({
      symbol: line.symbol,
      reason,
      detail,
      fromWeight: line.weight.toNumber(),
      targetWeight: line.target.toNumber(),
    });

  // Step 2–3: what the drift rule asks for.
  const candidates: Candidate[] = [];
  for (const line of lines) {
    const { shares, target, weight } = line;
    if (shares.isZero() && target.isZero()) {
      skip(line, 'nothing_to_trade', 'holds none and targets none');
      continue;
    }
    const price = line.price as Dec;
    if (target.isZero()) {
      const reason: OrderReason = line.targeted ? 'target_zero' : 'not_targeted';
      const why = line.targeted ? 'target weight 0' : 'held but not in the targets';
      candidates.push({
        line,
        price,
        side: shares.isPositive() ? 'sell' : 'buy',
        wanted: shares.abs(),
        reason,
        detail: `${why}: close the whole position (weight ${pct(weight)})`,
      });
      continue;
    }
    const drift = weight.minus(target).abs().div(target);
    const band = `weight ${pct(weight)} vs target ${pct(target)}: drift ${pct(drift)} of the target`;
    if (drift.lessThanOrEqualTo(driftThreshold)) {
      skip(line, 'within_drift_band', `${band}, within the ${pct(driftThreshold)} band`);
      continue;
    }
    const desired = target.times(equity).div(price);
    const change = desired.minus(shares);
    let side: 'buy' | 'sell';
    let wanted: Dec;
    if (change.isPositive()) {
      side = 'buy';
      wanted = change.toDecimalPlaces(places, Dec.ROUND_FLOOR);
    } else {
      side = 'sell';
      const held = shares.toDecimalPlaces(places, Dec.ROUND_FLOOR);
      wanted = Dec.min(change.neg().toDecimalPlaces(places, Dec.ROUND_CEIL), held);
    }
    const detail = `${band}, beyond the ${pct(driftThreshold)} band`;
    if (wanted.isZero() || wanted.isNegative()) {
      skip(line, 'rounds_to_zero', `${detail}, but the change rounds to 0 shares`);
      continue;
    }
    candidates.push({ line, price, side, wanted, reason: 'drift', detail });
  }

  // Step 4: size and cost filters.
  const sized: Candidate[] = [];
  for (const c of candidates) {
    const a = amountsOf(c.wanted, c.price, costs);
    if (a.notional.lessThan(minNotional)) {
      skip(
        c.line,
        'under_min_notional',
        `${c.side} ${c.wanted.toString()} for ${a.notional.toFixed(2)} is under the minimum order of ${minNotional.toFixed(2)}`,
      );
    } else if (c.side === 'sell' && a.commission.plus(a.slippage).greaterThan(a.notional)) {
      skip(
        c.line,
        'costs_exceed_proceeds',
        `selling ${c.wanted.toString()} brings ${a.notional.toFixed(2)} but costs ${a.commission.plus(a.slippage).toFixed(2)}`,
      );
    } else {
      sized.push(c);
    }
  }

  // Step 5: sells, then buys within the cash.
  const sells = sized.filter((c) => c.side === 'sell');
  const buys = sized.filter((c) => c.side === 'buy');
  let cashAfter = cash;
  const quantity = new Map<string, Dec>();
  for (const c of sells) {
    const a = amountsOf(c.wanted, c.price, costs);
    cashAfter = cashAfter.plus(a.notional).minus(a.commission).minus(a.slippage);
    quantity.set(c.line.symbol, c.wanted);
  }
  const fitted = fitBuys(buys, cashAfter, options);
  for (const c of buys) {
    const q = fitted.get(c.line.symbol) ?? ZERO;
    if (q.isZero()) {
      skip(
        c.line,
        'insufficient_cash',
        `${c.detail}; the buy of ${c.wanted.toString()} does not fit in the cash after sells (${cashAfter.toFixed(2)}) once buys are scaled down and minNotional applied`,
      );
      continue;
    }
    const a = amountsOf(q, c.price, costs);
    cashAfter = cashAfter.minus(a.notional).minus(a.commission).minus(a.slippage);
    quantity.set(c.line.symbol, q);
  }

  // The book afterwards.
  const after = new Map<string, Dec>();
  let equityAfter = cashAfter;
  const sideOf = new Map(sized.map((c) => [c.line.symbol, c.side]));
  for (const line of lines) {
    const side = sideOf.get(line.symbol);
    const q = quantity.get(line.symbol);
    let shares = line.shares;
    if (side && q) shares = side === 'buy' ? shares.plus(q) : shares.minus(q);
    after.set(line.symbol, shares);
    if (line.price) equityAfter = equityAfter.plus(shares.times(line.price));
  }
  const weightAfter = (value: Dec) => (equityAfter.isZero() ? ZERO : value.div(equityAfter));
  const resulting: ResultingPosition[] = lines.map((line) => {
    const shares = after.get(line.symbol) as Dec;
    const value = line.price ? shares.times(line.price) : ZERO;
    return {
      symbol: line.symbol,
      quantity: shares.toNumber(),
      marketValue: value.toNumber(),
      weight: weightAfter(value).toNumber(),
    };
  });

  let sellNotional = ZERO;
  let buyNotional = ZERO;
  let commission = ZERO;
  let slippage = ZERO;
  const orders: PlannedOrder[] = [];
  for (const c of [...sells, ...buys]) {
    const q = quantity.get(c.line.symbol);
    if (!q) continue;
    const a = amountsOf(q, c.price, costs);
    if (c.side === 'sell') sellNotional = sellNotional.plus(a.notional);
    else buyNotional = buyNotional.plus(a.notional);
    commission = commission.plus(a.commission);
    slippage = slippage.plus(a.slippage);
    const sharesAfter = after.get(c.line.symbol) as Dec;
    const scaled = !q.equals(c.wanted);
    orders.push({
      symbol: c.line.symbol,
      side: c.side,
      quantity: q.toNumber(),
      wantedQuantity: c.wanted.toNumber(),
      price: c.price.toNumber(),
      notional: a.notional.toNumber(),
      estimatedCommission: a.commission.toNumber(),
      estimatedSlippage: a.slippage.toNumber(),
      fromWeight: c.line.weight.toNumber(),
      toWeight: weightAfter(sharesAfter.times(c.price)).toNumber(),
      targetWeight: c.line.target.toNumber(),
      reason: c.reason,
      detail: scaled
        ? `${c.detail}; scaled down from ${c.wanted.toString()} to fit the cash`
        : c.detail,
    });
  }
  skipped.sort((a, b) => compareSymbols(a.symbol, b.symbol));

  return {
    orders,
    skipped,
    positions: resulting,
    cashBefore: cash.toNumber(),
    cashAfter: cashAfter.toNumber(),
    cashWeight: weightAfter(cashAfter).toNumber(),
    equityBefore: equity.toNumber(),
    equityAfter: equityAfter.toNumber(),
    turnover: sellNotional.plus(buyNotional).div(equity).toNumber(),
    totals: {
      sellNotional: sellNotional.toNumber(),
      buyNotional: buyNotional.toNumber(),
      commission: commission.toNumber(),
      slippage: slippage.toNumber(),
      costs: commission.plus(slippage).toNumber(),
      orderCount: orders.length,
    },
  };
}
