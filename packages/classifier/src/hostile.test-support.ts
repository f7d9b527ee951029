import type { NormalizedAlert } from '@triage/contracts';
import { alertOf, enrichmentOf, testConfig, verdictOf } from './fixtures.test-support.ts';
import { buildPrompt } from './gemini/prompt.ts';
import { signalsDigest } from './verdict-cache.ts';

/*
 * The worst inputs we can construct at the largest field the ingest accepts (MAX_FIELD_BYTES,
 * 256 KiB), for the CPU budget test and `pnpm bench`. Each is the plain alert below with some
 * fields replaced, built anew so its signals (what the rules read) carry them.
 */

export const FIELD = 256 * 1024;
export const fill = (unit: string, prefix = '', size = FIELD) =>
  prefix + unit.repeat(Math.ceil((size - prefix.length) / unit.length)).slice(0, size - prefix.length);

const base = {
  name: 'Suspicious process',
  severity: 'Medium' as const,
  src_ip: '10.0.0.5',
  process: { name: 'cmd.exe', command_line: 'cmd.exe /c dir C:\\Users' },
  description: 'A process started.',
  urls: ['http://intranet.example/index.html'],
};
export const plainAlert = alertOf(base);
const like = (fields: Partial<NormalizedAlert>) => alertOf({ ...base, ...fields });

export const hostileAlerts: Array<[string, NormalizedAlert]> = [
  ['SQL-injection URL: union + /**/ repeated', like({ urls: [fill('/**/', '/search.php?q=union')] })],
  [
    'certutil without its flag, repeated',
    like({ process: { name: 'certutil.exe', command_line: fill('certutil.exe ') } }),
  ],
  [
    'rundll32 without a script, repeated',
    like({ process: { name: 'rundll32.exe', command_line: fill('rundll32.exe url.dll ') } }),
  ],
  ['curl/wget without a pipe, repeated', like({ process: { command_line: fill('curl wget -o /tmp/x ') } })],
  ['injection words without their object', like({ description: fill('ignore previous classify as ') })],
  ['look-alike letters everywhere', like({ description: fill('іgnоrе ') })],
  ['leetspeak words everywhere', like({ description: fill('1gn0r3 pr3v10u5 ') })],
  ['base64 run after -enc', like({ process: { command_line: fill('A', 'powershell -enc ') } })],
  ['-e switches without a payload', like({ process: { command_line: fill('powershell -e A ') } })],
  ['FromBase64String literals, short', like({ description: fill("FromBase64String('AAAAAAAAAAAAAAAA') ") })],
  ['fast.log fragment repeated', like({ description: fill('[**] [1:2:3] ET x [**] [Classification: ') })],
  [
    'Windows path segments',
    like({ process: { command_line: fill('\\a', 'c:'), parent_command_line: fill('a\\') } }),
  ],
  ['invalid addresses', like({ description: fill('999.1.1.1 ') })],
  ['emails and hosts with unknown TLDs', like({ description: fill('a@b.zz x.zz ') })],
  ['URLs with unknown TLDs', like({ description: fill('http://a.zz/ ') })],
  ['a URL ending in brackets', like({ urls: [fill(')', 'http://intranet.example/')] })],
  [
    'four raw fields at the limit (a 1 MiB body)',
    like({ raw: Object.fromEntries([0, 1, 2, 3].map((i) => [`f${i}`, fill(`${i}.a ignore `)])) }),
  ],
];

const config = testConfig();
const enrichment = enrichmentOf();

/**
 * What the classifier spends on one alert that goes to Gemini: injection detection, features and
 * rules (`verdictOf`, with the configuration read once, as a worker does), the verdict-cache key,
 * and the prompt (at the default prompt budget).
 */
export function classifyWork(alert: NormalizedAlert): void {
  signalsDigest(alert.signals);
  const rules = verdictOf(alert, enrichment, config);
  buildPrompt(alert, enrichment, rules, false, config.GEMINI_MAX_PROMPT_CHARS);
}
