/** The errors orders/ raises: each says what was wrong and what is valid. */

/** A request that can never succeed as given (bad quantity, unknown symbol or account…). Nothing was written. */
export class OrderInputError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'OrderInputError';
  }
}

/**
 * The principal holds no role on the account that allows this (a viewer proposing, a trader of
 * another account reading). `role` is what would have allowed it. Nothing was written.
 */
export class AccessDeniedError extends Error {
  constructor(
    message: string,
    readonly accountId: string,
    readonly role: string,
  ) {
    super(message);
    this.name = 'AccessDeniedError';
  }
}

/** No proposal (or order) with that id. */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/**
 * An approval or rejection refused: not an approver, expired, already decided, tampered, price
 * drifted, a risk rule failing, a replay. The refusal is in the audit log with this reason.
 */
export class ApprovalRefusedError extends Error {
  constructor(
    readonly code:
      | 'not_found'
      | 'not_approver'
      | 'expired'
      | 'already_decided'
      | 'hash_mismatch'
      | 'tampered'
      | 'already_approved'
      | 'price_drift'
      | 'no_price'
      | 'risk'
      | 'bad_channel'
      | 'scope_missing'
      | 'channel_disabled'
      | 'proposer_cannot_approve',
    message: string,
  ) {
    super(message);
    this.name = 'ApprovalRefusedError';
  }
}
