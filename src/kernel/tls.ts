import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KernelError } from '../errors.js';
import type { TlsIssue } from '../plan/ops.js';
import { tlsCommands } from '../plan/tls.js';
import { ensurePrivateDir } from './files.js';
import { kernelReason } from './failure.js';
import { run } from './run.js';

/**
 * Issues one certificate from the lab's CA, making the CA first when it is
 * not there (so a repair keeps the CA clients already trust). openssl runs in
 * a lab namespace and writes only under the lab's state directory.
 */
export async function issueCertificate(stage: string, op: TlsIssue): Promise<void> {
  const { ca, leaf } = tlsCommands(op);
  await ensurePrivateDir(dirname(op.ca.crt));
  await ensurePrivateDir(dirname(op.crt));
  const exists = await access(op.ca.crt).then(
    () => true,
    () => false,
  );
  for (const argv of exists ? [leaf] : [ca, leaf]) {
    const r = await run('ip', ['netns', 'exec', op.netns, ...argv]);
    if (r.exitCode !== 0) throw new KernelError(`${stage}: openssl could not issue ${argv.includes('-CA') ? op.crt : op.ca.crt}: ${kernelReason(r.stderr)}`);
  }
}
