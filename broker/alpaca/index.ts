/** The Alpaca adapter's public surface. */
export {
  ALPACA_LIVE_URL,
  ALPACA_PAPER_URL,
  type AlpacaBroker,
  type AlpacaBrokerOptions,
  createAlpacaBroker,
} from './alpaca-broker.js';
export { mapStatus } from './mapping.js';
