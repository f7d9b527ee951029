/**
 * A delivery attempt that may succeed later (408, 429, 5xx, network error, timeout). Thrown so
 * BullMQ retries the job with its exponential backoff; after the last attempt the job is
 * dead-lettered. A refusal for good is BullMQ's `UnrecoverableError` instead.
 */
export class DeliveryFailedError extends Error {
  readonly code = 'WEBHOOK_DELIVERY_FAILED';
  readonly retryable = true;
  /** The receiver's status, when it answered at all. */
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.name = 'DeliveryFailedError';
    this.status = status;
  }
}
