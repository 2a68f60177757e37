/**
 * HTTP to Alpaca's trading API: key headers on every call, a deadline on every call, and Alpaca's
 * answers sorted into the port's errors (4xx: BrokerRejectedError with Alpaca's message and code;
 * 5xx, 429, network errors and timeouts: BrokerUnavailableError).
 */
import { BrokerRejectedError, BrokerUnavailableError } from '../port.js';

/** What the transport needs. */
export interface AlpacaHttpOptions {
  keyId: string;
  secretKey: string;
  /** API root without /v2, e.g. https://paper-api.alpaca.markets. */
  root: string;
  fetch: typeof fetch;
  timeoutMs: number;
}

/** An HTTP answer: status and parsed JSON body (the raw text when it is not JSON; null when empty). */
export interface AlpacaResponse {
  status: number;
  body: unknown;
}

/** One call to the API. */
export type AlpacaCall = (
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  options?: { query?: Record<string, string>; body?: unknown },
) => Promise<AlpacaResponse>;

/** Builds the call function; network failures and timeouts throw BrokerUnavailableError. */
export function alpacaHttp(options: AlpacaHttpOptions): AlpacaCall {
  return async (method, path, { query, body } = {}) => {
    const url = `${options.root}${path}${query ? `?${new URLSearchParams(query).toString()}` : ''}`;
    const headers: Record<string, string> = {
      'APCA-API-KEY-ID': options.keyId,
      'APCA-API-SECRET-KEY': options.secretKey,
      Accept: 'application/json',
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let status: number;
    let text: string;
    try {
      // The deadline covers the whole exchange, body included.
      const response = await options.fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const timedOut = (error as { name?: string })?.name === 'TimeoutError';
      const reason = timedOut
        ? `no answer within ${options.timeoutMs} ms`
        : `${(error as Error)?.message ?? String(error)}${causeOf(error)}`;
      throw new BrokerUnavailableError(`alpaca: ${method} ${path} failed: ${reason}`, {
        cause: error,
      });
    }
    return { status, body: parse(text) };
  };
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause ? ` (${cause.code ?? cause.message ?? 'no detail'})` : '';
}

function parse(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Alpaca's error message and code from an error body ({"code": 40310000, "message": "…"}). */
export function alpacaError(body: unknown): { message: string; code: string | undefined } {
  if (body && typeof body === 'object') {
    const { message, code } = body as { message?: unknown; code?: unknown };
    return {
      message: typeof message === 'string' ? message : JSON.stringify(body),
      code: code === undefined || code === null ? undefined : String(code),
    };
  }
  return {
    message: typeof body === 'string' && body !== '' ? body : 'no message',
    code: undefined,
  };
}

/** True for answers worth retrying: 5xx, 429 (rate limit) and 408 (request timeout). */
export function isTransient(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** The port error for a non-2xx answer. */
export function errorFor(
  method: string,
  path: string,
  response: AlpacaResponse,
): BrokerRejectedError | BrokerUnavailableError {
  const { message, code } = alpacaError(response.body);
  const text = `alpaca: ${message} (HTTP ${response.status} on ${method} ${path}${code ? `, code ${code}` : ''})`;
  return isTransient(response.status)
    ? new BrokerUnavailableError(text)
    : new BrokerRejectedError(text, code ?? `http_${response.status}`);
}
