import { Command, CommanderError } from 'commander';
import type { Shard } from '../checks/shard.js';
import type { TraceInvocation } from './commands/trace.js';
import { UsageError } from '../errors.js';
import { birdcCommandProblem } from '../lifecycle/words.js';

/** What the user asked for, parsed and nothing more: no command has run. */
export type Invocation =
  | { command: 'validate'; file: string }
  | { command: 'plan'; file: string; json: boolean }
  | { command: 'up'; file: string; recreate: boolean; cniPaths: string[]; watch?: boolean }
  | { command: 'down'; target: string }
  | { command: 'status'; lab: string | undefined; json: boolean; full: boolean }
  | { command: 'exec'; lab: string; target: string; argv: string[] }
  | { command: 'bgp'; lab: string; node: string; argv: string[] }
  | { command: 'node'; lab: string; node: string; state: 'up' | 'down' }
  | {
      command: 'test';
      file: string;
      junit: string | undefined;
      json: boolean;
      only: string | undefined;
      concurrency: number;
      shard: Shard | undefined;
      cniPaths: string[];
    }
  | ({ command: 'trace' } & TraceInvocation)
  | { command: 'graph'; target: string; format: 'svg' | 'mermaid' | 'dot'; output: string | undefined }
  | { command: 'capture'; lab: string; where: string; args: string[] }
  | { command: 'merge-junit'; output: string; inputs: string[] }
  | { command: 'ui'; lab: string; listen: string; port: number }
  | { command: 'clean' }
  | { command: 'help'; text: string };

export const VERSION = '0.1.0';

/** `netlab ui`'s port unless told otherwise. */
export const UI_PORT = 8470;

/** A word of a trace the web page asks for: what the CLI takes as FROM or TO, never an option. */
const TRACE_WORD = /^[A-Za-z0-9_.:][A-Za-z0-9_.:/-]{0,252}$/;

/**
 * The trace `netlab ui`'s page asks for (from, to, proto, port, verify, host,
 * path), checked exactly as `netlab trace` checks its words: the page's
 * query is as untrusted as a command line.
 */
export function parseTraceQuery(lab: string, query: URLSearchParams): TraceInvocation {
  const from = query.get('from') ?? '';
  const to = query.get('to') ?? '';
  for (const [name, word] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!TRACE_WORD.test(word)) throw new UsageError(`${name} "${word}" is not a pod, node, service/NAME, address or name`);
  }
  const options: string[] = [];
  for (const name of ['proto', 'port', 'host', 'path'] as const) {
    const value = query.get(name);
    if (value !== null && value !== '') options.push(`--${name}`, value);
  }
  if (query.get('verify') === '1') options.push('--verify');
  const inv = parseCLI(['trace', ...options, '--', lab, from, to]);
  if (inv.command !== 'trace') throw new UsageError('not a trace');
  return inv;
}

/**
 * argv (without node and the script) → Invocation. Pure, so the command line
 * is tested without running anything. Throws UsageError (exit 2).
 */
export function parseCLI(argv: string[]): Invocation {
  let result: Invocation | undefined;
  const set = (inv: Invocation) => {
    result = inv;
  };
  let output = '';
  const program = new Command('netlab')
    .description('Kubernetes-style networks from real kernel objects, and proof of how packets move through them')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (output += s), writeErr: (s) => (output += s) })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      [
        '',
        'Examples (as root):',
        "  netlab up labs/two-node.yaml                 build seed 000's two nodes and four pods",
        '  netlab exec two-node node1 -- ip route       look inside a node',
        '  netlab test labs/two-node.yaml --junit out.xml',
        '  netlab trace two-node pod1 pod4 --verify     walk a packet and watch every hop',
        "  netlab bgp calico node1 show route           ask a calico node's BGP daemon",
        '  netlab node loadbalancer-l2 node3 down       unplug a node: MetalLB moves its addresses',
        '  netlab down two-node',
        '',
        'Exit codes: 0 ok, 1 a test failed, 2 bad lab file or usage, 3 something missing on this machine,',
        '4 the kernel refused (or a helper crashed), 5 the lab is busy with another netlab, 70 a bug in netlab.',
      ].join('\n'),
    )
    .enablePositionalOptions();

  program
    .command('validate')
    .description('check a lab file; print nothing but errors')
    .argument('<file>', 'lab file')
    .action((file: string) => set({ command: 'validate', file }));

  program
    .command('plan')
    .description('print what `up` would do, as a shell script (changes nothing)')
    .argument('<file>', 'lab file')
    .option('--json', 'the plan as JSON instead')
    .action((file: string, o: { json?: boolean }) => set({ command: 'plan', file, json: Boolean(o.json) }));

  program
    .command('up')
    .description('build the lab; when it is already up, repair only what differs from its plan')
    .argument('<file>', 'lab file')
    .option('--recreate', 'rebuild from nothing (also when the running lab differs from the file)')
    .option('--cni-path <dir>', 'allow CNI plugins from this directory (network.cni path); repeatable', collect, [])
    .option('--watch', 'run a watcher, so status reads only the pods it says changed (default: from 4,000 pods)')
    .option('--no-watch', 'run no watcher: status reads every namespace (a watcher taxes every rtnetlink notification on the host)')
    .action((file: string, o: { recreate?: boolean; cniPath: string[]; watch?: boolean }) =>
      set({ command: 'up', file, recreate: Boolean(o.recreate), cniPaths: o.cniPath, ...(o.watch === undefined ? {} : { watch: o.watch }) }),
    );

  program
    .command('test')
    .description("run the lab's tests; a lab that is not up is brought up first and taken down after")
    .argument('<file>', 'lab file')
    .option('--junit <path>', 'also write a JUnit XML report there')
    .option('--json', 'print the results as JSON instead of text')
    .option('--only <name>', 'run only the tests whose name contains this')
    .option('--concurrency <n>', 'independent tests in flight at once', '8')
    .option('--shard <i/n>', 'run only the i-th of n equal parts of the tests (a CI matrix of n machines runs each once)')
    .option('--cni-path <dir>', 'allow CNI plugins from this directory (network.cni path); repeatable', collect, [])
    .action((file: string, o: { junit?: string; json?: boolean; only?: string; concurrency: string; shard?: string; cniPath: string[] }) => {
      const concurrency = Number(o.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new UsageError('--concurrency takes a whole number from 1 to 256');
      const shard = o.shard === undefined ? undefined : parseShard(o.shard);
      set({ command: 'test', file, junit: o.junit, json: Boolean(o.json), only: o.only, concurrency, shard, cniPaths: o.cniPath });
    });

  program
    .command('merge-junit')
    .description("merge the JUnit reports of a lab's shards (netlab test --shard I/N --junit F) into one")
    .requiredOption('-o, --output <file>', 'where to write the merged report')
    .argument('<reports...>', 'the JUnit files of every shard')
    .action((inputs: string[], o: { output: string }) => set({ command: 'merge-junit', output: o.output, inputs }));

  program
    .command('down')
    .description('remove everything of a lab; fine when it is not up')
    .argument('<file-or-lab>', 'lab file or lab name')
    .action((target: string) => set({ command: 'down', target }));

  program
    .command('status')
    .description('what is up: nodes, pods, addresses, namespaces')
    .argument('[lab]', 'only this lab')
    .option('--json', 'machine-readable')
    .option('--full', "read every namespace, even those the lab's watcher says are unchanged")
    .action((lab: string | undefined, o: { json?: boolean; full?: boolean }) => set({ command: 'status', lab, json: Boolean(o.json), full: Boolean(o.full) }));

  program
    .command('exec')
    .description('run a command inside a node or pod namespace')
    .argument('<lab>', 'lab name')
    .argument('<node-or-pod>', 'where to run it')
    .argument('<command...>', 'the command, after --')
    .passThroughOptions()
    .action((lab: string, target: string, argv: string[]) => {
      // passThroughOptions keeps the `--` that separates netlab's words from the command's.
      const command = argv[0] === '--' ? argv.slice(1) : argv;
      if (command.length === 0) throw new UsageError('exec needs a command after --, e.g. netlab exec LAB pod1 -- ip addr');
      set({ command: 'exec', lab, target, argv: command });
    });

  program
    .command('bgp')
    .description("ask a calico node's BGP daemon: birdc's show commands (show protocols, show route), enable/disable/restart NAME")
    .argument('<lab>', 'lab name')
    .argument('<node>', 'the node whose BIRD to ask')
    .argument('[birdc...]', 'birdc command (default: show protocols)')
    .passThroughOptions()
    .action((lab: string, node: string, argv: string[]) => {
      const given = argv[0] === '--' ? argv.slice(1) : argv;
      const words = given.length > 0 ? given : ['show', 'protocols'];
      const problem = birdcCommandProblem(words);
      if (problem) throw new UsageError(`bgp: ${problem}`);
      set({ command: 'bgp', lab, node, argv: words });
    });

  program
    .command('node')
    .description("unplug a node from the fabric (down) or plug it back (up): its eth0's peer on the fabric bridge set down or up")
    .argument('<lab>', 'lab name')
    .argument('<node>', 'the node')
    .argument('<state>', 'down or up')
    .action((lab: string, node: string, state: string) => {
      if (state !== 'up' && state !== 'down') throw new UsageError(`node: "${state}" is neither down nor up`);
      set({ command: 'node', lab, node, state });
    });

  program
    .command('trace')
    .description('walk a packet hop by hop through the live kernel: routes, neighbours, veths, bridges, VXLAN')
    .argument('<lab>', 'lab name')
    .argument('<from>', 'pod or node that sends')
    .argument('<to>', 'pod, node, service/NAME, IPv4 address, or ingress, ingress/NAME, gateway/NAME (with --host, --path)')
    .option('--proto <proto>', 'icmp, tcp or udp (tcp when --port is given)')
    .option('--port <n>', 'destination port for tcp or udp')
    .option('--verify', 'capture on every hop at once, send the packet, and mark each hop seen or not')
    .option('--json', 'machine-readable')
    .option('--host <name>', 'to ingress, ingress/NAME or gateway/NAME: the Host header nginx routes by')
    .option('--path <path>', 'to ingress, ingress/NAME or gateway/NAME: the request path (default /)')
    .option('--header <header>', "to gateway/NAME: a request header 'Name: value' its matches read (repeatable)", (v: string, all: string[] = []) => [
      ...all,
      v,
    ])
    .action(
      (
        lab: string,
        from: string,
        to: string,
        o: { proto?: string; port?: string; verify?: boolean; json?: boolean; host?: string; path?: string; header?: string[] },
      ) => {
        const viaIngress = to === 'ingress' || to.startsWith('ingress/') || to.startsWith('gateway/');
        if ((o.host !== undefined || o.path !== undefined || o.header !== undefined) && !viaIngress)
          throw new UsageError('--host, --path and --header go with a trace to ingress, ingress/NAME or gateway/NAME');
        const headers: Record<string, string> = {};
        for (const h of o.header ?? []) {
          const m = /^([A-Za-z0-9-]{1,64}): ?([ -~]{0,256})$/.exec(h);
          if (!m) throw new UsageError(`--header "${h}" is not 'Name: value'`);
          headers[m[1]!] = m[2]!;
        }
        // CLI words are untrusted: a Host is a name (and port), a path printable ASCII without spaces.
        if (o.host !== undefined && !/^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/.test(o.host)) throw new UsageError(`--host "${o.host}" is not a host name`);
        if (o.path !== undefined && !/^\/[!-~]{0,1023}$/.test(o.path)) throw new UsageError(`--path "${o.path}" is not an absolute URL path`);
        if (viaIngress) {
          if (o.verify) throw new UsageError('--verify does not follow a request through nginx yet: trace without it');
          const http = { ...(o.host !== undefined ? { host: o.host } : {}), path: o.path ?? '/', ...(o.header ? { headers } : {}) };
          set({ command: 'trace', lab, from, to, proto: 'tcp', port: undefined, json: Boolean(o.json), verify: false, http });
          return;
        }
        const port = o.port === undefined ? undefined : Number(o.port);
        if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new UsageError('--port takes a port number from 1 to 65535');
        const proto = o.proto ?? (port !== undefined ? 'tcp' : 'icmp');
        if (proto !== 'icmp' && proto !== 'tcp' && proto !== 'udp') throw new UsageError('--proto is icmp, tcp or udp');
        if (proto !== 'icmp' && port === undefined) throw new UsageError(`--proto ${proto} needs --port`);
        set({ command: 'trace', lab, from, to, proto, port: proto === 'icmp' ? undefined : port, json: Boolean(o.json), verify: Boolean(o.verify) });
      },
    );

  program
    .command('graph')
    .description('a picture of the lab: nodes, bridges, VXLAN devices, pods, veths, tunnels')
    .argument('<file-or-lab>', 'lab file, or the name of a lab that is up')
    .option('--format <format>', 'svg (through Graphviz), mermaid or dot', 'svg')
    .option('-o, --output <path>', 'write it there instead of to stdout')
    .action((target: string, o: { format: string; output?: string }) => {
      if (o.format !== 'svg' && o.format !== 'mermaid' && o.format !== 'dot') throw new UsageError('--format is svg, mermaid or dot');
      set({ command: 'graph', target, format: o.format, output: o.output });
    });

  program
    .command('capture')
    .description('live tcpdump on an interface of a node or pod (tcpdump arguments after --, e.g. -w FILE)')
    .argument('<lab>', 'lab name')
    .argument('<where>', 'NODE-OR-POD:INTERFACE, e.g. node1:eth0')
    .argument('[tcpdump-args...]', 'passed to tcpdump (default: -nn -e -l)')
    .passThroughOptions()
    .action((lab: string, where: string, rest: string[]) => {
      set({ command: 'capture', lab, where, args: rest[0] === '--' ? rest.slice(1) : rest });
    });

  program
    .command('ui')
    .description('a live web page of a running lab: its picture, drift, test results and traces (read-only, token in the URL)')
    .argument('<lab>', 'lab name')
    .option('--port <n>', 'TCP port to serve on (0: any free one)', String(UI_PORT))
    .option('--listen <address>', 'IPv4 address to listen on; anything but loopback shows the lab to the network', '127.0.0.1')
    .action((lab: string, o: { port: string; listen: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port takes a port number from 0 to 65535');
      const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(o.listen);
      if (!octets || octets.slice(1).some((x) => Number(x) > 255)) throw new UsageError(`--listen "${o.listen}" is not an IPv4 address`);
      set({ command: 'ui', lab, listen: o.listen, port });
    });

  program
    .command('clean')
    .description('remove every netlab leftover on this host')
    .action(() => set({ command: 'clean' }));

  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
        return { command: 'help', text: output };
      }
      throw new UsageError(output.trim().replace(/^error: /, '') || e.message);
    }
    throw e;
  }
  if (!result) return { command: 'help', text: program.helpInformation() };
  return result;
}

export function parseShard(text: string): Shard {
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const total = m ? Number(m[2]) : NaN;
  if (!m || index < 1 || total < 1 || index > total) throw new UsageError(`--shard takes I/N with 1 <= I <= N, e.g. 1/4 (got "${text}")`);
  return { index, total };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
