import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The interpreter of the helpers below: the system's Python 3 (Debian's
 * python3, which they are written and tested for), not whichever python3
 * comes first in PATH. They run as root, and a version manager's shim in
 * PATH cost 50 ms a start, in every command. NETLAB_PYTHON overrides it.
 */
export const PYTHON = process.env.NETLAB_PYTHON || (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/** The container runtime shipped in runtime/, found from src/ and dist/ alike. */
export const AGENT_PATH = fileURLToPath(new URL('../runtime/netlab-agent.py', import.meta.url));

/** MetalLB's L2 speaker, one per node of a lab with an L2Advertisement. */
export const SPEAKER_PATH = fileURLToPath(new URL('../runtime/netlab-speaker.py', import.meta.url));

/** Applies addresses, links up, routes and sysctls in many namespaces from one process. */
export const APPLY_HELPER_PATH = fileURLToPath(new URL('../runtime/netlab-apply.py', import.meta.url));

/** Many reachability probes from many namespaces in one process. */
export const PROBE_PATH = fileURLToPath(new URL('../runtime/netlab-probe.py', import.meta.url));

/** Reads links, addresses, routes, neighbours, FDB entries and sysctls of many namespaces at once. */
export const OBSERVE_HELPER_PATH = fileURLToPath(new URL('../runtime/netlab-observe.py', import.meta.url));

/** The one description of what netlab and the helpers say to each other: JSON Schema definitions and the version. */
export const PROTOCOL_PATH = fileURLToPath(new URL('../runtime/protocol.json', import.meta.url));

/**
 * The version of the JSON the helpers read and write, declared in
 * runtime/protocol.json (runtime/netlab_ns.py reads it there too); sent with
 * every request, and a helper of another version refuses.
 */
export const HELPER_PROTOCOL = (JSON.parse(readFileSync(PROTOCOL_PATH, 'utf8')) as { version: number }).version;

/** Watches a lab's pod namespaces for changes, for `status`. */
export const WATCH_HELPER_PATH = fileURLToPath(new URL('../runtime/netlab-watch.py', import.meta.url));

/** Loads planned rulesets into a namespace of its own and reads them back, for `status` to compare rule by rule. */
export const CANON_HELPER_PATH = fileURLToPath(new URL('../runtime/netlab-canon.py', import.meta.url));

/** The page `netlab ui` serves: static files shipped in the package, nothing fetched at run time. */
export const UI_PATH = fileURLToPath(new URL('../ui/', import.meta.url));
