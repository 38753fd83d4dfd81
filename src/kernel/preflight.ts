import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { EnvironmentError } from '../errors.js';

/** A tool netlab runs, and the Debian/Ubuntu package that provides it. */
export interface Requirement {
  program: string;
  pkg: string;
  why: string;
}

/** What `up` and `down` need on the machine. */
export const LAB_TOOLS: Requirement[] = [
  { program: 'ip', pkg: 'iproute2', why: 'namespaces, links, addresses, routes' },
  { program: 'bridge', pkg: 'iproute2', why: 'VXLAN forwarding entries' },
  { program: 'sysctl', pkg: 'procps', why: 'forwarding and ARP settings inside namespaces' },
  { program: 'python3', pkg: 'python3', why: 'the container runtime that serves pod ports' },
];

/** For pings (tests, `trace --verify`). */
export const PING: Requirement = { program: 'ping', pkg: 'iputils-ping', why: 'ping tests and trace --verify' };
/** For captures (tests, `trace --verify`, `netlab capture`). */
export const TCPDUMP: Requirement = { program: 'tcpdump', pkg: 'tcpdump', why: 'captures' };

async function onPath(program: string): Promise<boolean> {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter);
  for (const dir of dirs) {
    try {
      await access(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** Root and the tools; exit 3 with the exact packages to install. */
export async function preflight(requirements: Requirement[] = LAB_TOOLS): Promise<void> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new EnvironmentError('netlab needs root to create network namespaces: run it with sudo');
  }
  await requireTools(requirements);
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
