/*
 * The checks of command-line words that need a lab's rules but no lab: the
 * CLI parses with them before anything is read (no kernel module loaded).
 */
export { birdcCommandProblem } from '../lab/birdc-command.js';
