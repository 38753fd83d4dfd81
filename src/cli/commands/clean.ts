import { cleanHost } from '../../lifecycle/clean.js';

/** `netlab clean`: every netlab leftover on the host, whatever state it is in. */
export async function clean(): Promise<number> {
  const r = await cleanHost();
  process.stdout.write(
    r.labs === 0 ? 'nothing to clean\n' : `cleaned ${r.labs} lab${r.labs === 1 ? '' : 's'}: ${r.namespaces} namespaces, ${r.processes} processes\n`,
  );
  return 0;
}
