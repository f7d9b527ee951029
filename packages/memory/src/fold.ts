/**
 * Folding: the stable part of attacker-shapeable activity, for the similarity key. Only values
 * that change between two runs of the same routine job are folded (numbers, GUIDs, long hex, the
 * name of a temp directory, a user's profile directory, the alert's own account name); words,
 * executables, switches, file names, hosts, IPv4 addresses and paths are kept, so two different
 * activities never fold alike unless they differ only in those values. A directory is folded only
 * when a path goes on below it: `/tmp/evil.sh` keeps its file name. Every pattern is a single
 * character class or literal run (no nested quantifiers): linear in the input, whatever an
 * attacker sends.
 */

const MAX_INPUT = 65_536;

/**
 * A directory right below a temp or home root, only when the path goes on below it (the lookahead):
 * a file directly in it keeps its name. The segment cannot hold a separator, so the lookahead
 * never backtracks past one: linear.
 */
const WIN_TEMP = /\\(temp|tmp)\\[^\\\s"']+(?=\\)/gi;
const NIX_TEMP = /\/(tmp|var\/tmp|dev\/shm)\/[^/\s"']+(?=\/)/g;
const WIN_PROFILE = /\\users\\[^\\\s"']+(?=\\)/gi;
const NIX_HOME = /\/(home|Users)\/[^/\s"']+(?=\/)/g;
const GUID = /\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?/gi;
/**
 * Word tokens, or a whole dotted IPv4 address (kept: an address is where the activity goes, not a
 * counter). Each token is then tested whole, so no pattern ever backtracks over a long run.
 */
const WORD = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])|[A-Za-z0-9_]+/g;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const HEX_TOKEN = /^(0x)?[0-9a-f]{8,}$/i;
const NUMBER = /\d+/g;
const SPACE = /\s+/g;
/** A drive letter or a backslash path: Windows, where names are case-insensitive. */
const WINDOWS_LIKE = /^[a-z]:\\|\\/i;

/**
 * An account name as a folding target: 3 to 64 name characters (the domain of `CORP\\alice` or
 * `alice@corp` dropped). Shorter names (`id`, `ls`) would eat real words; anything else (spaces,
 * shell syntax) is not a name and is never folded.
 */
const ACCOUNT = /^[A-Za-z0-9][A-Za-z0-9._$-]{2,63}$/;
/** A whole name-shaped token of text: an account name folds only where it stands alone. */
const NAME_TOKEN = /[A-Za-z0-9._$-]+/g;

/** The account names of `users` that may be folded out of text, lower-cased. */
export function accountNames(users: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const u of users) {
    const bare = u.slice(u.lastIndexOf('\\') + 1).split('@')[0] ?? '';
    if (ACCOUNT.test(bare)) out.add(bare.toLowerCase());
  }
  return out;
}

/**
 * Folds a command line or a path. `users` are the alert's own account names, and must come from
 * metadata (the caller's duty): a user name the attacker writes would let them fold any token of
 * their own command into `<user>`. Only whole tokens equal to a name-shaped account name fold.
 */
export function foldText(value: string, users: readonly string[] = []): string {
  let s = value.length > MAX_INPUT ? value.slice(0, MAX_INPUT) : value;
  if (WINDOWS_LIKE.test(s)) s = s.toLowerCase();
  s = s
    .replace(WIN_TEMP, (_, dir: string) => `\\${dir}\\<tmp>`)
    .replace(NIX_TEMP, (_, dir: string) => `/${dir}/<tmp>`)
    .replace(WIN_PROFILE, '\\users\\<user>')
    .replace(NIX_HOME, (_, dir: string) => `/${dir}/<user>`);
  const names = accountNames(users);
  if (names.size > 0) s = s.replace(NAME_TOKEN, (t) => (names.has(t.toLowerCase()) ? '<user>' : t));
  return s
    .replace(GUID, '<guid>')
    .replace(WORD, (w) =>
      IPV4.test(w)
        ? w
        : HEX_TOKEN.test(w) && /\d/.test(w) && /[a-f]/i.test(w)
          ? '<hex>'
          : w.replace(NUMBER, '<n>'),
    )
    .replace(SPACE, ' ')
    .trim();
}

/** An image path folded (temp and profile directories, versions), lower-cased on Windows. */
export function foldImage(path: string, users: readonly string[] = []): string {
  return foldText(path, users);
}

const ID_SEGMENT = /^(\d+|[0-9a-f]{8,}|[0-9a-f-]{36}|[A-Za-z0-9_-]{24,})$/i;
const MAX_SEGMENTS = 20;

/**
 * The URL as a template: scheme and host kept (lower-cased), each path segment that is an id
 * (number, GUID, long hex or token) replaced by `<id>`, numbers inside others folded, query
 * values dropped and parameter names sorted. `/item/123?b=1&a=2` → `/item/<id>?a&b`.
 */
export function urlTemplate(url: string): string {
  const raw = url.length > MAX_INPUT ? url.slice(0, MAX_INPUT) : url.trim();
  let origin = '';
  let rest = raw;
  const scheme = raw.indexOf('://');
  if (scheme > 0 && scheme < 10) {
    const pathStart = raw.indexOf('/', scheme + 3);
    origin = (pathStart < 0 ? raw : raw.slice(0, pathStart)).toLowerCase();
    rest = pathStart < 0 ? '/' : raw.slice(pathStart);
  }
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const path = q >= 0 ? rest.slice(0, q) : rest;
  const query = q >= 0 ? rest.slice(q + 1) : '';
  const segments = path.split('/');
  const folded = segments
    .slice(0, MAX_SEGMENTS)
    .map((seg) => (seg === '' ? '' : ID_SEGMENT.test(seg) ? '<id>' : seg.replace(NUMBER, '<n>')));
  if (segments.length > MAX_SEGMENTS) folded.push('<…>');
  const names = [
    ...new Set(
      query
        .split('&')
        .slice(0, 50)
        .map((p) => p.split('=')[0] ?? '')
        .filter((n) => n !== ''),
    ),
  ].sort();
  return `${origin}${folded.join('/')}${names.length ? `?${names.join('&')}` : ''}`;
}
