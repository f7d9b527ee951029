/**
 * The error types live in @triage/contracts so pure packages (normalizers) can throw them without
 * depending on the runtime; re-exported here for the code that already imports them from runtime.
 */
export { AppError, type AppErrorOptions, ValidationError, zodDetails } from '@triage/contracts';
