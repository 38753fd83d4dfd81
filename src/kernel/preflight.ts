import { access, constants, readFile, realpath, stat } from 'node:fs/promises';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { EnvironmentError, UsageError } from '../errors.js';
import { PACKAGED_CNI_DIR, SYSTEM_CNI_DIRS } from '../lab/cni.js';
import { isPluginName } from '../lab/conflist.js';
import type { KernelFeature, Need, Program } from '../plan/needs.js';
import { PYTHON } from '../runtime-path.js';

/** A tool netlab runs, and the Debian/Ubuntu package that provides it. */
export interface Requirement {
  program: string;
  pkg: string;
  why: string;
}

const IP: Requirement = { program: 'ip', pkg: 'iproute2', why: 'namespaces, links, addresses, routes' };
const BRIDGE: Requirement = { program: 'bridge', pkg: 'iproute2', why: 'VXLAN forwarding entries' };
const PYTHON3: Requirement = { program: PYTHON, pkg: 'python3', why: "netlab's helpers and the container runtime that serves pod ports" };

/** What every command that reads or removes a lab needs on the machine (`up` adds what its plan needs: plan/needs.ts). */
export const LAB_TOOLS: Requirement[] = [IP, BRIDGE, PYTHON3];

/** For pings (tests, `trace --verify`). */
export const PING: Requirement = { program: 'ping', pkg: 'iputils-ping', why: 'ping tests and trace --verify' };
/** For captures (tests, `trace --verify`, `netlab capture`). */
export const TCPDUMP: Requirement = { program: 'tcpdump', pkg: 'tcpdump', why: 'captures' };

/** The first of `dirs` holding an executable `name`, as a shell's PATH or libcni's CNI_PATH search finds it. */
export async function findExecutable(name: string, dirs: string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const file = join(dir, name);
    if (
      await access(file, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  return undefined;
}

/** Whether a path exists (a kernel feature's file under /proc or /sys). Read only. */
function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function onPath(program: string): Promise<boolean> {
  if (program.includes('/')) return (await findExecutable(basename(program), [dirname(program)])) !== undefined;
  return (await findExecutable(program, (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter))) !== undefined;
}

/**
 * Root, before a command reads a lab: its state and namespaces are root's,
 * and a reader without root would take EACCES for damage.
 */
export function requireRoot(what = 'create network namespaces'): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new EnvironmentError(`netlab needs root to ${what}: run it with sudo`);
  }
}

/** Root and the tools; exit 3 with the exact packages to install. */
export async function preflight(requirements: Requirement[] = LAB_TOOLS): Promise<void> {
  requireRoot();
  const lacking = await missingCapabilities();
  if (lacking.length > 0) {
    throw new EnvironmentError(
      `netlab runs as root but without ${lacking.join(' and ')} (a container or a capability bounding set took them away); it cannot make namespaces or links without them`,
    );
  }
  await requireTools(requirements);
}

/** Capabilities `ip netns add` and link changes need: mount namespaces and configure networks. */
const NEEDED_CAPABILITIES = [
  { name: 'CAP_NET_ADMIN', bit: 12n },
  { name: 'CAP_SYS_ADMIN', bit: 21n },
];

/** Root is not enough: the effective capability set decides (CapEff in /proc/self/status). */
async function missingCapabilities(): Promise<string[]> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) return [];
  const effective = BigInt(`0x${m[1]}`);
  return NEEDED_CAPABILITIES.filter((c) => ((effective >> c.bit) & 1n) === 0n).map((c) => c.name);
}

/** The tools alone (for commands that need no root, like `graph`). */
export async function requireTools(requirements: Requirement[]): Promise<void> {
  const missing: Requirement[] = [];
  for (const r of requirements) if (!(await onPath(r.program))) missing.push(r);
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((m) => m.pkg))].join(' ');
    const lines = missing.map((m) => `  ${m.program} (${m.why})`).join('\n');
    throw new EnvironmentError(`missing tools:\n${lines}\ninstall them with: apt-get install -y ${pkgs}`);
  }
}

/** For kube-proxy's rules, when the lab has Services. */
export const NFT: Requirement = { program: 'nft', pkg: 'nftables', why: "kube-proxy's rules for Services" };

/**
 * kube-proxy's ipvs mode: IP_VS in the kernel (read from /proc), and then
 * netlab, which does not build it.
 */
async function requireIpvs(): Promise<void> {
  if (!(await exists('/proc/net/ip_vs'))) {
    throw new EnvironmentError('kube-proxy mode ipvs needs the kernel feature IP_VS (CONFIG_IP_VS), which this kernel lacks; use mode nftables or iptables');
  }
  throw new EnvironmentError('kube-proxy mode ipvs is not built in this netlab; use mode nftables or iptables');
}

/** Bridge netfilter, for Services: read from /proc. */
async function requireBridgeNetfilter(): Promise<void> {
  if (!(await exists('/proc/sys/net/bridge/bridge-nf-call-iptables'))) {
    throw new EnvironmentError(
      'Services need bridge netfilter (br_netfilter), which this kernel has not loaded: a pod reaching a Service whose endpoint shares its bridge would never be translated (as root: modprobe br_netfilter)',
    );
  }
}

/** For kube-proxy's iptables mode (iptables-nft on Debian 12). */
export const IPTABLES: Requirement = { program: 'iptables-restore', pkg: 'iptables', why: "kube-proxy's iptables mode" };

/** Calico's BGP daemon, in calico labs. */
export const BIRD: Requirement = { program: 'bird', pkg: 'bird2', why: "Calico's BGP daemon" };
export const BIRDC: Requirement = { program: 'birdc', pkg: 'bird2', why: "talking to Calico's BGP daemon" };

/**
 * Calico's IP-in-IP needs the kernel's ipip module, which makes tunl0 in
 * every namespace. netlab does not load it: loading it makes tunl0 in the
 * host's own namespace too.
 */
export async function requireIpip(): Promise<void> {
  if (!(await exists('/sys/module/ipip'))) {
    throw new EnvironmentError(
      "calico encapsulation ipip needs the kernel's IP-in-IP tunnel (CONFIG_NET_IPIP, module ipip), which this kernel has not loaded; " +
        'netlab does not load it, since that makes tunl0 in the host namespace too. Use encapsulation none or vxlan, or (as root, if the module exists) modprobe ipip',
    );
  }
}

/** Cluster DNS's server, in labs with DNS. */
export const OPENSSL: Requirement = { program: 'openssl', pkg: 'openssl', why: "issuing the Ingresses' TLS certificates" };
export const NGINX: Requirement = { program: 'nginx', pkg: 'nginx', why: "ingress-nginx's controller pods (Ingress)" };
export const DNSMASQ: Requirement = { program: 'dnsmasq', pkg: 'dnsmasq-base', why: 'cluster DNS (the kube-dns pods)' };
/** DNS lookups from inside pods, for dns tests. */
export const DIG: Requirement = { program: 'dig', pkg: 'dnsutils', why: 'dns tests' };

/** The CNI reference plugins, for network.cni reference. */
export const CNI_PLUGINS: Requirement = { program: 'bridge', pkg: 'containernetworking-plugins', why: 'the CNI reference plugins (network.cni reference)' };

/**
 * Directories whose plugins netlab may run as root for a lab: the packaged
 * ones, and those the person running netlab named with --cni-path (a lab
 * file alone, which may come from a pull request, cannot add one). Each must
 * be root's and writable by no one else, and hold every plugin the list names.
 */
export async function requireCniPlugins(dirs: string[], types: string[], allowed: string[]): Promise<void> {
  const refused = dirs.filter((d) => !SYSTEM_CNI_DIRS.includes(d) && !allowed.map((a) => resolve(a)).includes(resolve(d)));
  if (refused.length > 0) {
    throw new UsageError(
      `the lab runs CNI plugins from ${refused.join(', ')}, which netlab does not run as root unless told: add --cni-path ${refused[0]} to the command`,
    );
  }
  for (const dir of dirs) {
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) throw new EnvironmentError(`CNI plugin directory ${dir} does not exist`);
    if (info.uid !== 0 || (info.mode & 0o022) !== 0)
      throw new EnvironmentError(`CNI plugin directory ${dir} must be root's and writable by no one else (it is run as root)`);
    const weak = await weakAncestor(await realpath(dir));
    if (weak) throw new EnvironmentError(`CNI plugin directory ${dir} is not safe to run as root: ${weak}`);
  }
  const hostile = types.find((t) => !isPluginName(t));
  if (hostile !== undefined) throw new UsageError(`CNI plugin type ${JSON.stringify(hostile).slice(0, 80)} is not a plain binary name: refused`);
  const missing: string[] = [];
  for (const type of new Set(types)) if ((await findExecutable(type, dirs)) === undefined) missing.push(type);
  if (missing.length > 0) {
    const hint = dirs.includes(PACKAGED_CNI_DIR) ? ' (the reference plugins: apt-get install -y containernetworking-plugins)' : '';
    throw new EnvironmentError(`CNI plugin${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found in ${dirs.join(', ')}${hint}`);
  }
}

/**
 * A directory is only as safe as the path to it: whoever may write to an
 * ancestor can rename the directory away and put their own in its place.
 * Every ancestor must be root's and writable by no one else, or sticky (as
 * /tmp is) with the next step root's, since then only root may move it.
 */
async function weakAncestor(dir: string): Promise<string | undefined> {
  let child = dir;
  for (let parent = dirname(dir); ; parent = dirname(parent)) {
    const p = await stat(parent);
    const c = await stat(child);
    if (p.uid !== 0) return `its ancestor ${parent} is not root's`;
    const sticky = (p.mode & 0o1000) !== 0;
    if ((p.mode & 0o022) !== 0 && !(sticky && c.uid === 0)) return `its ancestor ${parent} is writable by others, who could put another directory in its place`;
    if (parent === child) return undefined;
    child = parent;
  }
}

/** Files the container runtime keeps open besides its sockets (its log, selector, libraries), as the runtime counts them. */
const RUNTIME_SPARE_FILES = 64;

/**
 * The container runtime opens one socket per listening port of every pod
 * and may open as many files as netlab's hard limit (it inherits it, and
 * raises its soft limit to it). A lab that needs more is refused before
 * anything is made, rather than after every namespace is built.
 */
export async function requireOpenFiles(sockets: number): Promise<void> {
  if (sockets === 0) return;
  const limits = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const m = /^Max open files\s+\S+\s+(\d+|unlimited)/m.exec(limits);
  const hard = m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
  if (sockets + RUNTIME_SPARE_FILES <= hard) return;
  throw new EnvironmentError(
    `the lab's containers listen on ${sockets} ports, one socket each, but netlab may open only ${hard} files (ulimit -Hn); ` +
      `raise the limit (as root: ulimit -n ${sockets + 1024}, or LimitNOFILE= for a service) or listen on fewer ports`,
  );
}

/** Each program a plan may name (plan/needs.ts), as found on PATH, with its package and what it is for. */
const PROGRAMS: Record<Program, Requirement> = {
  ip: IP,
  bridge: BRIDGE,
  tc: { program: 'tc', pkg: 'iproute2', why: 'removing a queueing discipline nobody planned' },
  nsenter: { program: 'nsenter', pkg: 'util-linux', why: 'entering a namespace for a batch of ip commands' },
  python3: PYTHON3,
  nft: NFT,
  'iptables-restore': IPTABLES,
  dnsmasq: DNSMASQ,
  bird: BIRD,
  birdc: BIRDC,
  nginx: NGINX,
  openssl: OPENSSL,
};

/** How each kernel feature is probed (read only: nothing on the host changes). */
const FEATURES: Record<KernelFeature, () => Promise<void>> = {
  ip_vs: requireIpvs,
  br_netfilter: requireBridgeNetfilter,
  ipip: requireIpip,
};

/**
 * Everything a plan needs (plan/needs.ts), checked before anything is made:
 * root, then every program at once (one message naming the packages), the
 * kernel's features, the CNI plugins (from directories `allowedCniPaths`
 * permits) and the open files the container runtime will hold.
 */
export async function requireNeeds(needs: Need[], allowedCniPaths: string[]): Promise<void> {
  await preflight(needs.flatMap((n) => (n.kind === 'program' ? [PROGRAMS[n.program]] : [])));
  for (const need of needs) {
    if (need.kind === 'kernel') await FEATURES[need.feature]();
    else if (need.kind === 'open-files') await requireOpenFiles(need.sockets);
    else if (need.kind === 'cni-plugins') await requireCniPlugins(need.dirs, need.types, allowedCniPaths);
  }
}
