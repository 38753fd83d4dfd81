import { AGENT_PATH, SPEAKER_PATH } from '../runtime-path.js';
import { startDaemon } from './daemon.js';

/** Starts the lab's container runtime inside `netns` and waits until it says every socket is bound. */
export function startAgent(netns: string, config: string, logFile: string): Promise<number> {
  return startDaemon('the container runtime', netns, AGENT_PATH, config, logFile);
}

/** Starts one node's MetalLB speaker inside the node's namespace and waits until its sockets are bound. */
export function startSpeaker(netns: string, config: string, logFile: string): Promise<number> {
  return startDaemon('the speaker', netns, SPEAKER_PATH, config, logFile);
}
