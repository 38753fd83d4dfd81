import type { HttpAnswer, ProbeResult } from '../kernel/probe.js';
import type { HttpCheck } from './types.js';

/** What ingress-conformance-echo (netlab's runtime) says it received. */
export interface EchoedRequest {
  path: string;
  host: string;
  method: string;
  proto: string;
  headers: Record<string, string[]>;
  pod: string;
}

/** The echoed request in an answer's body, when a backend (not nginx) wrote it. */
export function echoOf(answer: HttpAnswer): EchoedRequest | undefined {
  if (!(answer.headers['content-type'] ?? '').startsWith('application/json')) return undefined;
  try {
    const body = JSON.parse(answer.body) as Partial<EchoedRequest>;
    return typeof body.pod === 'string' && typeof body.path === 'string' ? (body as EchoedRequest) : undefined;
  } catch {
    return undefined;
  }
}

/** A header as Go's http.Header canonicalises its name: x-forwarded-for → X-Forwarded-For. */
export function canonicalHeader(name: string): string {
  return name
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
    .join('-');
}

/** A value written `/re/` is a pattern; anything else is matched exactly. */
function valueMatches(want: string, got: string): boolean {
  const m = /^\/(.*)\/$/.exec(want);
  if (!m) return want === got;
  try {
    return new RegExp(m[1]!).test(got);
  } catch {
    return false;
  }
}

/**
 * An HTTP check's verdict: the status first, then, for an answer a backend
 * wrote, which pod it was and what it received (path, headers); for a 3xx,
 * where it sends the client. Every mismatch is named, with what came instead.
 */
export function judgeHttp(check: HttpCheck, r: ProbeResult | undefined): { ok: boolean; message: string } {
  if (!r?.ok || !r.http) return { ok: false, message: `no HTTP answer: ${r?.error ?? 'the prober gave none'}` };
  const a = r.http;
  const e = check.expect;
  const echo = echoOf(a);
  const said = echo ? `answered by ${echo.pod}` : `answered by nginx (${a.headers.server ?? 'no Server header'})`;
  const problems: string[] = [];
  if (a.status !== e.status) problems.push(`status ${a.status}, not ${e.status}`);
  if (e.redirect !== undefined && a.headers.location !== e.redirect) problems.push(`Location ${a.headers.location ?? '(none)'}, not ${e.redirect}`);
  if (e.answerFrom) {
    if (!echo) problems.push(`no backend answered; ${e.answerFrom.label} should have`);
    else if (!e.answerFrom.pods.includes(echo.pod))
      problems.push(`${echo.pod} answered, which is not ${e.answerFrom.label} (${e.answerFrom.pods.join(', ') || 'no endpoints'})`);
  }
  if (echo && e.path !== undefined && echo.path !== e.path) problems.push(`the backend received path ${echo.path}, not ${e.path}`);
  for (const [name, want] of Object.entries(e.headers ?? {})) {
    const got = echo?.headers[canonicalHeader(name)];
    if (!echo) problems.push(`no backend to have received ${name}`);
    else if (got === undefined) problems.push(`the backend received no ${name} header`);
    else if (!valueMatches(want, got.join(','))) problems.push(`the backend received ${name}: ${got.join(',')}, not ${want}`);
  }
  for (const [name, want] of Object.entries(e.responseHeaders ?? {})) {
    const got = a.headers[name.toLowerCase()];
    if (got === undefined) problems.push(`the response has no ${name} header`);
    else if (!valueMatches(want, got)) problems.push(`the response's ${name} is ${got}, not ${want}`);
  }
  for (const name of e.absentResponseHeaders ?? []) {
    const got = a.headers[name.toLowerCase()];
    if (got !== undefined) problems.push(`the response has ${name}: ${got}, which should be gone`);
  }
  for (const name of e.absentHeaders ?? []) {
    const got = echo?.headers[canonicalHeader(name)];
    if (got !== undefined) problems.push(`the backend received ${name}: ${got.join(',')}, which should be gone`);
  }
  if (problems.length > 0) return { ok: false, message: `${problems.join('; ')} (${said})` };
  return {
    ok: true,
    message: `${a.status}${a.headers.location ? ` → ${a.headers.location}` : ''}, ${said}${echo ? ` (${echo.method} ${echo.path}, Host ${echo.host})` : ''}`,
  };
}
