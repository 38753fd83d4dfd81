import type { PingOutcome } from '../kernel/ping.js';
import type { ProbeResult } from '../kernel/probe.js';
import type { DigOutcome } from '../kernel/dig.js';
import type { Aspect, CaptureExpect, ConnectCheck, DnsCheck, PingCheck } from './types.js';

/** A verdict and the words that explain it. */
export interface Verdict {
  ok: boolean;
  message: string;
}

export function judgePing(check: PingCheck, o: PingOutcome): Verdict {
  const tally = `${o.received}/${o.transmitted} replies`;
  const reason = o.output.filter((l) => !/^(PING|---|rtt|\d+ packets)/.test(l)).at(-1) ?? '';
  if (check.expect === 'reachable') {
    return o.received >= check.count
      ? { ok: true, message: `${tally} from ${check.to.ip}` }
      : { ok: false, message: `${check.to.label} did not answer: ${tally}${reason ? ` (${reason})` : ''}` };
  }
  return o.received === 0
    ? { ok: true, message: `no reply, as expected${reason ? `: ${reason}` : ''}` }
    : { ok: false, message: `${check.to.label} answered (${tally}) but must be unreachable` };
}

export function judgeConnect(check: ConnectCheck, r: ProbeResult | undefined): Verdict {
  const where = `${check.to.label}:${check.port}/${check.kind}`;
  if (!r) return { ok: false, message: `the prober gave no result for ${where}` };
  if (check.expect !== 'reachable') {
    return r.ok
      ? { ok: false, message: `${where} answered "${r.answer?.hostname ?? ''}" but must be closed or unreachable` }
      : { ok: true, message: `no answer, as expected: ${r.error}` };
  }
  if (!r.ok) return { ok: false, message: `${where}: ${r.error}` };
  const client = clientIp(r);
  const who = r.answer?.hostname;
  if (check.to.pod && who !== check.to.pod) {
    return { ok: false, message: `${where} answered "${who}", not ${check.to.pod}: the packet reached the wrong pod` };
  }
  if (check.answerFrom && !check.answerFrom.includes(who ?? '')) {
    const allowed = check.answerFrom.length > 0 ? check.answerFrom.join(', ') : 'no pod: the service has no endpoints';
    return { ok: false, message: `${where} answered "${who}", which is not an endpoint that may answer (${allowed})` };
  }
  const sourceIP =
    check.sourceIP ?? (check.from.kind === 'pod' && !check.to.ip.startsWith('127.') && !check.to.service && !check.answerFrom ? 'preserved' : undefined);
  if (sourceIP === 'preserved' && client !== check.from.ip) {
    return { ok: false, message: `${where} saw the client as ${client}, not ${check.from.ip}: the address was translated (NAT)` };
  }
  if (sourceIP === 'masqueraded' && client === check.from.ip) {
    return { ok: false, message: `${where} saw the client as ${client}, its own address: it was not masqueraded` };
  }
  return { ok: true, message: `${who ?? 'answered'} answered in ${r.ms} ms, and saw the client as ${client}` };
}

/** Packets that count: all of them, or those whose text contains `match`. */
export function judgeCapture(expect: CaptureExpect, packets: string[]): Verdict {
  const counted = expect.match ? packets.filter((p) => p.includes(expect.match!)) : packets;
  const n = counted.length;
  const what = expect.match ? `${n} of ${packets.length} packets matched "${expect.match}"` : `${n} packets`;
  if (expect.count !== undefined) return { ok: n === expect.count, message: `${what}; expected exactly ${expect.count}` };
  const min = expect.min ?? (expect.max === undefined ? 1 : 0);
  if (n < min) return { ok: false, message: `${what}; expected at least ${min}` };
  if (expect.max !== undefined && n > expect.max) return { ok: false, message: `${what}; expected at most ${expect.max}` };
  return { ok: true, message: what };
}

/** One aspect of a conformance case, from the prober's result. */
export function judgeAspect(aspect: Aspect, r: ProbeResult | undefined): Verdict {
  if (!r) return { ok: false, message: 'no result' };
  if (!r.ok) return { ok: false, message: r.error ?? 'failed' };
  switch (aspect.kind) {
    case 'icmp':
      return { ok: true, message: `reply in ${r.ms} ms` };
    case 'nat':
      return r.seen === aspect.expectSeen
        ? { ok: true, message: `saw ${r.seen}` }
        : { ok: false, message: `the receiver saw ${r.seen}, not ${aspect.expectSeen}: NAT` };
    case 'tcp':
    case 'udp': {
      const a = r.answer ?? {};
      if (a.hostname !== aspect.expectHostname) return { ok: false, message: `answered "${a.hostname}", not ${aspect.expectHostname}` };
      if (aspect.expectContainer && a.container !== aspect.expectContainer)
        return { ok: false, message: `served by container "${a.container}", not ${aspect.expectContainer}` };
      const client = clientIp(r);
      if (aspect.expectClient && client !== aspect.expectClient) return { ok: false, message: `saw the client as ${client}, not ${aspect.expectClient}: NAT` };
      return { ok: true, message: `${a.hostname} answered, client ${client}` };
    }
    case 'own-ip':
      return { ok: true, message: 'present' };
  }
}

function clientIp(r: ProbeResult): string | undefined {
  return r.answer?.clientip?.split(':')[0];
}

/** A DNS answer as people write it: no trailing dot, no quotes around a TXT string, lower case. */
export function normaliseAnswer(data: string): string {
  return data
    .replace(/^"(.*)"$/, '$1')
    .replace(/\.$/, '')
    .replace(/\. /g, ' ')
    .toLowerCase();
}

/** The answers of the asked type must be exactly the expected ones (any order); or the name must not exist. */
export function judgeDns(check: DnsCheck, o: DigOutcome): Verdict {
  const got = o.answers.filter((a) => a.type === check.type).map((a) => normaliseAnswer(a.data));
  const shown = got.length > 0 ? got.join(', ') : 'no answer';
  if (check.expect === 'nxdomain') {
    return o.status === 'NXDOMAIN'
      ? { ok: true, message: 'NXDOMAIN, as expected' }
      : { ok: false, message: `${check.query} answered ${o.status ?? 'nothing'} (${shown}), not NXDOMAIN` };
  }
  if (o.status !== 'NOERROR') return { ok: false, message: `${check.query}: ${o.status ?? 'no reply from the cluster DNS'}` };
  if (got.length === 0) return { ok: false, message: `${check.query}: no ${check.type} record` };
  const want = check.expect.map(normaliseAnswer).sort();
  if (want.length > 0 && JSON.stringify([...got].sort()) !== JSON.stringify(want))
    return { ok: false, message: `${check.query} ${check.type} is ${shown}, not ${want.join(', ')}` };
  return { ok: true, message: `${check.query} ${check.type} ${shown}` };
}
