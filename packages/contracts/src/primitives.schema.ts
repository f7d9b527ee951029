import { z } from 'zod';

/** Severity as a SOC reads it; also drives BullMQ priority (Critical first). */
export const Severity = z.enum(['Critical', 'High', 'Medium', 'Low', 'Informational']);
export type Severity = z.infer<typeof Severity>;

export const SEVERITY_ORDER: readonly Severity[] = ['Critical', 'High', 'Medium', 'Low', 'Informational'];

export const HashAlgorithm = z.enum(['md5', 'sha1', 'sha256']);
export type HashAlgorithm = z.infer<typeof HashAlgorithm>;

export const FileHash = z.object({ algorithm: HashAlgorithm, value: z.string().min(32).max(64) });
export type FileHash = z.infer<typeof FileHash>;
