import { z } from 'zod';

export const ObservableType = z.enum(['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'email']);
export type ObservableType = z.infer<typeof ObservableType>;

/** Where an IP sits; only `public` addresses are ever sent to an external provider. */
export const IpScope = z.enum([
  'public',
  'private',
  'loopback',
  'link_local',
  'cgnat',
  'documentation',
  'multicast',
  'reserved',
  'unspecified',
]);
export type IpScope = z.infer<typeof IpScope>;

export const Observable = z.object({
  type: ObservableType,
  value: z.string(),
  /** Set for IPs only. */
  scope: IpScope.optional(),
  /** True when the value is on the configured allow-list (never sent out). */
  allowlisted: z.boolean().optional(),
});
export type Observable = z.infer<typeof Observable>;
