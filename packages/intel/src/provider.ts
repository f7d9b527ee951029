import type { Observable, ObservableType, ProviderName, ProviderResult } from '@triage/contracts';

/** One source of threat intelligence. `lookup` answers for one observable or throws a ProviderError. */
export interface IntelProvider {
  readonly name: ProviderName;
  supports(type: ObservableType): boolean;
  lookup(obs: Observable, signal?: AbortSignal): Promise<ProviderResult>;
}

/**
 * Stable codes for provider failures. They never reach the HTTP API (the alert goes on with
 * `partial` intel instead), so they live here rather than in the contracts' ERROR_CODES.
 */
export type ProviderErrorCode =
  | 'PROVIDER_RATE_LIMITED'
  | 'PROVIDER_QUOTA_EXHAUSTED'
  | 'PROVIDER_UNAVAILABLE'
  | 'PROVIDER_AUTH_FAILED'
  | 'PROVIDER_REJECTED'
  | 'PROVIDER_BAD_RESPONSE';

export interface ProviderErrorOptions {
  message?: string;
  status?: number;
  cause?: unknown;
}

/** Base of every provider failure: `retryable` tells the lookup queue whether to try again later. */
export class ProviderError extends Error {
  readonly code: ProviderErrorCode;
  readonly provider: ProviderName;
  readonly retryable: boolean;
  /** HTTP status of the answer, when there was one. */
  readonly status: number | undefined;

  constructor(
    code: ProviderErrorCode,
    provider: ProviderName,
    retryable: boolean,
    options: ProviderErrorOptions = {},
  ) {
    super(options.message ?? `${provider}: ${code}`, { cause: options.cause });
    this.name = 'ProviderError';
    this.code = code;
    this.provider = provider;
    this.retryable = retryable;
    this.status = options.status;
  }
}

/** 429: the provider asked us to slow down. Never retried in place: the whole provider queue pauses. */
export class ProviderRateLimitedError extends ProviderError {
  /** How long the provider asked us to wait (Retry-After or its documented reset time). */
  readonly retryAfterMs: number;

  constructor(provider: ProviderName, retryAfterMs: number, options: ProviderErrorOptions = {}) {
    super('PROVIDER_RATE_LIMITED', provider, true, {
      message: `${provider} rate limited us; retry after ${retryAfterMs} ms`,
      status: 429,
      ...options,
    });
    this.name = 'ProviderRateLimitedError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** Today's quota (our ledger) is spent: no call was made. Retryable only after 00:00 UTC. */
export class ProviderQuotaExhaustedError extends ProviderError {
  constructor(provider: ProviderName, options: ProviderErrorOptions = {}) {
    super('PROVIDER_QUOTA_EXHAUSTED', provider, false, {
      message: `${provider} daily quota exhausted`,
      ...options,
    });
    this.name = 'ProviderQuotaExhaustedError';
  }
}

/** Network error, timeout or 5xx after the one quick retry: the queue's backoff tries again. */
export class ProviderUnavailableError extends ProviderError {
  constructor(provider: ProviderName, options: ProviderErrorOptions = {}) {
    super('PROVIDER_UNAVAILABLE', provider, true, options);
    this.name = 'ProviderUnavailableError';
  }
}

/** 401/403: a wrong or revoked key. Retrying cannot help until an operator fixes the config. */
export class ProviderAuthError extends ProviderError {
  constructor(provider: ProviderName, options: ProviderErrorOptions = {}) {
    super('PROVIDER_AUTH_FAILED', provider, false, options);
    this.name = 'ProviderAuthError';
  }
}

/** The provider refused this particular value (400/422) or answered something we cannot parse. */
export class ProviderRejectedError extends ProviderError {
  constructor(
    provider: ProviderName,
    code: 'PROVIDER_REJECTED' | 'PROVIDER_BAD_RESPONSE',
    options: ProviderErrorOptions = {},
  ) {
    super(code, provider, false, options);
    this.name = 'ProviderRejectedError';
  }
}

/** A call must wait for the shared rate window: the lookup queue pauses for `waitMs` and tries again. */
export class LimitWaitError extends Error {
  readonly waitMs: number;

  constructor(waitMs: number) {
    super(`rate window full; wait ${waitMs} ms`);
    this.name = 'LimitWaitError';
    this.waitMs = waitMs;
  }
}

/** Ends a reservation made by a CallGate: the attempt is over (answered or failed). */
export type CallRelease = () => Promise<void>;

/**
 * Called before every real HTTP attempt (the quick retry included): reserves a slot in the shared
 * rate window and today's quota, or throws LimitWaitError / ProviderQuotaExhaustedError.
 */
export type CallGate = () => Promise<CallRelease | undefined>;
