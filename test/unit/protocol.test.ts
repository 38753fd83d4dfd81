import { readdirSync, readFileSync } from 'node:fs';
import { parseConflist } from '../../src/lab/conflist.js';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { conformanceCases } from '../../src/checks/conformance.js';
import { probesFor } from '../../src/checks/run-conformance.js';
import { applyRequest, HELPER_KINDS } from '../../src/kernel/apply.js';
import { canonRequest, type PlannedRuleset } from '../../src/kernel/canon.js';
import { observeRequest } from '../../src/kernel/observe.js';
import { probeHeader, probeRoundLine, type Probe } from '../../src/kernel/probe.js';
import { parseReport, watchRequest } from '../../src/kernel/watch.js';
import { whatToRead } from '../../src/plan/drift.js';
import { planLab } from '../../src/plan/index.js';
import { renderIptables } from '../../src/plan/iptables-ruleset.js';
import { renderNft } from '../../src/plan/nft-ruleset.js';
import type { Op, Plan } from '../../src/plan/ops.js';
import { watchConfig } from '../../src/plan/watch.js';
import { HELPER_PROTOCOL, PROTOCOL_PATH } from '../../src/runtime-path.js';
import { shippedLab } from '../helpers/labs.js';

/*
 * runtime/protocol.json is the one description of what netlab and its
 * Python helpers say to each other. Here: every request netlab builds, from
 * every shipped lab, is what it describes, and what netlab accepts of an
 * answer is too. runtime/tests/test_protocol.py holds the helpers' side.
 */

const protocol = JSON.parse(readFileSync(PROTOCOL_PATH, 'utf8')) as { version: number; definitions: Record<string, object> };
const ajv = new Ajv({ allErrors: true, strict: true });
ajv.addKeyword('version');
ajv.addSchema(protocol, 'protocol');
const shape = (name: string): ValidateFunction => ajv.getSchema(`protocol#/definitions/${name}`)!;

/** The problems of `value` as the definition `name`, in words (none when it fits). */
function problems(name: string, value: unknown): string[] {
  const validate = shape(name);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

const LABS = readdirSync('labs')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

/** Each shipped lab's plan, with the conflist its file names (labs/cni/…) as `up` reads it. */
const plans: Array<[string, Plan]> = LABS.map((name) => {
  const lab = shippedLab(name);
  const cni = lab.network.cni;
  const file = cni.kind === 'conflist' ? cni.file : undefined;
  const parsed = file ? parseConflist(file, readFileSync(file, 'utf8')) : undefined;
  if (parsed && !parsed.ok) throw new Error(`${file}: ${parsed.problems.map((p) => p.message).join('; ')}`);
  return [name, planLab(lab, { stateDir: `/run/netlab/${name}`, ...(parsed ? { conflist: parsed.conflist } : {}) })];
});
const ops = (plan: Plan): Op[] => plan.stages.flatMap((s) => s.ops);

describe('runtime/protocol.json', () => {
  it('is the version both sides speak', () => {
    expect(protocol.version).toBe(HELPER_PROTOCOL);
    expect(readFileSync('runtime/netlab_ns.py', 'utf8')).toMatch(/PROTOCOL = json\.load\(_f\)\["version"\]/);
  });

  it('describes every message, each with what it is for', () => {
    for (const name of [
      'apply.request',
      'observe.request',
      'observe.reply',
      'probe.header',
      'probe.round',
      'probe.result',
      'canon.request',
      'canon.reply',
      'watch.config',
      'watch.request',
      'watch.reply',
      'watch.error',
      'agent.config',
      'speaker.config',
    ]) {
      expect(protocol.definitions[name], name).toHaveProperty('description');
    }
  });

  it('would refuse a request of another version or shape', () => {
    expect(problems('apply.request', { protocol: 2, ops: [] })).not.toEqual([]);
    expect(problems('apply.request', { protocol: 1, ops: [{ kind: 'link.up', netns: 'x' }] })).not.toEqual([]);
    expect(problems('apply.request', { protocol: 1, ops: [{ kind: 'link.delete', netns: 'x', name: 'y' }] })).not.toEqual([]);
    expect(problems('observe.request', { protocol: 1, namespaces: [{ netns: 'x', sysctls: [], read: ['everything'] }] })).not.toEqual([]);
  });
});

describe('what netlab sends is what the protocol describes', () => {
  it.each(plans)('%s: the apply helper’s ops (the kinds it is given)', (_, plan) => {
    const helped = ops(plan).filter((op) => op.kind === 'netns.add' || HELPER_KINDS.has(op.kind));
    expect(helped.length).toBeGreaterThan(0);
    expect(problems('apply.request', JSON.parse(applyRequest(helped)))).toEqual([]);
  });

  it.each(plans)('%s: what status reads', (_, plan) => {
    const namespaces = [...whatToRead(plan)].map(([netns, q]) => ({ netns, ...q }));
    expect(problems('observe.request', JSON.parse(observeRequest(namespaces)))).toEqual([]);
  });

  it.each(plans)('%s: its rulesets, to read back', (_, plan) => {
    const rulesets: PlannedRuleset[] = ops(plan).flatMap((op): PlannedRuleset[] =>
      op.kind === 'nft.load'
        ? [{ kind: 'nft', table: op.table, ruleset: renderNft(op.ruleset) }]
        : op.kind === 'iptables.restore'
          ? [{ kind: 'iptables', ruleset: renderIptables(op.ruleset) }]
          : [],
    );
    expect(problems('canon.request', JSON.parse(canonRequest(rulesets)))).toEqual([]);
  });

  it.each(plans)('%s: the watcher’s configuration and the container runtime’s', (name, plan) => {
    expect(problems('watch.config', watchConfig(plan, `/run/netlab/${name}`, HELPER_PROTOCOL))).toEqual([]);
    for (const op of ops(plan))
      if (op.kind === 'file.write' && op.path.endsWith('/containers.json')) expect(problems('agent.config', JSON.parse(op.content))).toEqual([]);
    for (const op of ops(plan))
      if (op.kind === 'file.write' && /\/speaker-[\w-]+\.json$/.test(op.path)) expect(problems('speaker.config', JSON.parse(op.content))).toEqual([]);
  });

  it.each(plans.filter(([name]) => ['two-node', 'services', 'pod-containers'].includes(name)))('%s: conformance probes, in rounds', (name) => {
    const cases = conformanceCases(shippedLab(name)).map((check, item) => ({ item, check }));
    const probes = probesFor(cases, []);
    expect(new Set(probes.map((p) => p.kind))).toEqual(new Set(['icmp', 'nat', 'tcp', 'udp'].filter((k) => probes.some((p) => p.kind === k))));
    expect(problems('probe.header', JSON.parse(probeHeader(256)))).toEqual([]);
    expect(problems('probe.round', JSON.parse(probeRoundLine({ probes, forget: [cases[0]!.check.from.netns] })))).toEqual([]);
  });

  it('every kind of probe, with its optional fields', () => {
    const probes: Probe[] = [
      { id: 0, kind: 'icmp', netns: 'a', dst: '10.244.0.2', count: 3, size: 1400, df: true, timeout: 1 },
      { id: 1, kind: 'tcp', netns: 'a', dst: '10.96.0.10', port: 53, timeout: 0.5 },
      { id: 2, kind: 'udp', netns: 'a', dst: '10.96.0.10', port: 53, timeout: 0.5 },
      { id: 3, kind: 'nat', netns: 'a', dstNetns: 'b', dst: '10.244.1.2', timeout: 1 },
    ];
    expect(problems('probe.round', JSON.parse(probeRoundLine({ probes, forget: [] })))).toEqual([]);
  });

  it('the watcher’s request line', () => {
    expect(problems('watch.request', JSON.parse(watchRequest()))).toEqual([]);
  });
});

describe('what netlab accepts of an answer is what the protocol describes', () => {
  const reply = { protocol: HELPER_PROTOCOL, pid: 42, watched: 'a'.repeat(64), lost: false, changed: ['netlab.x.pod.a'] };

  it('a watcher’s answer of the described shape is taken as it is', () => {
    expect(problems('watch.reply', reply)).toEqual([]);
    expect(parseReport(`${JSON.stringify(reply)}\n`)).toEqual(reply);
  });

  it.each([
    ['another version', { ...reply, protocol: HELPER_PROTOCOL + 1 }],
    ['no pid', { ...reply, pid: undefined }],
    ['a changed list of numbers', { ...reply, changed: [1] }],
    ['lost as a word', { ...reply, lost: 'no' }],
  ])('one of another shape (%s) is refused on both sides', (_, bad) => {
    expect(problems('watch.reply', JSON.parse(JSON.stringify(bad)))).not.toEqual([]);
    expect(parseReport(JSON.stringify(bad))).toHaveProperty('unanswered');
  });

  it('a refusal is read as its reason', () => {
    const refusal = { error: 'request: netlab sent protocol 2, this helper speaks 1' };
    expect(problems('watch.error', refusal)).toEqual([]);
    expect(parseReport(JSON.stringify(refusal))).toEqual({ unanswered: refusal.error });
  });
});
