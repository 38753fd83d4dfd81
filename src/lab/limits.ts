/**
 * How big a lab may be. A lab file is untrusted input (CI runs labs from pull
 * requests), so every size that costs memory or time is bounded before the
 * work starts; the bounds are far above any lab a person writes and above
 * what netlab is benchmarked at. docs/limits.md states them.
 */

/** Bytes of a lab file: a 10,000-pod lab with 1,000 services is under 200 KiB. */
export const MAX_LAB_FILE_BYTES = 1024 * 1024;
/** Pods after replicas are expanded: the largest lab the bench builds. */
export const MAX_PODS = 10_000;
/** Nodes: one fabric bridge holds at most 1,024 ports (BR_MAX_PORTS), and no lab needs as many. */
export const MAX_NODES = 256;
/** Entries of `tests:` (a generated conformance entry counts once). */
export const MAX_TESTS = 1_000;
/** Characters of a description. */
export const MAX_DESCRIPTION = 4_096;
/**
 * Ports of one Linux bridge (net/bridge/br_private.h BR_MAX_PORTS): a node's
 * cni0 holds at most this many pods, else the kernel says "Exchange full".
 */
export const BRIDGE_MAX_PORTS = 1024;

/**
 * kube-proxy's chains in all nodes together: (Service ports + their
 * endpoints) × nodes, since every node holds every Service. Measured: 20,020
 * × 10 nodes plans in 4.1 s and 485 MB; 20,020 × 40 took 17 s and 1.6 GB.
 */
export const MAX_KUBE_PROXY_CHAINS = 250_000;
/**
 * Addresses in NetworkPolicy statements, all pods together: each pod a policy
 * selects gets every peer address of every rule, times its ports. Measured:
 * 4,000,000 plans in 1.9 s and 370 MB.
 */
export const MAX_POLICY_ADDRESSES = 4_000_000;
/** Cells of every policyMatrix together: each is a connection, a blocked one waits out its second (20,000 cells: 80 s at most). */
export const MAX_MATRIX_CELLS = 20_000;
/** Plugins in one conflist: kube-flannel's has 2, Cilium's 1; each runs per pod, three times (ADD, CHECK, DEL). */
export const MAX_CONFLIST_PLUGINS = 16;
