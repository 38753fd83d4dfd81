import { tlsCommands } from './tls.js';
import { renderIptables } from './iptables-ruleset.js';
import { renderNft } from './nft-ruleset.js';
import { isToolOp, toolCommand } from './commands.js';
import { pluginConfig, pluginEnv } from './cni-config.js';
import type { Op, Plan } from './ops.js';

export interface ShellOptions {
  /** Absolute path of runtime/netlab-agent.py where this netlab is installed. */
  agentPath: string;
  speakerPath: string;
  /** The interpreter that runs it (runtime-path.ts PYTHON). */
  python: string;
}

/**
 * The plan as a POSIX shell script of `ip`, `bridge` and `sysctl` commands:
 * what `netlab up` does, one command a line, to read, diff and run by hand.
 */
export function planToShell(plan: Plan, options: ShellOptions): string {
  const lines = ['#!/bin/sh', `# netlab plan for lab "${plan.lab}": run as root; \`netlab down ${plan.lab}\` removes it all.`, 'set -e'];
  for (const stage of plan.stages) {
    lines.push('', `# ${stage.title} (${stage.ops.length})`);
    for (const op of stage.ops) lines.push(...opToShell(op, options));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * An iproute2 or sysctl op as the one command line a person would type for
 * it: the script's lines and the executor's error messages say the same.
 */
export function commandLine(op: Op): string | undefined {
  if (isToolOp(op)) {
    const c = toolCommand(op);
    return quote([c.tool, ...(c.netns ? ['-n', c.netns] : []), ...c.args]);
  }
  if (op.kind === 'sysctl.set') return quote(['ip', 'netns', 'exec', op.netns, 'sysctl', '-qw', `${op.key}=${op.value}`]);
  return undefined;
}

function opToShell(op: Op, options: ShellOptions): string[] {
  if (op.kind === 'file.write') {
    const end = heredocEnd(op.content);
    return [quote(['mkdir', '-p', dirname(op.path)]), `cat > ${quote([op.path])} <<'${end}'`, op.content.replace(/\n$/, ''), end];
  }
  if (op.kind === 'daemon.start') return [quote(['ip', 'netns', 'exec', op.netns, ...op.argv])];
  if (op.kind === 'tls.issue') {
    const { ca, leaf } = tlsCommands(op);
    return [
      quote(['mkdir', '-p', dirname(op.ca.crt), dirname(op.crt)]),
      `[ -f ${quote([op.ca.crt])} ] || ${quote(['ip', 'netns', 'exec', op.netns, ...ca])}`,
      quote(['ip', 'netns', 'exec', op.netns, ...leaf]),
    ];
  }
  if (op.kind === 'cni.add') return cniAddShell(op);
  if (op.kind === 'bgp.establish') {
    // A bounded wait, as `up` does it: every session Established (the routes follow within BIRD's scan time).
    const tries = Math.ceil(op.timeoutMs / 200);
    const count = `$(${quote(['birdc', '-s', op.socket, 'show', 'protocols'])} | grep -c Established)`;
    return [
      `# ${op.node}: wait for BGP sessions ${op.sessions.map((s) => s.name).join(', ') || '(none)'}`,
      `for _ in $(seq ${tries}); do [ "${count}" -ge ${op.sessions.length} ] && break; sleep 0.2; done`,
    ];
  }
  if (op.kind === 'iptables.restore') {
    const text = renderIptables(op.ruleset);
    const end = heredocEnd(text);
    return [`${quote(['ip', 'netns', 'exec', op.netns, 'iptables-restore'])} <<'${end}'`, text.replace(/\n$/, ''), end];
  }
  if (op.kind === 'nft.load') {
    const text = renderNft(op.ruleset);
    const end = heredocEnd(text);
    return [`${quote(['ip', 'netns', 'exec', op.netns, 'nft', '-f', '-'])} <<'${end}'`, text.replace(/\n$/, ''), end];
  }
  if (op.kind === 'qdisc.delete') return [quote(['ip', 'netns', 'exec', op.netns, 'tc', 'qdisc', 'del', 'dev', op.dev, 'root'])];
  if (op.kind === 'process.start') {
    // In the background, with every stream redirected: the script must not wait for it.
    return [`${quote(['ip', 'netns', 'exec', op.netns, options.python, options.agentPath, op.config])} </dev/null >/dev/null 2>>${quote([op.log])} &`];
  }
  if (op.kind === 'speaker.start') {
    return [`${quote(['ip', 'netns', 'exec', op.netns, options.python, options.speakerPath, op.config])} </dev/null >/dev/null 2>>${quote([op.log])} &`];
  }
  return [commandLine(op)!];
}

/** A here-document delimiter that no line of `content` equals, so the content can never end it early. */
export function heredocEnd(content: string): string {
  const lines = new Set(content.split('\n'));
  let end = 'NETLAB_EOF';
  while (lines.has(end)) end += '_';
  return end;
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** Quotes words for sh only where needed, so plain iproute2 lines stay plain. */
export function quote(words: string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * A CNI ADD as a runtime does it, in sh: each plugin run inside the node's
 * namespace with only the CNI_ variables, its configuration on stdin with
 * the previous plugin's result spliced in as prevResult. (netlab also caches
 * the last result for CHECK and DEL; the script does not.)
 */
function cniAddShell(op: Extract<Op, { kind: 'cni.add' }>): string[] {
  const env = ['env', '-i', ...Object.entries(pluginEnv(op, 'ADD')).map(([k, v]) => `${k}=${v}`)];
  const lines = [`# CNI ADD: pod ${op.pod}, network ${op.network}, ${op.ifname}: ${op.plugins.map((p) => p.type).join(' → ')}`];
  op.plugins.forEach((plugin, i) => {
    const conf = JSON.stringify(pluginConfig(op, plugin, undefined));
    const run = quote(['ip', 'netns', 'exec', op.netns, ...env, `${op.cniPath[0]}/${plugin.type}`]);
    const input =
      i === 0 ? `printf '%s' ${quote([conf])}` : `{ printf '%s' ${quote([`${conf.slice(0, -1)},"prevResult":`])}; printf '%s' "$prev"; printf '}'; }`;
    lines.push(`prev=$(${input} | ${run})`);
  });
  return lines;
}
