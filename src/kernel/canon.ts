import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KernelError } from '../errors.js';
import { imageOfIptables, imageOfNft, type NftJsonItem, type TableImage } from '../plan/table-image.js';
import { CANON_HELPER_PATH, HELPER_PROTOCOL, PYTHON } from '../runtime-path.js';
import { ensurePrivateDir, ifAbsent, writePrivateFile } from './files.js';
import { describeOutcome } from './failure.js';
import { run } from './run.js';

/** A planned ruleset: nftables for one table, or an iptables-restore input. */
export type PlannedRuleset = { kind: 'nft'; table: string; ruleset: string } | { kind: 'iptables'; ruleset: string };

/** The key of a ruleset's image: the same text always reads back the same. */
function rulesetKey(r: PlannedRuleset): string {
  return createHash('sha256')
    .update(`${r.kind}\0${r.kind === 'nft' ? r.table : ''}\0${r.ruleset}`)
    .digest('hex')
    .slice(0, 32);
}

/** The canon helper's request (runtime/protocol.json `canon.request`). */
export function canonRequest(rulesets: PlannedRuleset[]): string {
  return JSON.stringify({ protocol: HELPER_PROTOCOL, rulesets });
}

/**
 * The image of each planned ruleset as the kernel holds it: loaded into a
 * namespace of the canon helper's own (gone when it exits) and read back.
 * Kept under the lab's state directory by key, so `status` loads each
 * distinct ruleset once for the lab's life (a Service lab's nodes share
 * one); `down` removes them with the state.
 */
export async function plannedImages(stateDir: string, rulesets: PlannedRuleset[]): Promise<TableImage[]> {
  const dir = join(stateDir, 'canon');
  const keys = rulesets.map(rulesetKey);
  const known = new Map<string, TableImage>();
  const todo = new Map<string, PlannedRuleset>();
  for (const [i, key] of keys.entries()) {
    if (known.has(key) || todo.has(key)) continue;
    const cached = await readFile(join(dir, `${key}.json`), 'utf8').catch(ifAbsent(undefined));
    if (cached !== undefined) known.set(key, JSON.parse(cached) as TableImage);
    else todo.set(key, rulesets[i]!);
  }
  if (todo.size > 0) {
    const r = await run(PYTHON, [CANON_HELPER_PATH], {
      input: canonRequest([...todo.values()]),
      timeoutMs: 120_000,
    });
    if (r.exitCode !== 0) throw new KernelError(`reading the planned rulesets back failed: ${describeOutcome(r)}`);
    const answers = JSON.parse(r.stdout) as Array<{ nft?: NftJsonItem[]; iptables?: Record<string, string>; error?: string }>;
    await ensurePrivateDir(dir);
    for (const [i, key] of [...todo.keys()].entries()) {
      const a = answers[i];
      if (!a || a.error !== undefined) throw new KernelError(`the kernel refused a planned ruleset when read back: ${a?.error ?? 'no answer'}`);
      const image = a.nft ? imageOfNft(a.nft) : imageOfIptables(a.iptables ?? {});
      known.set(key, image);
      await writePrivateFile(join(dir, `${key}.json`), JSON.stringify(image));
    }
  }
  // In the order asked: one image per ruleset given, the same object for the same text.
  return keys.map((key) => known.get(key)!);
}
