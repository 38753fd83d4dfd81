import { execa } from 'execa';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { upAndPass, commandLines, inNetns, isRoot, labFileAs, netlab, netnsOf, processesOf, testJson, until, writeLab } from '../helpers/kernel.js';

const LAB = 'it-ing';
const DB = 'it-ingdb';
const RX = 'it-ingrx';
const ext = `netlab.${LAB}.external`;
const ctrl = (i: number) => `netlab.${LAB}.pod.ingress-nginx.ingress-nginx-controller-${i}`;
const pidFile = (i: number) => `/run/netlab/${LAB}/ingress/ingress-nginx.ingress-nginx-controller-${i}/nginx.pid`;

/** nginx processes in a namespace, by their command line: masters and workers. */
async function nginxes(netns: string): Promise<string[]> {
  return (await commandLines(netns)).filter((c) => c.argv[0]?.startsWith('nginx')).map((c) => c.argv[0]!.split(' ').slice(0, 3).join(' '));
}

/** What Debian's nginx would write by itself: nothing of a lab may land there. */
function nginxDirs(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const dir of ['/var/log/nginx', '/var/lib/nginx']) {
    try {
      for (const f of readdirSync(dir, { recursive: true }) as string[]) out[`${dir}/${f}`] = statSync(`${dir}/${f}`).mtimeMs;
    } catch {
      // not there: nothing written either
    }
  }
  return out;
}

describe.skipIf(!isRoot)('Ingress on ingress-nginx (real nginx)', () => {
  afterAll(async () => {
    await netlab(['down', LAB]);
    await netlab(['down', DB]);
    await netlab(['down', RX]);
  });

  it('every request of the conformance path, host (HTTPS too) and class rules gives the table’s answer; nginx writes only in the lab', async () => {
    const before = nginxDirs();
    await upAndPass('ingress', LAB, 23);
    expect(await nginxes(ctrl(0))).toEqual(expect.arrayContaining([expect.stringMatching(/^nginx: master process/), 'nginx: worker process']));
    expect(await nginxes(ctrl(1))).toEqual(expect.arrayContaining([expect.stringMatching(/^nginx: master process/)]));
    expect(nginxDirs()).toEqual(before);
    const status = await netlab(['status', LAB]);
    expect(status.stdout).toMatch(
      /path-rules\s+nginx\s+exact-path-rules,prefix-path-rules,mixed-path-rules,trailing-slash-path-rules\s+192\.168\.19\.1,192\.168\.19\.2/,
    );
    expect(status.stdout).toMatch(/ingress-class\s+some-invalid-class-name\s+ingress-class\s+\(none: no controller serves its class\)/);
    // trace: kube-proxy's NodePort DNAT to a controller pod, nginx's choice and why, the onward connection to the backend.
    const traced = await netlab(['trace', LAB, 'external', 'ingress/path-rules', '--host', 'prefix-path-rules', '--path', '/aaa/bbb/ccc']);
    expect(traced.code).toBe(0);
    expect(traced.stdout).toContain('service-nodeports { tcp . 30000 }');
    expect(traced.stdout).toContain('location "/aaa/bbb/": the longest matching prefix (over "/aaa/", "/")');
    expect(traced.stdout).toMatch(/proxies to upstream default-aaa-slash-bbb-prefix-8080 \(service\/aaa-slash-bbb-prefix\)/);
    expect(traced.stdout).toMatch(/aaa-slash-bbb-prefix +arrive +delivered/);
  });

  it('rendered naively, exactly the trailing-slash and element-wise cases fail: nginx answers 301 and /aaa takes /aaaccc', async () => {
    const text = readFileSync('labs/ingress.yaml', 'utf8')
      .replace(/^name: .*$/m, `name: ${LAB}`)
      .replace(/^ {4}controller: k8s\.io\/ingress-nginx$/m, '    controller: k8s.io/ingress-nginx\n    rendering: naive');
    const file = await writeLab(LAB, text);
    expect((await netlab(['up', '--recreate', file])).code).toBe(0);
    const { code, report } = await testJson(file);
    expect(code).not.toBe(0);
    const failed = report.tests.filter((t) => t.status === 'failed');
    expect(failed.map((t) => t.name).sort()).toEqual([
      'Exact /foo/ does not match /foo (no 301 to /foo/)',
      'Prefix /aaa/bbb/ matches /aaa/bbb: its trailing slash is ignored (no 301)',
      'Prefix matches whole elements: /aaa is no prefix of /aaaccc',
    ]);
    expect(failed.find((t) => t.name.startsWith('Exact /foo/'))!.message).toContain('status 301, not 404');
  });

  it('up takes edited Ingresses with a reload: a request in flight completes, the new route answers, no pod is touched', async () => {
    const file = await labFileAs('ingress', LAB);
    expect((await netlab(['up', '--recreate', file])).code).toBe(0);
    const pids = await execa('ip', ['netns', 'pids', ctrl(0)]);
    // A POST whose body is half sent before the reload and finished after it.
    const script = `import socket,sys
s=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=10)
s.sendall(b"POST /foo HTTP/1.1\\r\\nHost: prefix-path-rules\\r\\nContent-Length: 10\\r\\nConnection: close\\r\\n\\r\\nhello")
print("sent",flush=True)
sys.stdin.readline()
s.sendall(b"world")
d=b""
while True:
  c=s.recv(65536)
  if not c: break
  d+=c
print(d.split(b"\\r\\n")[0].decode(),flush=True)`;
    const client = execa('ip', ['netns', 'exec', ext, 'python3', '-c', script, '192.168.19.1', '30000'], { reject: false });
    await new Promise<void>((resolve) => client.stdout!.once('data', () => resolve()));
    const edited = readFileSync(file, 'utf8').replace(
      '            - { path: /foo, pathType: Exact, backend: { service: { name: foo-exact, port: { number: 8080 } } } }',
      '            - { path: /foo, pathType: Exact, backend: { service: { name: foo-exact, port: { number: 8080 } } } }\n            - { path: /new, pathType: Exact, backend: { service: { name: foo-prefix, port: { number: 8080 } } } }',
    );
    const second = await writeLab(LAB, edited);
    const up = await netlab(['up', second]);
    expect(up.stdout).toMatch(/3 → 3 Ingresses: nginx reloaded in 2 controller pods, no connection cut/);
    client.stdin!.write('go\n');
    expect((await client).stdout).toContain('HTTP/1.1 200 OK');
    const answer = await inNetns(ext, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: exact-path-rules', 'http://192.168.19.1:30000/new']);
    expect(answer.stdout).toBe('200');
    // The master is the same process: a reload, not a restart.
    const master = readFileSync(pidFile(0), 'utf8').trim();
    expect(pids.stdout.split('\n')).toContain(master);
  });

  it('a killed nginx master is named by status; up ends its orphaned workers and starts it again', async () => {
    const file = await labFileAs('ingress', LAB);
    await netlab(['up', file]);
    process.kill(Number(readFileSync(pidFile(0), 'utf8')), 'SIGKILL');
    await until('the master to go', async () => !(await nginxes(ctrl(0))).some((c) => c.startsWith('nginx: master')), 5_000, 20);
    expect(await nginxes(ctrl(0))).toContain('nginx: worker process');
    expect((await netlab(['status', LAB])).stdout).toContain('pod ingress-nginx/ingress-nginx-controller-0: nginx is not running');
    expect((await netlab(['up', file])).code).toBe(0);
    expect((await nginxes(ctrl(0))).filter((c) => c.startsWith('nginx: master'))).toHaveLength(1);
    expect((await testJson(file)).code).toBe(0);
  });

  it('a defaultBackend-only Ingress catches every host, path and method, spread over all ten pods', async () => {
    await upAndPass('ingress-default-backend', DB);
    expect((await netlab(['down', DB])).code).toBe(0);
  });

  it("use-regex and rewrite-target: every location of their hosts a case-insensitive regex, as ingress-nginx's surprises say", async () => {
    await upAndPass('ingress-regex', RX, 7);
    const traced = await netlab(['trace', RX, 'external', 'ingress', '--host', 'rewrite.example', '--path', '/something/new']);
    expect(traced.stdout).toContain('the backend receives /new');
    expect((await netlab(['down', RX])).code).toBe(0);
  });

  it('leaves no nginx, namespace or file after SIGKILL of up while the controllers start', async () => {
    await netlab(['down', LAB]);
    const file = await labFileAs('ingress', LAB);
    const up = execa('node', ['bin/netlab.js', 'up', file], { reject: false });
    await until('an nginx to run', async () => (await nginxes(ctrl(0)).catch(() => [])).length > 0, 30_000, 5);
    up.kill('SIGKILL');
    await up;
    expect((await netlab(['down', LAB])).code).toBe(0);
    expect(await netnsOf(LAB)).toEqual([]);
    expect(await processesOf(LAB)).toEqual([]);
  });
});
