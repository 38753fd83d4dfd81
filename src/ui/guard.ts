import { timingSafeEqual } from 'node:crypto';

/** What `netlab ui` serves, and nothing else: no path from a request ever names a file. */
export type Route = 'page' | 'script' | 'style' | 'events' | 'snapshot' | 'trace';

const ROUTES: Record<string, Route> = {
  '/': 'page',
  '/app.js': 'script',
  '/app.css': 'style',
  '/events': 'events',
  '/api/snapshot': 'snapshot',
  '/api/trace': 'trace',
};

export const TOKEN_COOKIE = 'netlab_ui_token';

export type Verdict = { ok: true; route: Route; query: URLSearchParams; fromUrl: boolean } | { ok: false; status: number; text: string };

/**
 * Whether a request may be answered: the token (in the URL, as printed at
 * start, or in the cookie the page got with it) on every request, a Host
 * header naming this server on loopback (a page of another site that
 * resolves its name to 127.0.0.1 must not read the lab), GET only (the page changes nothing),
 * and a path of the page's. Pure: tested without a socket.
 */
export function admit(
  request: { method: string | undefined; url: string | undefined; host: string | undefined; cookie: string | undefined },
  token: string,
  hosts: readonly string[] | undefined,
): Verdict {
  if (request.method !== 'GET' && request.method !== 'HEAD') return { ok: false, status: 405, text: 'netlab ui is read-only: GET only\n' };
  if (hosts && (!request.host || !hosts.includes(request.host.toLowerCase())))
    return { ok: false, status: 421, text: `netlab ui answers only as ${hosts.join(' or ')}\n` };
  let url: URL;
  try {
    url = new URL(request.url ?? '/', 'http://netlab.invalid');
  } catch {
    return { ok: false, status: 400, text: 'not a URL\n' };
  }
  const given = url.searchParams.get('token');
  const cookie = cookieToken(request.cookie);
  const fromUrl = given !== null && same(given, token);
  if (!fromUrl && !(cookie !== undefined && same(cookie, token)))
    return { ok: false, status: 403, text: 'netlab ui needs the token it printed at start: open the URL it printed (…/?token=…)\n' };
  const route = ROUTES[url.pathname];
  if (!route) return { ok: false, status: 404, text: 'not a page of netlab ui\n' };
  return { ok: true, route, query: url.searchParams, fromUrl };
}

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return value.join('=');
  }
  return undefined;
}

/** Compared in constant time: a token is not guessed a character at a time. */
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The Host headers a browser sends to this server on loopback: its address
 * or `localhost`, with the port. Elsewhere (a workshop VM's forwarded port
 * arrives under the host's name) any: the token alone keeps a page of
 * another site out, as that page cannot know it.
 */
export function hostsFor(listen: string, port: number): string[] | undefined {
  if (!listen.startsWith('127.')) return undefined;
  return [`${listen}:${port}`, `localhost:${port}`];
}
