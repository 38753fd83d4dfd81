import { createHash } from 'node:crypto';
import type { Service, ServicePort } from '../../lab/types.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (Go's base32.StdEncoding), without padding: what kube-proxy encodes hashes with. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Every node's table names the same chains: each is hashed once per process (a pure function's cache). */
const hashes = new Map<string, string>();

function hash(text: string, length: number): string {
  const key = `${length}:${text}`;
  let h = hashes.get(key);
  if (h === undefined) hashes.set(key, (h = base32(createHash('sha256').update(text).digest()).slice(0, length)));
  return h;
}

/** `ns/name/tcp/portname`: how the nftables proxier names a service port (servicePortChainNameBase). */
export function nftServicePortName(svc: Service, port: ServicePort): string {
  return `${svc.namespace}/${svc.name}/${port.protocol}/${port.name}`;
}

/**
 * pkg/proxy/nftables hashAndTruncate: PREFIX-HASH8-BASE, the hash over the
 * whole base, so a student computes the chain name from the service's name.
 * Checked against upstream's own test values (test/unit/kube-proxy-names.test.ts).
 */
export function nftChain(prefix: 'service' | 'endpoint' | 'external' | 'local' | 'affinity' | 'firewall', base: string): string {
  return `${prefix}-${hash(base, 8)}-${base}`;
}

/** The endpoint chain's base: the service port's, then `__IP/PORT`. */
export function nftEndpointBase(svc: Service, port: ServicePort, ip: string, target: number): string {
  return `${nftServicePortName(svc, port)}__${ip}/${target}`;
}

/**
 * `ns/name:portname`, or `ns/name` for an unnamed port: upstream's
 * ServicePortName.String() (pkg/proxy/types.go, fmtPortName adds the colon
 * only before a name). Both modes' comments say it; the iptables chain
 * hashes are taken over it.
 */
export function servicePortName(svc: Service, port: ServicePort): string {
  return `${svc.namespace}/${svc.name}${port.name === '' ? '' : `:${port.name}`}`;
}

/** pkg/proxy/iptables servicePortChainName and friends: PREFIX + base32(sha256(name + protocol))[:16]. */
export function iptServiceChain(prefix: 'KUBE-SVC-' | 'KUBE-SVL-' | 'KUBE-EXT-' | 'KUBE-FW-', svc: Service, port: ServicePort): string {
  return `${prefix}${hash(servicePortName(svc, port) + port.protocol, 16)}`;
}

/** KUBE-SEP- + base32(sha256(name + protocol + "ip:port"))[:16]. */
export function iptEndpointChain(svc: Service, port: ServicePort, ip: string, target: number): string {
  return `KUBE-SEP-${hash(servicePortName(svc, port) + port.protocol + `${ip}:${target}`, 16)}`;
}

/**
 * The chains kube-proxy makes for a Service port with endpoints, as `nft list
 * ruleset` or `iptables-save` shows them: the service's, then one per
 * endpoint (what `status` and `netlab ui` show of a Service).
 */
export function serviceChains(mode: 'nftables' | 'iptables' | 'ipvs', svc: Service, port: ServicePort): string[] {
  if (mode === 'iptables') return [iptServiceChain('KUBE-SVC-', svc, port), ...port.endpoints.map((e) => iptEndpointChain(svc, port, e.ip, e.port))];
  return [nftChain('service', nftServicePortName(svc, port)), ...port.endpoints.map((e) => nftChain('endpoint', nftEndpointBase(svc, port, e.ip, e.port)))];
}
