import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, now. V8 collects when it likes, and meanwhile
 * grows the heap over what is already garbage: at 10,000 pods, `test` left
 * its start (the lab loaded and planned, the drift read) for V8 to collect
 * while 50,000 results piled up, and peaked at 305–330 MB; collected between
 * the two, 270 MB. Node 20 has no call for it: the flag makes `gc` a global
 * of contexts made after it, as `node --expose-gc` does of all.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
