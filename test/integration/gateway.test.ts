import { execa } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { upAndPass, commandLines, inNetns, isRoot, labFileAs, netlab, netnsOf, processesOf, testJson, until, writeLab } from '../helpers/kernel.js';

const LAB = 'it-gw';
const ext = `netlab.${LAB}.external`;
const gwNs = `netlab.${LAB}.pod.same-namespace-nginx`;

/** nginx processes in a namespace, by their command line. */
async function nginxes(netns: string): Promise<string[]> {
  return (await commandLines(netns)).filter((c) => c.argv[0]?.startsWith('nginx')).map((c) => c.argv[0]!);
}

describe.skipIf(!isRoot)('Gateway API HTTPRoutes on NGINX Gateway Fabric’s data plane (real nginx)', () => {
  afterAll(async () => {
    await netlab(['down', LAB]);
  });

  it('every request of the core HTTPRoute tests gives the table’s answer, the weights within 5 points', async () => {
    await upAndPass('gateway', LAB, 130);
    // trace: to the Gateway's nginx, the match that held and why, on to the backend.
    const traced = await netlab([
      'trace',
      LAB,
      'external',
      'gateway/same-namespace',
      '--host',
      'headers.example',
      '--header',
      'Version: two',
      '--header',
      'Color: blue',
    ]);
    expect(traced.code).toBe(0);
    expect(traced.stdout).toContain("header-matching rule 1, match 0 (PathPrefix /, version: two): the first that holds of 7, in the spec's precedence");
    expect(traced.stdout).toMatch(/infra-backend-v2 +arrive +delivered/);
  });

  it('status shows each route’s conditions as NGF writes them, and the attached routes per listener', async () => {
    const s = (await netlab(['status', LAB])).stdout;
    expect(s).toMatch(/same-namespace\s+nginx\s+192\.168\.19\.1,192\.168\.19\.2\s+True\s+http 80 \(22 routes\)/);
    expect(s).toMatch(
      /nonexistent-backend\s+missing\.example\s+default\/same-namespace: Accepted True\s+False \(BackendNotFound: Service default\/nonexistent not found\)/,
    );
    expect(s).toMatch(/unknown-kind\s+kind\.example\s+default\/same-namespace: Accepted True\s+False \(InvalidKind/);
    expect(s).toMatch(/not-matching-section-name\s+section\.example\s+default\/same-namespace\/nonexistent: Accepted False \(NoMatchingParent\)/);
    expect(s).toMatch(/other\/invalid-cross-namespace-parent\s+crossns\.example\s+default\/same-namespace: Accepted False \(NotAllowedByListeners\)/);
    expect(s).toMatch(
      /other\/invalid-cross-namespace-backend-ref\s+invalid-crossns-backend\.example\s+default\/backend-namespaces: Accepted True\s+False \(RefNotPermitted/,
    );
    expect(s).toMatch(
      /same-namespace-with-https-listener\s+nginx\s+\S+\s+True\s+https 443 HTTPS \(1 route\); https-with-hostname 443 HTTPS second-example\.org \(1 route\)/,
    );
  });

  it('up takes an edited route with a reload: the new path answers, the old one is gone, the master stays', async () => {
    const file = await labFileAs('gateway', LAB);
    const master = (await nginxes(gwNs)).find((c) => c.startsWith('nginx: master'));
    const edited = readFileSync(file, 'utf8').replace('"value": "/one"}}]', '"value": "/uno"}}]');
    expect(edited).not.toBe(readFileSync(file, 'utf8'));
    const up = await netlab(['up', await writeLab(LAB, edited)]);
    expect(up.stdout).toMatch(/38 → 38 HTTPRoutes: nginx reloaded for 6 Gateways, no connection cut/);
    const code = async (path: string) =>
      (await inNetns(ext, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: exact.example', `http://192.168.19.1:30000${path}`])).stdout;
    expect(await code('/uno')).toBe('200');
    expect(await code('/one')).toBe('404');
    expect((await nginxes(gwNs)).find((c) => c.startsWith('nginx: master'))).toBe(master);
    expect((await netlab(['up', file])).code).toBe(0);
  });

  it('a ReferenceGrant taken away: up reloads, the backend it allowed answers 500, the route says RefNotPermitted (HTTPRouteReferenceGrant)', async () => {
    const file = await labFileAs('gateway', LAB);
    const text = readFileSync(file, 'utf8');
    const grant = /\nreferenceGrants:\n(?: {2}.*\n)+/.exec(text)![0];
    const up = await netlab(['up', await writeLab(LAB, text.replace(grant, '\n'))]);
    expect(up.code, up.stderr).toBe(0);
    const row = 'ReferenceGrant: the granted backend of another namespace answers';
    expect((await testJson(file, ['--only', row])).code).toBe(1);
    const s = (await netlab(['status', LAB])).stdout;
    expect(s).toMatch(/reference-grant\s+grant\.example\s+default\/same-namespace: Accepted True\s+False \(RefNotPermitted/);
    const code = (await inNetns(ext, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: grant.example', 'http://192.168.19.1:30000/']))
      .stdout;
    expect(code).toBe('500');
    expect((await netlab(['up', file])).code).toBe(0);
    expect((await testJson(file, ['--only', row])).code).toBe(0);
  });

  it('broken on purpose (the two-header match taken out of the live config), its row fails; status names the file; up repairs it', async () => {
    const file = await labFileAs('gateway', LAB);
    const conf = `/run/netlab/${LAB}/gateway/default.same-namespace/nginx.conf`;
    const text = readFileSync(conf, 'utf8');
    const broken = text.replace(/\n {6}set (\$gw_m\d+) "\$http_version\|\$http_color";\n {6}if \(\1 = "two\|orange"\)[^\n]*/, '');
    expect(broken).not.toBe(text);
    writeFileSync(conf, broken);
    process.kill(Number(readFileSync(`/run/netlab/${LAB}/gateway/default.same-namespace/nginx.pid`, 'utf8')), 'SIGHUP');
    const row = 'HeaderMatching: Version: two, Color: orange (2 header matches beat 1)';
    await until('nginx to take the broken config', async () => (await testJson(file, ['--only', row])).code !== 0, 5_000, 100);
    const { report } = await testJson(file, ['--only', row]);
    expect(report.tests[0]!.message).toContain('infra-backend-v2 answered, which is not an endpoint of service/infra-backend-v1');
    expect((await netlab(['status', LAB])).stdout).toContain(`file ${conf} was changed: it is not what netlab wrote`);
    expect((await netlab(['up', file])).code).toBe(0);
    expect((await testJson(file, ['--only', row])).code).toBe(0);
  });

  it('leaves no nginx, namespace or file after SIGKILL of up while the Gateways start', async () => {
    await netlab(['down', LAB]);
    const file = await labFileAs('gateway', LAB);
    const up = execa('node', ['bin/netlab.js', 'up', file], { reject: false });
    await until('a Gateway nginx to run', async () => (await nginxes(gwNs).catch(() => [])).length > 0, 30_000, 5);
    up.kill('SIGKILL');
    await up;
    expect((await netlab(['down', LAB])).code).toBe(0);
    expect(await netnsOf(LAB)).toEqual([]);
    expect(await processesOf(LAB)).toEqual([]);
  });
});
