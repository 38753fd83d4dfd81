import { describe, expect, it } from 'vitest';
import { parseCLI } from '../../src/cli/parse.js';
import { UsageError } from '../../src/errors.js';

describe('parseCLI', () => {
  it('parses every command', () => {
    expect(parseCLI(['validate', 'a.yaml'])).toEqual({ command: 'validate', file: 'a.yaml' });
    expect(parseCLI(['plan', 'a.yaml', '--json'])).toEqual({ command: 'plan', file: 'a.yaml', json: true });
    expect(parseCLI(['up', 'a.yaml'])).toEqual({ command: 'up', file: 'a.yaml', recreate: false, cniPaths: [] });
    expect(parseCLI(['up', '--recreate', 'a.yaml'])).toEqual({ command: 'up', file: 'a.yaml', recreate: true, cniPaths: [] });
    expect(parseCLI(['up', '--watch', 'a.yaml'])).toEqual({ command: 'up', file: 'a.yaml', recreate: false, cniPaths: [], watch: true });
    expect(parseCLI(['up', '--no-watch', 'a.yaml'])).toEqual({ command: 'up', file: 'a.yaml', recreate: false, cniPaths: [], watch: false });
    expect(parseCLI(['up', '--cni-path', '/opt/a', '--cni-path', '/opt/b', 'a.yaml'])).toMatchObject({ cniPaths: ['/opt/a', '/opt/b'] });
    expect(parseCLI(['bgp', 'calico', 'node1'])).toEqual({ command: 'bgp', lab: 'calico', node: 'node1', argv: ['show', 'protocols'] });
    expect(parseCLI(['bgp', 'calico', 'node2', 'disable', 'Mesh_192_168_19_1'])).toMatchObject({ argv: ['disable', 'Mesh_192_168_19_1'] });
    expect(parseCLI(['merge-junit', '-o', 'all.xml', 'a.xml', 'b.xml'])).toEqual({ command: 'merge-junit', output: 'all.xml', inputs: ['a.xml', 'b.xml'] });
    expect(parseCLI(['down', 'two-node'])).toEqual({ command: 'down', target: 'two-node' });
    expect(parseCLI(['status'])).toEqual({ command: 'status', lab: undefined, json: false, full: false });
    expect(parseCLI(['status', 'x', '--json'])).toEqual({ command: 'status', lab: 'x', json: true, full: false });
    expect(parseCLI(['status', 'x', '--full'])).toEqual({ command: 'status', lab: 'x', json: false, full: true });
    expect(parseCLI(['clean'])).toEqual({ command: 'clean' });
    expect(parseCLI(['node', 'lb', 'node3', 'down'])).toEqual({ command: 'node', lab: 'lb', node: 'node3', state: 'down' });
    expect(parseCLI(['node', 'lb', 'node3', 'up'])).toEqual({ command: 'node', lab: 'lb', node: 'node3', state: 'up' });
  });

  it('node refuses a node or lab word that is no name, before it touches anything', async () => {
    const { plugNode } = await import('../../src/lifecycle/node-plug.js');
    await expect(plugNode('x', '../etc', 'down')).rejects.toThrow(/is not a node or pod name/);
    await expect(plugNode('x', '-n', 'down')).rejects.toThrow(/is not a node or pod name/);
    await expect(plugNode('../x', 'node1', 'down')).rejects.toThrow(/is not a lab name/);
  });

  it('node takes only down or up', () => {
    expect(() => parseCLI(['node', 'lb', 'node3', 'off'])).toThrow(UsageError);
    expect(() => parseCLI(['node', 'lb', 'node3', '--help;reboot'])).toThrow();
  });

  it('hands everything after -- to exec untouched, options included', () => {
    expect(parseCLI(['exec', 'lab', 'pod1', '--', 'ping', '-c', '1', '10.244.0.3'])).toEqual({
      command: 'exec',
      lab: 'lab',
      target: 'pod1',
      argv: ['ping', '-c', '1', '10.244.0.3'],
    });
    expect(parseCLI(['exec', 'lab', 'node1', '--', 'ip', '-j', 'route'])).toMatchObject({ argv: ['ip', '-j', 'route'] });
  });

  it('parses test with its reports, filter and concurrency', () => {
    expect(parseCLI(['test', 'a.yaml'])).toEqual({
      command: 'test',
      file: 'a.yaml',
      junit: undefined,
      json: false,
      only: undefined,
      concurrency: 8,
      shard: undefined,
      cniPaths: [],
    });
    expect(parseCLI(['test', 'a.yaml', '--junit', 'out.xml', '--json', '--only', 'VXLAN', '--concurrency', '32'])).toEqual({
      command: 'test',
      file: 'a.yaml',
      junit: 'out.xml',
      json: true,
      only: 'VXLAN',
      concurrency: 32,
      shard: undefined,
      cniPaths: [],
    });
    for (const bad of ['0', '257', 'many', '1.5'])
      expect(() => parseCLI(['test', 'a.yaml', '--concurrency', bad]), bad).toThrow(/--concurrency takes a whole number/);
  });

  it('parses trace: icmp by default, tcp when a port is given, udp when asked', () => {
    const base = { command: 'trace', lab: 'two-node', from: 'pod1', to: 'pod4', json: false, verify: false };
    expect(parseCLI(['trace', 'two-node', 'pod1', 'pod4'])).toEqual({ ...base, proto: 'icmp', port: undefined });
    expect(parseCLI(['trace', 'two-node', 'pod1', 'pod4', '--port', '80'])).toEqual({ ...base, proto: 'tcp', port: 80 });
    expect(parseCLI(['trace', 'two-node', 'pod1', 'pod4', '--port', '53', '--proto', 'udp', '--verify', '--json'])).toEqual({
      ...base,
      proto: 'udp',
      port: 53,
      verify: true,
      json: true,
    });
    expect(() => parseCLI(['trace', 'l', 'a', 'b', '--proto', 'udp'])).toThrow(/--proto udp needs --port/);
    expect(() => parseCLI(['trace', 'l', 'a', 'b', '--proto', 'sctp'])).toThrow(/--proto is icmp, tcp or udp/);
    expect(() => parseCLI(['trace', 'l', 'a', 'b', '--port', '70000'])).toThrow(/--port takes a port number/);
  });

  it('parses a trace through an Ingress; refuses hostile --host and --path words', () => {
    expect(parseCLI(['trace', 'ing', 'external', 'ingress/web', '--host', 'a.example', '--path', '/foo?x=1'])).toEqual({
      command: 'trace',
      lab: 'ing',
      from: 'external',
      to: 'ingress/web',
      proto: 'tcp',
      port: undefined,
      json: false,
      verify: false,
      http: { host: 'a.example', path: '/foo?x=1' },
    });
    expect(() => parseCLI(['trace', 'l', 'a', 'pod4', '--host', 'a.example'])).toThrow(/--host, --path and --header go with a trace to ingress/);
    expect(() => parseCLI(['trace', 'l', 'a', 'ingress', '--host', 'a;rm -rf /'])).toThrow(/is not a host name/);
    expect(() => parseCLI(['trace', 'l', 'a', 'ingress', '--host', 'a\r\nX: y'])).toThrow(/is not a host name/);
    expect(() => parseCLI(['trace', 'l', 'a', 'ingress', '--path', '/a b'])).toThrow(/is not an absolute URL path/);
    expect(() => parseCLI(['trace', 'l', 'a', 'ingress', '--path', 'relative'])).toThrow(/is not an absolute URL path/);
  });

  it('parses graph with its formats and output', () => {
    expect(parseCLI(['graph', 'two-node'])).toEqual({ command: 'graph', target: 'two-node', format: 'svg', output: undefined });
    expect(parseCLI(['graph', 'a.yaml', '--format', 'mermaid', '-o', 'g.md'])).toEqual({
      command: 'graph',
      target: 'a.yaml',
      format: 'mermaid',
      output: 'g.md',
    });
    expect(() => parseCLI(['graph', 'a.yaml', '--format', 'png'])).toThrow(/--format is svg, mermaid or dot/);
  });

  it('parses capture, passing tcpdump its own options after --', () => {
    expect(parseCLI(['capture', 'two-node', 'node1:eth0'])).toEqual({ command: 'capture', lab: 'two-node', where: 'node1:eth0', args: [] });
    expect(parseCLI(['capture', 'two-node', 'node2:flannel.1', '--', '-c', '10', '-w', 'f.pcap'])).toEqual({
      command: 'capture',
      lab: 'two-node',
      where: 'node2:flannel.1',
      args: ['-c', '10', '-w', 'f.pcap'],
    });
  });

  it('refuses wrong usage with exit 2', () => {
    for (const argv of [['frobnicate'], ['up'], ['validate', 'a', 'b'], ['up', '--force', 'x.yaml'], ['exec', 'lab', 'pod1', '--']]) {
      expect(() => parseCLI(argv), argv.join(' ')).toThrow(UsageError);
    }
  });

  it('suggests the command meant', () => {
    expect(() => parseCLI(['stauts'])).toThrow(/Did you mean status/);
  });

  it('answers --help and --version without running anything', () => {
    expect(parseCLI(['--help'])).toMatchObject({ command: 'help', text: expect.stringContaining('validate') });
    expect(parseCLI(['--version'])).toMatchObject({ command: 'help', text: expect.stringMatching(/\d+\.\d+\.\d+/) });
  });
});
