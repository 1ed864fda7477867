// The route table of paymentRequired: canonical paths, patterns ("/items/:id", "/files/*") and the
// match of a request's method and path.
import { corsHeaders } from './cors.js';

/**
 * A path as the routers behind the middleware may read it: percent-escapes of ASCII decoded,
 * repeated slashes merged, dot segments resolved, no trailing slash, lower case. Matching on this
 * form can only cover more requests than the raw path: `/%77eather`, `//weather`, `/weather/` and
 * `/Weather` all pay for `GET /weather`, whatever the router does with them. An encoded slash
 * (`%2F`) counts as a slash, as a router that decodes before it matches reads it; with
 * `keepEncodedSlash`, it stays inside its segment (as `%2f`), as Hono and Express read it (`/api/4%2F2`
 * is `/api/:id` with id "4/2" there).
 */
export function canonicalPath(path, keepEncodedSlash = false) {
  const segments = [];
  for (const raw of path.split('/')) {
    const pieces = keepEncodedSlash ? raw.split(/%2f/i) : [raw];
    const segment = pieces.map(decoded).join('%2f');
    // An encoded slash (unless kept) or dot segment counts as what it decodes to.
    for (const part of keepEncodedSlash ? [segment] : segment.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') segments.pop();
      else segments.push(part);
    }
  }
  return `/${segments.join('/')}`.toLowerCase();
}

/**
 * The canonical forms of a request's path (see canonicalPath): one, or two when it holds an
 * encoded slash. A route matching either is priced: whichever way the router reads the slash, the
 * request it serves has paid.
 */
export function requestPaths(path) {
  const split = canonicalPath(path);
  // Most paths hold no encoded slash: one reading, canonicalised once.
  if (!/%2f/i.test(path)) return [split];
  const kept = canonicalPath(path, true);
  return kept === split ? [split] : [split, kept];
}

/** A segment's percent-escapes decoded; a malformed escape: ASCII escapes only, as a lenient router would. */
function decoded(raw) {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw.replace(/%([0-7][0-9a-f])/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
  }
}

const PLACEHOLDER = /(\*|\[[^\]/]+\]|:[a-z_][a-z0-9_]*)/;

/**
 * The official middleware's route syntax (@x402/core's parseRoutePattern), on a canonical path:
 * `*` anywhere matches any characters (slashes too), `[name]` and `:name` one path segment, and a
 * trailing `/*` (already cut off: `prefix`) the path itself or anything under it. Undefined for a
 * literal path. A pattern must never be taken literally: it would leave its paths unpaid.
 * `{ parts, prefix }`: literal strings, ANY (`*`) and SEGMENT, matched by `patternMatches`.
 */
export function compilePattern(path, prefix) {
  if (!PLACEHOLDER.test(path)) return undefined;
  const parts = path
    .split(PLACEHOLDER)
    .map((part, i) => (i % 2 === 0 ? part : part === '*' ? ANY : SEGMENT))
    .filter((part) => part !== '');
  return { parts, prefix };
}

const ANY = Symbol('any characters');
const SEGMENT = Symbol('one path segment');

/**
 * Whether `pathname` matches a compiled pattern. The positions the pattern's parts can reach are
 * carried from part to part, so the work is the path's length times the number of parts, however
 * many wildcards a route has (a backtracking regex takes polynomial time in the path's length).
 */
function patternMatches({ parts, prefix }, pathname) {
  const n = pathname.length;
  let reached = new Uint8Array(n + 1);
  reached[0] = 1;
  for (const part of parts) {
    const next = new Uint8Array(n + 1);
    if (part === ANY) {
      const first = reached.indexOf(1);
      if (first >= 0) next.fill(1, first);
    } else if (part === SEGMENT) {
      // One or more characters, none a slash, from a reached position.
      let open = false;
      for (let i = 0; i < n; i += 1) {
        if (reached[i]) open = true;
        if (pathname[i] === '/') open = false;
        else if (open) next[i + 1] = 1;
      }
    } else {
      for (let i = 0; i + part.length <= n; i += 1) {
        if (reached[i] && pathname.startsWith(part, i)) next[i + part.length] = 1;
      }
    }
    reached = next;
  }
  if (reached[n]) return true;
  // A trailing "/*": the path itself (above) or anything under it.
  return prefix && reached.some((hit, i) => hit === 1 && pathname[i] === '/');
}

/**
 * The route config for the canonical forms of a request's path (requestPaths) and a method: the
 * first route matching each form, or undefined when none does. When the two readings of an encoded
 * slash match different routes, AMBIGUOUS: either price could be the wrong one for the handler
 * the router picks (`/premium%2Freport` under `/:page` and `/premium/*`).
 */
export function matchRoute(table, pathnames, method) {
  const found = new Set(pathnames.map((pathname) => firstRoute(table, pathname, method.toUpperCase())));
  found.delete(undefined);
  return found.size > 1 ? AMBIGUOUS : found.values().next().value;
}

/** What matchRoute answers for a path whose readings match different routes. */
export const AMBIGUOUS = Symbol('a path matching two routes');

function firstRoute(table, pathname, asked) {
  for (const { method: routeMethod, path, under, pattern, config } of table) {
    // A HEAD runs the GET handler in most routers (and in Workers' own dispatch).
    if (routeMethod !== '*' && routeMethod !== asked && !(routeMethod === 'GET' && asked === 'HEAD')) continue;
    if (pathname === path || (under && pathname.startsWith(under)) || (pattern && patternMatches(pattern, pathname))) return config;
  }
  return undefined;
}

/** The 400 of a request whose path matches two priced routes (AMBIGUOUS): neither is charged. */
export function ambiguousPath(request, options) {
  const body = JSON.stringify({
    error: 'ambiguous_path',
    message: 'with its encoded slash (%2F) read as a slash or not, this path matches two priced routes: send it with one or the other',
  });
  return new Response(body, { status: 400, headers: corsHeaders(options, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, request) });
}
