import { isToolOp, toolCommand } from '../src/plan/commands.js';
import type { Plan } from '../src/plan/ops.js';
import { wavesOf } from '../src/plan/waves.js';

/**
 * The floor: the same namespaces, veths, bridges, VXLAN devices, addresses,
 * routes, neighbour and FDB entries fed to `ip -batch` by a plain bash script,
 * one batch per namespace per wave (stages that need no barrier share it),
 * the way a careful engineer would write it by hand. It sets the nodes' sysctls (forwarding) but not the pods' arp_notify
 * and starts no listeners, so it does less than netlab does.
 */
export function floorScript(plan: Plan): string {
  const lines = ['#!/bin/bash', 'set -e'];
  for (const wave of wavesOf(plan.stages)) {
    const groups = new Map<string, string[]>();
    const sysctls = new Map<string, string[]>();
    for (const op of wave.stages.flatMap((s) => s.ops)) {
      if (isToolOp(op)) {
        const c = toolCommand(op);
        const key = `${c.tool}${c.netns ? ` -n ${c.netns}` : ''}`;
        push(groups, key, c.args.join(' '));
      } else if (op.kind === 'sysctl.set' && op.netns.includes('.node.')) {
        push(sysctls, op.netns, `${op.key}=${op.value}`);
      }
    }
    for (const [key, batch] of groups) lines.push(`${key} -batch - <<'EOF'`, ...batch, 'EOF');
    for (const [netns, settings] of sysctls) lines.push(`ip netns exec ${netns} sysctl -qw ${settings.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Its teardown: every namespace of the lab in one batch. */
export function floorDownScript(plan: Plan): string {
  const names = plan.stages.flatMap((s) => s.ops.flatMap((op) => (op.kind === 'netns.add' ? [op.netns] : [])));
  return ['#!/bin/bash', "ip -force -batch - <<'EOF'", ...names.map((n) => `netns delete ${n}`), 'EOF', ''].join('\n');
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  list.push(value);
}
