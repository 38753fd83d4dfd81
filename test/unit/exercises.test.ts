import { describe, expect, it } from 'vitest';
import { examplesOf, matches, normalise } from '../helpers/exercises.js';

describe('exercise examples', () => {
  const md = [
    'text',
    '```console',
    '$ netlab exec two-node pod1 -- ping -c 1 10.244.1.3',
    '64 bytes from 10.244.1.3: icmp_seq=1 ttl=62 time=0.129 ms',
    '…',
    '1 packets transmitted, 1 received, 0% packet loss, time 0ms',
    '```',
    '```',
    '$ not an example',
    '```',
  ].join('\n');

  it('reads commands and their shown lines from console blocks only', () => {
    expect(examplesOf(md)).toEqual([
      {
        command: 'netlab exec two-node pod1 -- ping -c 1 10.244.1.3',
        line: 3,
        expected: ['64 bytes from 10.244.1.3: icmp_seq=1 ttl=62 time=0.129 ms', '…', '1 packets transmitted, 1 received, 0% packet loss, time 0ms'],
      },
    ]);
  });

  it('masks only what varies: times, ephemeral ports, ids, a veth peer’s index, the test copy prefix', () => {
    expect(normalise('64 bytes from 10.244.1.3: icmp_seq=1 ttl=62 time=0.129 ms')).toBe(normalise('64 bytes from 10.244.1.3: icmp_seq=1 ttl=62 time=3.5 ms'));
    expect(normalise('netlab.it-doc-two-node.pod.pod1')).toBe('netlab.two-node.pod.pod1');
    expect(normalise('10.244.0.2:53412')).toBe('10.244.0.2:<port>');
    expect(normalise('eth0@if4         UP             192.168.19.3/24')).toBe(normalise('eth0@if5 UP 192.168.19.3/24'));
    expect(normalise('ttl=62')).not.toBe(normalise('ttl=63'));
  });

  it('fails on a wrong line, a wrong order, or a missing line', () => {
    const actual = [
      'PING 10.244.1.3',
      '64 bytes from 10.244.1.3: icmp_seq=1 ttl=62 time=0.2 ms',
      '',
      '1 packets transmitted, 1 received, 0% packet loss, time 0ms',
    ];
    const [ex] = examplesOf(md);
    expect(matches(ex!.expected, actual).ok).toBe(true);
    expect(matches(['64 bytes from 10.244.1.3: icmp_seq=1 ttl=63 time=0.2 ms'], actual)).toEqual({
      ok: false,
      missing: '64 bytes from 10.244.1.3: icmp_seq=1 ttl=63 time=<t>ms',
    });
    expect(matches([actual[3]!, actual[1]!], actual).ok).toBe(false);
    expect(matches(['nothing like this'], actual).ok).toBe(false);
  });
});
