// One-off: runs each exercise's commands with the real lab names and writes their output under them.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
const dir = mkdtempSync(join(tmpdir(), 'fill-'));
writeFileSync(join(dir, 'netlab'), `#!/bin/sh\nexec "${process.execPath}" "${resolve('bin/netlab.js')}" "$@"\n`, { mode: 0o755 });
for (const f of readdirSync('docs/workshop').filter((f) => /^\d\d-/.test(f)).sort()) {
  const path = `docs/workshop/${f}`;
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (line.startsWith('```')) {
      inside = !inside && line.trim() === '```console';
      out.push(line);
      continue;
    }
    if (!inside) { out.push(line); continue; }
    if (!line.startsWith('$ ')) continue; // old output: replaced
    out.push(line);
    const r = await execa('bash', ['-c', line.slice(2)], { reject: false, all: true, env: { PATH: `${dir}:${process.env.PATH}`, CI: 'true' } });
    const text = String(r.all ?? '').replace(/\s+$/, '');
    if (text) out.push(...text.split('\n'));
  }
  writeFileSync(path, out.join('\n'));
  console.log('filled', f);
}
