export { CidrSet } from './cidr-set.ts';
export {
  canonicalIp,
  cidrContains,
  formatIp,
  type IpNumber,
  type IpRange,
  isIpLiteral,
  parseCidr,
  parseIp,
} from './ip.ts';
export { embeddedIpv4, ipScope, isInternalIp } from './ip-scope.ts';
