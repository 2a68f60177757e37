/** The backtest engine's version, stored with every saved run. */

/**
 * Bump it whenever the same inputs can give different fills, trades or metrics (a fill rule, a
 * cost model, a metric formula), so a stored run says which engine produced its figures and a
 * replay can tell a changed engine from changed data.
 */
// 1.1.0: price mode 'adjusted' (now the default) fills at traded prices and books splits and
// dividends; 1.0.0's 'adjusted' filled at adjusted prices.
export const ENGINE_VERSION = '1.1.0';
