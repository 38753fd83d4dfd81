import { AGENT_PATH } from '../runtime-path.js';
import { startDaemon } from './daemon.js';

/** Starts the lab's container runtime inside `netns` and waits until it says every socket is bound. */
export function startAgent(netns: string, config: string, logFile: string): Promise<number> {
  return startDaemon('the container runtime', netns, AGENT_PATH, config, logFile);
}
