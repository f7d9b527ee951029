import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Paths pino replaces with [redacted]: keys and secrets never reach a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-apikey"]',
  'headers.key',
  '*.apiKey',
  '*.api_key',
  '*.secret',
  'config.ABUSEIPDB_API_KEY',
  'config.VIRUSTOTAL_API_KEY',
  'config.GEMINI_API_KEY',
  'config.WEBHOOK_SECRET',
  'config.TRIAGE_API_KEYS',
  'config.TRIAGE_INGEST_KEYS',
  'config.TRIAGE_READ_KEYS',
  'config.TRIAGE_ANALYST_KEYS',
];

/** One pino root per process; everything else is a child bound to `{service, queue, job_id, alert_id}`. */
export function createLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service, pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
