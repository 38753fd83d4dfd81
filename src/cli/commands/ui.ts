import { randomBytes } from 'node:crypto';
import { checkedLabName } from '../../lifecycle/target.js';
import { serveUi } from '../../ui/server.js';
import { parseTraceQuery, type Invocation } from '../parse.js';

/** `netlab ui LAB [--port N] [--listen ADDR]`: serve the lab's live page until Ctrl-C. */
export async function ui(inv: Extract<Invocation, { command: 'ui' }>): Promise<number> {
  const lab = checkedLabName(inv.lab);
  // A new token each start, as Jupyter's: whoever has the URL reads the lab, nobody else.
  const token = randomBytes(24).toString('base64url');
  const server = await serveUi({ lab, listen: inv.listen, port: inv.port, token, traceRequest: (q) => parseTraceQuery(lab, q) });
  process.stdout.write(`netlab ui: lab "${lab}" at http://${inv.listen === '0.0.0.0' ? '127.0.0.1' : inv.listen}:${server.port}/?token=${token}\n`);
  process.stdout.write('  read-only: the page shows the lab and traces packets; Ctrl-C stops it\n');
  if (!inv.listen.startsWith('127.')) process.stderr.write(`netlab ui: listening on ${inv.listen}: anyone who reaches it with the token can read the lab\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
