/**
 * Folding: the stable part of attacker-shapeable activity, for the similarity key. Only values
 * that change between two runs of the same routine job are folded (numbers, GUIDs, long hex, the
 * name of a temp directory, a user's profile directory, the alert's own user name); words,
 * executables, switches, hosts and paths are kept, so two different activities never fold alike
 * unless they differ only in those values. Every pattern is a single character class or literal
 * run (no nested quantifiers): linear in the input, whatever an attacker sends.
 */

const MAX_INPUT = 65_536;

const WIN_TEMP = /\\(temp|tmp)\\[^\\\s"']+/gi;
const NIX_TEMP = /\/(tmp|var\/tmp|dev\/shm)\/[^/\s"']+/g;
const WIN_PROFILE = /\\users\\[^\\\s"']+/gi;
const NIX_HOME = /\/(home|Users)\/[^/\s"']+/g;
const GUID = /\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?/gi;
/** Word tokens; each is then tested whole, so no pattern ever backtracks over a long run. */
const WORD = /[A-Za-z0-9_]+/g;
const HEX_TOKEN = /^(0x)?[0-9a-f]{8,}$/i;
const NUMBER = /\d+/g;
const SPACE = /\s+/g;
/** A drive letter or a backslash path: Windows, where names are case-insensitive. */
const WINDOWS_LIKE = /^[a-z]:\\|\\/i;

/** Names shorter than this are not folded out of text: `ls` or `id` would eat real words. */
const MIN_USER_CHARS = 3;

/**
 * Folds a command line or a path. `users` are the alert's own account names (from metadata or
 * content alike: folding a value out can only make the key less specific, and the key's other
 * parts must still match), replaced wherever they occur.
 */
export function foldText(value: string, users: readonly string[] = []): string {
  let s = value.length > MAX_INPUT ? value.slice(0, MAX_INPUT) : value;
  if (WINDOWS_LIKE.test(s)) s = s.toLowerCase();
  s = s
    .replace(WIN_TEMP, (_, dir: string) => `\\${dir.toLowerCase()}\\<tmp>`)
    .replace(NIX_TEMP, (_, dir: string) => `/${dir}/<tmp>`)
    .replace(WIN_PROFILE, '\\users\\<user>')
    .replace(NIX_HOME, (_, dir: string) => `/${dir}/<user>`);
  for (const u of users) {
    const name = u.includes('\\') ? u.slice(u.lastIndexOf('\\') + 1) : u;
    if (name.length >= MIN_USER_CHARS && !name.startsWith('<')) {
      s = s.split(name).join('<user>');
      const lower = name.toLowerCase();
      if (lower !== name) s = s.split(lower).join('<user>');
    }
  }
  return s
    .replace(GUID, '<guid>')
    .replace(WORD, (w) =>
      HEX_TOKEN.test(w) && /\d/.test(w) && /[a-f]/i.test(w) ? '<hex>' : w.replace(NUMBER, '<n>'),
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
