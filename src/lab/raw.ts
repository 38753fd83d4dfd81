/**
 * The lab file as written (format v1), after the schema has accepted it.
 * The types are derived from schemas/lab.schema.json (scripts/generate-types.mjs
 * writes raw.generated.ts at build time), so the schema is the one place the
 * lab's shape is declared; this file only gives them netlab's names.
 * Everything optional here gets its default in resolve.ts.
 */
import type {
  Action,
  AnnouncerTest,
  Capture,
  Connect,
  Container,
  DnsTest,
  Expect,
  HttpTest,
  NetlabLabFileFormatV1,
  Network,
  Node,
  Ping,
  Pod,
  PolicyMatrix,
  Test,
} from './raw.generated.js';

export type RawLab = NetlabLabFileFormatV1;
export type RawNetwork = Network;
export type RawNode = Node;
export type RawPod = Pod;
export type RawContainer = Container;
export type Expectation = Expect;
export type RawPing = Ping;
export type RawConnect = Connect;
export type RawAction = Action;
export type RawCapture = Capture;
export type RawTest = Test;
export type RawDnsTest = DnsTest;
export type RawPolicyMatrix = PolicyMatrix;
export type RawAnnouncerTest = AnnouncerTest;
export type RawHttpTest = HttpTest;

/** The keys of a test entry that name its kind; exactly one must be present. */
export const TEST_KINDS = ['ping', 'tcp', 'udp', 'dns', 'policyMatrix', 'capture', 'conformance', 'announcer', 'http'] as const;
export type TestKind = (typeof TEST_KINDS)[number];

// The list above and the schema's test kinds must agree both ways: a kind added
// to the schema and not here (or the reverse) fails the type check.
type SchemaKinds = Exclude<keyof RawTest, 'name'>;
const everyKindListed: Record<SchemaKinds, true> = {
  ping: true,
  tcp: true,
  udp: true,
  dns: true,
  policyMatrix: true,
  capture: true,
  conformance: true,
  announcer: true,
  http: true,
} satisfies Record<TestKind, true>;
void everyKindListed;
