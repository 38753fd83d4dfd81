import { fileURLToPath } from 'node:url';

/** The container runtime shipped in runtime/, found from src/ and dist/ alike. */
export const AGENT_PATH = fileURLToPath(new URL('../runtime/netlab-agent.py', import.meta.url));

/** Applies addresses, links up, routes and sysctls in many namespaces from one process. */
export const APPLY_HELPER_PATH = fileURLToPath(new URL('../runtime/netlab-apply.py', import.meta.url));

/** Many reachability probes from many namespaces in one process. */
export const PROBE_PATH = fileURLToPath(new URL('../runtime/netlab-probe.py', import.meta.url));

/** Reads links, addresses, routes, neighbours, FDB entries and sysctls of many namespaces at once. */
export const OBSERVE_HELPER_PATH = fileURLToPath(new URL('../runtime/netlab-observe.py', import.meta.url));

/**
 * The version of the JSON the helpers read and write (runtime/netlab_ns.py
 * PROTOCOL); sent with every request, and a helper of another version refuses.
 */
export const HELPER_PROTOCOL = 1;

/** Watches a lab's pod namespaces for changes, for `status`. */
export const WATCH_HELPER_PATH = fileURLToPath(new URL('../runtime/netlab-watch.py', import.meta.url));
