/** The paper broker's public surface: the factory, its options and the quote feeds it fills against. */
export type { PaperBrokerOptions, PaperTerms } from './options.js';
export { PAPER_DEFAULTS } from './options.js';
export {
  createPaperBroker,
  type MatchResult,
  type PaperBroker,
  type PaperBrokerDeps,
  PaperMatchError,
} from './paper-broker.js';
export {
  dailyBarQuotes,
  type MemoryQuotes,
  memoryQuotes,
  type Quote,
  type QuoteSource,
} from './quotes.js';
export { ApprovalProofMismatchError } from './submit-checks.js';
