/**
 * How big a lab may be. A lab file is untrusted input (CI runs labs from pull
 * requests), so every size that costs memory or time is bounded before the
 * work starts; the bounds are far above any lab a person writes and above
 * what netlab is benchmarked at. README.md, "Limits", states them.
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
