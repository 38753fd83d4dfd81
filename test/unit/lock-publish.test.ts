import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createExclusive, ifAbsent } from '../../src/kernel/files.js';

const dir = mkdtempSync(join(tmpdir(), 'netlab-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a lock file is published whole', () => {
  it('a reader racing the writer never sees it empty (it could: open O_EXCL, then write, and a second netlab broke it)', async () => {
    const path = join(dir, 'lab.lock');
    let stop = false;
    let empty = 0;
    let seen = 0;
    const reader = (async () => {
      while (!stop) {
        const text = await readFile(path, 'utf8').catch(ifAbsent(undefined));
        if (text === undefined) continue;
        seen++;
        if (text === '') empty++;
      }
    })();
    for (let i = 0; i < 1500; i++) {
      expect(await createExclusive(path, `${process.pid} 12345\n`)).toBe(true);
      await unlink(path);
    }
    stop = true;
    await reader;
    expect(empty).toBe(0);
    expect(seen).toBeGreaterThan(0);
  });

  it('a second create of the same file is refused, and no temporary file is left', async () => {
    const path = join(dir, 'other.lock');
    expect(await createExclusive(path, 'a\n')).toBe(true);
    expect(await createExclusive(path, 'b\n')).toBe(false);
    expect(await readFile(path, 'utf8')).toBe('a\n');
    expect(readdirSync(dir).filter((n) => n.endsWith('.new'))).toEqual([]);
  });

  it('absence is ENOENT only: another errno is thrown, not taken for "no lock"', async () => {
    await expect(readFile(dir, 'utf8').catch(ifAbsent(undefined))).rejects.toThrow(/EISDIR/);
    expect(await readFile(join(dir, 'none'), 'utf8').catch(ifAbsent('gone'))).toBe('gone');
  });
});
