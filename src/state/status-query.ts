import { readFile } from 'node:fs/promises';
import { ifAbsent, writePrivateFile } from '../kernel/files.js';
import { statusQueryFile } from './paths.js';

/**
 * The query `status` reads the unwatched namespaces with, kept as text so
 * the next `status` can start reading before it has planned. It is only a
 * head start: `status` uses what it read only when the text is the query
 * its own plan gives, byte for byte.
 */
export async function writeStatusQuery(lab: string, text: string): Promise<void> {
  await writePrivateFile(statusQueryFile(lab), text);
}

/** The stored query's text, or undefined when there is none. */
export async function readStatusQuery(lab: string): Promise<string | undefined> {
  return readFile(statusQueryFile(lab), 'utf8').catch(ifAbsent(undefined));
}
