import { connect } from 'node:net';
import type { WatchConfig, WatchReport } from '../plan/watch.js';
import { HELPER_PROTOCOL, WATCH_HELPER_PATH } from '../runtime-path.js';
import { startDaemon } from './daemon.js';
import { ensurePrivateDir, ifAbsent, writePrivateFile } from './files.js';
import { dirname } from 'node:path';
import { readFile } from 'node:fs/promises';

/** How long `status` waits for the watcher's answer before it reads everything itself. */
const ANSWER_TIMEOUT_MS = 10_000;

/**
 * Starts the watcher (runtime/netlab-watch.py) in `netns` with `config`,
 * written to `configFile`; resolves with its PID once its baseline is taken.
 */
export async function startWatcher(netns: string, config: WatchConfig, configFile: string, logFile: string): Promise<number> {
  await ensurePrivateDir(dirname(configFile));
  await writePrivateFile(configFile, `${JSON.stringify(config)}\n`);
  return startDaemon('the watcher', netns, WATCH_HELPER_PATH, configFile, logFile);
}

/**
 * The watcher's account of what changed since its baseline, or the reason
 * there is none (no watcher listening, no answer in time, an answer that
 * does not parse): the caller then reads everything.
 */
export function askWatcher(socket: string): Promise<WatchReport | { unanswered: string }> {
  return new Promise((resolve) => {
    let data = '';
    const conn = connect(socket);
    const done = (r: WatchReport | { unanswered: string }) => {
      conn.destroy();
      resolve(r);
    };
    conn.setTimeout(ANSWER_TIMEOUT_MS, () => done({ unanswered: `no answer within ${ANSWER_TIMEOUT_MS / 1000} s` }));
    conn.on('error', (e: NodeJS.ErrnoException) => done({ unanswered: e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'not running' : e.message }));
    conn.on('connect', () => conn.write(watchRequest()));
    conn.on('data', (chunk) => {
      data += chunk.toString();
      if (data.endsWith('\n')) done(parseReport(data));
    });
    conn.on('end', () => done(parseReport(data)));
  });
}

/** The line asking the watcher (runtime/protocol.json `watch.request`). */
export function watchRequest(): string {
  return `${JSON.stringify({ protocol: HELPER_PROTOCOL })}\n`;
}

/** The watcher's answer line (runtime/protocol.json `watch.reply`, or `watch.error`), or why it cannot be used. */
export function parseReport(text: string): WatchReport | { unanswered: string } {
  try {
    const r = JSON.parse(text) as Partial<WatchReport> & { error?: string };
    if (r.error) return { unanswered: r.error };
    const ok =
      r.protocol === HELPER_PROTOCOL &&
      Number.isInteger(r.pid) &&
      typeof r.watched === 'string' &&
      typeof r.lost === 'boolean' &&
      Array.isArray(r.changed) &&
      r.changed.every((n) => typeof n === 'string');
    return ok ? (r as WatchReport) : { unanswered: 'an answer of another shape' };
  } catch {
    return { unanswered: 'an answer that is not JSON' };
  }
}

/**
 * The query `status` reads the unwatched namespaces with, kept as text so
 * the next `status` can start reading before it has planned. It is only a
 * head start: `status` uses what it read only when the text is the query
 * its own plan gives, byte for byte.
 */
export async function writeStatusQuery(file: string, text: string): Promise<void> {
  await writePrivateFile(file, text);
}

/** The stored query's text, or undefined when there is none. */
export async function readStatusQuery(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch(ifAbsent(undefined));
}
