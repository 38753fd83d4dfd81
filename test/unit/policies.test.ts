import { renderNft } from '../../src/plan/nft-ruleset.js';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadLabText } from '../../src/lab/index.js';
import { policyVerdict, selects } from '../../src/lab/policies.js';
import type { Lab } from '../../src/lab/types.js';

/**
 * The upstream e2e model (test/e2e/network/netpol): namespaces x, y, z
 * (labelled ns=NAME), pods a, b, c in each (labelled pod=NAME), serving
 * 80 and 81 over TCP and UDP with ports named serve-PORT-PROTO.
 */
function model(policies: unknown[]): Lab {
  const namespaces = ['x', 'y', 'z'].map((ns) => ({ name: ns, labels: { ns } }));
  const pods = ['x', 'y', 'z'].flatMap((ns) =>
    ['a', 'b', 'c'].map((pod) => ({
      name: pod,
      namespace: ns,
      labels: { pod },
      containers: [80, 81].flatMap((port) =>
        (['tcp', 'udp'] as const).map((proto) => ({
          name: `cont-${port}-${proto}`,
          ports: [{ name: `serve-${port}-${proto}`, containerPort: port, protocol: proto.toUpperCase() }],
        })),
      ),
    })),
  );
  const text = stringify({ name: 'netpol', namespaces, nodes: [{ name: 'node1' }, { name: 'node2' }], pods, policies });
  const r = loadLabText('netpol.yaml', text);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return r.lab;
}

/** The truth table upstream prints: a row per source, `.` connected, `X` blocked. */
function table(lab: Lab, port: number, protocol: 'tcp' | 'udp' = 'tcp'): string[] {
  const pods = lab.pods.filter((p) => p.system === undefined);
  return pods.map((from) =>
    pods.map((to) => (policyVerdict(lab.policies, lab.namespaces, { pod: from }, { pod: to }, port, protocol).allowed ? '.' : 'X')).join(''),
  );
}

const allowed = (lab: Lab, from: string, to: string, port: number, protocol: 'tcp' | 'udp' = 'tcp') => {
  const pod = (ref: string) => ({ pod: lab.pods.find((p) => p.name === ref)! });
  return policyVerdict(lab.policies, lab.namespaces, pod(from), pod(to), port, protocol).allowed;
};

describe('label selectors', () => {
  it('match labels and expressions the Kubernetes way', () => {
    expect(selects({}, { a: '1' })).toBe(true);
    expect(selects({ matchLabels: { a: '1' } }, { a: '1', b: '2' })).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'ns', operator: 'In', values: ['y', 'z'] }] }, { ns: 'x' })).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'ns', operator: 'NotIn', values: ['y'] }] }, {})).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'ns', operator: 'Exists' }] }, {})).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'ns', operator: 'DoesNotExist' }] }, {})).toBe(true);
  });
});

describe('the NetworkPolicy oracle, on the upstream e2e cases', () => {
  it('with no policy, everything connects', () => {
    expect(table(model([]), 80).every((row) => row === '.........')).toBe(true);
  });

  it("should support a 'default-deny-ingress' policy: nothing reaches x's pods, x still reaches out", () => {
    const lab = model([{ name: 'deny-ingress', namespace: 'x', spec: { podSelector: {} } }]);
    expect(table(lab, 80)).toEqual(['XXX......', 'XXX......', 'XXX......', 'XXX......', 'XXX......', 'XXX......', 'XXX......', 'XXX......', 'XXX......']);
  });

  it("should support a 'default-deny-all' policy: x neither sends nor receives", () => {
    const lab = model([{ name: 'deny-all', namespace: 'x', spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } }]);
    const t = table(lab, 80);
    expect(t.slice(0, 3)).toEqual(['XXXXXXXXX', 'XXXXXXXXX', 'XXXXXXXXX']);
    expect(t.slice(3).every((row) => row === 'XXX......')).toBe(true);
  });

  it('allows from a namespace (namespaceSelector) but not from the policy’s own', () => {
    const lab = model([
      {
        name: 'allow-ns-y',
        namespace: 'x',
        spec: { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] },
      },
    ]);
    expect(allowed(lab, 'y/b', 'x/a', 80)).toBe(true);
    expect(allowed(lab, 'x/b', 'x/a', 80)).toBe(false);
    expect(allowed(lab, 'z/b', 'x/a', 80)).toBe(false);
    expect(allowed(lab, 'z/b', 'x/b', 80)).toBe(true); // x/b is not selected: untouched
  });

  it('tells AND (both selectors in one peer) from OR (two peers)', () => {
    const and = model([
      {
        name: 'and',
        namespace: 'x',
        spec: {
          podSelector: { matchLabels: { pod: 'a' } },
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }] }],
        },
      },
    ]);
    expect([allowed(and, 'y/b', 'x/a', 80), allowed(and, 'y/c', 'x/a', 80), allowed(and, 'x/b', 'x/a', 80)]).toEqual([true, false, false]);
    const or = model([
      {
        name: 'or',
        namespace: 'x',
        spec: {
          podSelector: { matchLabels: { pod: 'a' } },
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'b' } } }] }],
        },
      },
    ]);
    expect([allowed(or, 'y/b', 'x/a', 80), allowed(or, 'y/c', 'x/a', 80), allowed(or, 'x/b', 'x/a', 80), allowed(or, 'z/b', 'x/a', 80)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('should enforce policy based on Ports: 81 from y only, and named ports', () => {
    const lab = model([
      {
        name: 'port-81',
        namespace: 'x',
        spec: { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 81 }] }] },
      },
    ]);
    expect([allowed(lab, 'y/a', 'x/a', 81), allowed(lab, 'y/a', 'x/a', 80), allowed(lab, 'y/a', 'x/a', 81, 'udp')]).toEqual([true, false, false]);
    const named = model([
      { name: 'named', namespace: 'x', spec: { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] } },
    ]);
    expect([allowed(named, 'z/c', 'x/a', 81), allowed(named, 'z/c', 'x/a', 80)]).toEqual([true, false]);
    const range = model([{ name: 'range', namespace: 'x', spec: { podSelector: {}, ingress: [{ ports: [{ port: 79, endPort: 80 }] }] } }]);
    expect([allowed(range, 'y/a', 'x/a', 80), allowed(range, 'y/a', 'x/a', 81)]).toEqual([true, false]);
  });

  it('egress with ipBlock and except', () => {
    const lab = model([]);
    const b = lab.pods.find((p) => p.name === 'y/b')!;
    const egress = model([
      {
        name: 'egress',
        namespace: 'x',
        spec: { podSelector: { matchLabels: { pod: 'a' } }, egress: [{ to: [{ ipBlock: { cidr: '10.244.0.0/16', except: [`${b.ip}/32`] } }] }] },
      },
    ]);
    expect(egress.policies[0]!.types).toEqual({ ingress: true, egress: true });
    expect(allowed(egress, 'x/a', 'y/b', 80)).toBe(false);
    expect(allowed(egress, 'x/a', 'y/c', 80)).toBe(true);
  });

  it('should enforce multiple, stacked policies with overlapping podSelectors: allows add up', () => {
    const lab = model([
      {
        name: 'from-y',
        namespace: 'x',
        spec: { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] },
      },
      { name: 'from-z', namespace: 'x', spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'z' } } }] }] } },
    ]);
    expect([allowed(lab, 'y/a', 'x/a', 80), allowed(lab, 'z/a', 'x/a', 80), allowed(lab, 'x/b', 'x/a', 80), allowed(lab, 'y/a', 'x/b', 80)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    const v = policyVerdict(
      lab.policies,
      lab.namespaces,
      { pod: lab.pods.find((p) => p.name === 'z/a')! },
      { pod: lab.pods.find((p) => p.name === 'x/a')! },
      80,
      'tcp',
    );
    expect(v.ingress).toEqual({ isolated: true, policies: ['x/from-y', 'x/from-z'], allowedBy: { policy: 'x/from-z', rule: 0 } });
  });
});

describe('NetworkPolicy validation, as the API server does it', () => {
  it('refuses endPort without a numeric port or below it, an ipBlock with a selector, bad except, values on Exists', () => {
    const r = loadLabText(
      't.yaml',
      stringify({
        name: 't',
        nodes: [{ name: 'n' }],
        policies: [
          {
            name: 'bad',
            spec: {
              podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
              ingress: [
                {
                  from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['192.168.0.0/16'] }, podSelector: {} }],
                  ports: [
                    { port: 'http', endPort: 90 },
                    { port: 90, endPort: 80 },
                  ],
                },
              ],
            },
          },
        ],
      }),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
        'policies[0].spec.podSelector.matchExpressions[0].values: operator Exists takes no values',
        'policies[0].spec.ingress[0].from[0].ipBlock: an ipBlock stands alone in its peer',
        'policies[0].spec.ingress[0].from[0].ipBlock.except[0]: 192.168.0.0/16 is not inside 10.0.0.0/8',
        'policies[0].spec.ingress[0].ports[0].endPort: endPort needs a numeric port to start from',
        'policies[0].spec.ingress[0].ports[1].endPort: endPort 80 is below port 90',
      ]);
    }
  });

  it('accepts a named port no container has: it matches nothing', () => {
    const r = loadLabText(
      't.yaml',
      'name: t\nnodes: [{ name: n }]\npolicies: [{ name: p, spec: { podSelector: {}, ingress: [{ ports: [{ port: nothere }] }] } }]\n',
    );
    expect(r.ok).toBe(true);
  });
});

describe("netlab's NetworkPolicy table", () => {
  it('gives each isolated pod a chain of its own that returns on an allowed peer and port, and drops the rest', async () => {
    const { policyRuleset } = await import('../../src/plan/policies.js');
    const { shippedLab } = await import('../helpers/labs.js');
    const lab = shippedLab('netpol-ports');
    const xb = lab.pods.find((p) => p.name === 'x/b')!;
    const rules = renderNft(
      policyRuleset(
        lab,
        lab.nodes.find((n) => n.name === xb.node)!,
      ),
    ).split('\n');
    expect(rules).toContain(`add rule ip netlab-policy ingress ip daddr ${xb.ip} jump ingress-x/b`);
    // A named port is the number on the receiving pod.
    expect(rules).toContain('add rule ip netlab-policy ingress-x/b udp dport 80 return comment "x/b-named-udp-80 ingress[0]"');
    expect(rules).toContain('add rule ip netlab-policy ingress-x/b drop comment "x/b is isolated for ingress by x/b-named-udp-80"');
    const yc = lab.pods.find((p) => p.name === 'y/c')!;
    const node = renderNft(
      policyRuleset(
        lab,
        lab.nodes.find((n) => n.name === yc.node)!,
      ),
    );
    expect(node).toMatch(/add rule ip netlab-policy ingress-y\/c ip saddr \{ [\d., ]+ \} tcp dport 80-81 return/);
    // Pods no policy selects have no chain.
    expect(node).not.toContain('ingress-z/a');
  });

  it('leaves loopback out of the matrix, as upstream ignores it', async () => {
    const { resolveChecks } = await import('../../src/checks/resolve.js');
    const { shippedLab } = await import('../helpers/labs.js');
    const m = resolveChecks(shippedLab('netpol-deny-ingress'))[0]!;
    expect(m.kind).toBe('policyMatrix');
    if (m.kind === 'policyMatrix') {
      expect(m.cells).toHaveLength(9 * 8 * 2 * 2);
      expect(m.cells.some((c) => c.from.name === c.to.pod)).toBe(false);
    }
  });
});
