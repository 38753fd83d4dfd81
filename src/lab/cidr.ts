import { Address4 } from 'ip-address';

/**
 * IPv4 arithmetic for allocation and overlap checks, on top of ip-address
 * (a maintained library) rather than hand-rolled bit math.
 */
export interface Cidr {
  /** Canonical network form, e.g. `10.244.0.0/16`. */
  text: string;
  prefix: number;
  /** First and last address of the block as integers (network and broadcast). */
  first: bigint;
  last: bigint;
}

export function parseCidr(text: string): Cidr {
  const a = new Address4(text);
  return {
    text: `${a.startAddress().correctForm()}/${a.subnetMask}`,
    prefix: a.subnetMask,
    first: a.startAddress().bigInt(),
    last: a.endAddress().bigInt(),
  };
}

/** True when the text has host bits set (`10.244.1.0/16`). */
export function hasHostBits(text: string): boolean {
  const a = new Address4(text);
  return a.correctForm() !== a.startAddress().correctForm();
}

/** A plain dotted-quad address: no prefix, no leading zeros, nothing a resolver would read as a hostname. */
export function isIPv4Address(text: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(text);
}

/**
 * The address blocks a lab may use: RFC 1918 private networks and RFC 6598
 * shared space. Anything else is someone's public address, and a lab that
 * claims it would count the internet as "inside the lab".
 */
export const PRIVATE_BLOCKS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'];

export function isPrivate(cidr: Cidr): boolean {
  return PRIVATE_BLOCKS.some((b) => containsCidr(parseCidr(b), cidr));
}

export function addressToInt(text: string): bigint {
  return new Address4(text).bigInt();
}

/**
 * The dotted quad of an address as an integer. Written out, not through
 * ip-address: its fromBigInt goes through a hex string and a parse (13 us a
 * call), and every command resolves a 10,000-pod lab's addresses again.
 */
export function intToAddress(n: bigint): string {
  if (n < 0n || n > 0xffffffffn) throw new RangeError(`${n} is not an IPv4 address`);
  const v = Number(n);
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return outer.first <= inner.first && inner.last <= outer.last;
}

export function containsAddress(block: Cidr, address: string): boolean {
  const n = addressToInt(address);
  return block.first <= n && n <= block.last;
}

/** The address `offset` places into the block (0 is the network address). */
export function nthAddress(block: Cidr, offset: number | bigint): string {
  return intToAddress(block.first + BigInt(offset));
}

/** Number of addresses in the block, network and broadcast included. */
export function size(block: Cidr): bigint {
  return block.last - block.first + 1n;
}

/** The `index`th block of length `prefix` inside `outer`, or undefined past its end. */
export function nthSubnet(outer: Cidr, prefix: number, index: number): Cidr | undefined {
  const step = 1n << BigInt(32 - prefix);
  const first = outer.first + step * BigInt(index);
  if (first + step - 1n > outer.last) return undefined;
  return parseCidr(`${intToAddress(first)}/${prefix}`);
}
