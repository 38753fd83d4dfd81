import { execa, type ResultPromise } from 'execa';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, netlab, testJson, upForTests } from '../helpers/kernel.js';

const LAB = 'it-ui';
const NODE1 = `netlab.${LAB}.node.node1`;
/** Screenshots of each state the test reaches, kept for a person to look at (CI keeps the folder as an artifact). */
const ARTIFACTS = process.env.NETLAB_TEST_ARTIFACTS ?? join('test-results', 'ui');
/** Debian's browser: nothing is downloaded. */
const CHROMIUM = process.env.NETLAB_CHROMIUM ?? '/usr/bin/chromium';

describe.skipIf(!isRoot)('netlab ui in a real browser (headless Chromium)', () => {
  const file = upForTests('two-node', LAB);
  let ui: ResultPromise | undefined;
  let url = '';
  let origin = '';
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ui = execa(process.execPath, ['bin/netlab.js', 'ui', LAB, '--port', '0'], { reject: false, env: { CI: 'true' } });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      ui!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      void ui!.then((r) => reject(new Error(`netlab ui ended before it served: ${String(r.stderr)}`)));
    });
    origin = new URL(url).origin;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    // Ended by its PID, as any process a test starts.
    if (ui?.pid && ui.exitCode === null) process.kill(ui.pid, 'SIGTERM');
    await ui;
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

  it('refuses a request without the token, with a wrong one, from another Host, and anything but GET', async () => {
    const token = new URL(url).searchParams.get('token')!;
    expect((await fetch(`${origin}/`)).status).toBe(403);
    expect((await fetch(`${origin}/api/snapshot`)).status).toBe(403);
    expect((await fetch(`${origin}/api/trace?from=pod1&to=pod4`)).status).toBe(403);
    expect((await fetch(`${origin}/?token=${token.slice(0, -1)}x`)).status).toBe(403);
    expect((await fetch(`${origin}/events`, { headers: { cookie: 'netlab_ui_token=nope' } })).status).toBe(403);
    expect((await fetch(`${origin}/?token=${token}`, { method: 'POST' })).status).toBe(405);
    // A page of another site that resolves its own name to 127.0.0.1 (DNS rebinding) is refused by its Host.
    const rebound = await execa('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: evil.example:80', `${origin}/?token=${token}`], {
      reject: false,
    });
    expect(rebound.stdout).toBe('421');
    // No path names a file: only the page's own.
    expect((await fetch(`${origin}/../../etc/passwd?token=${token}`)).status).toBe(404);
    expect((await fetch(`${origin}/index.html?token=${token}`)).status).toBe(404);
    // A trace's words are checked as the CLI's: an option smuggled in as a name is refused.
    const smuggled = await fetch(`${origin}/api/trace?token=${token}&from=--help&to=pod4`);
    expect(smuggled.status).toBe(400);
  });

  it('shows every node and pod; clicking pod1 shows its address and veth', async () => {
    await page.goto(url);
    for (const id of [
      'fabric',
      'node/node1',
      'node/node2',
      'node/node1/eth0',
      'node/node1/flannel.1',
      'node/node1/cni0',
      'pod/pod1',
      'pod/pod2',
      'pod/pod3',
      'pod/pod4',
    ])
      await page.waitForSelector(`[data-id="${id}"]`, { timeout: 10_000 });
    // The token left the address bar (a projector shows it) and lives on in the page's cookie.
    expect(page.url()).not.toContain('token=');
    await shot('1-lab');
    await page.click('[data-id="pod/pod1"]');
    await expect.poll(() => page.textContent('#details-title')).toBe('pod pod1');
    const fields = await page.textContent('#fields');
    expect(fields).toContain('10.244.0.2');
    expect(fields).toMatch(/host veth\s*veth[0-9a-f]{8}/);
    await shot('2-pod1');
    // A node: its live routes, as ip route prints them (the tunnel's onlink route to the other node's pods).
    await page.click('[data-id="node/node1"]', { position: { x: 12, y: 12 } });
    await expect.poll(() => page.textContent('#details-title')).toBe('node node1');
    expect(await page.textContent('#fields')).toContain('10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink');
  });

  it('draws a trace pod1 → pod4 hop by hop, in the order netlab trace gives, and shows where --verify captured it', async () => {
    const cli = await netlab(['trace', LAB, 'pod1', 'pod4', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const expected = (JSON.parse(cli.stdout) as { hops: Array<{ n: number; where: string; iface?: string }> }).hops;
    await page.fill('#from', 'pod1');
    await page.fill('#to', 'pod4');
    await page.click('#trace-button');
    await page.waitForSelector('#hops li');
    const listed = await page.$$eval('#hops li', (lis) => lis.map((li) => ({ n: Number(li.dataset.n), text: li.textContent ?? '', box: li.dataset.box })));
    expect(listed.map((h) => h.n)).toEqual(expected.map((h) => h.n));
    expect(listed.map((h) => h.text.split(' ')[0])).toEqual(expected.map((h) => h.where));
    // Drawn across the picture: starts at pod1, crosses node1's flannel.1, the fabric and node2's, ends at pod4.
    const boxes = listed.map((h) => h.box);
    expect(boxes[0]).toBe('pod/pod1');
    expect(boxes.at(-1)).toBe('pod/pod4');
    expect(boxes).toEqual(expect.arrayContaining(['node/node1/cni0', 'node/node1/flannel.1', 'fabric', 'node/node2/flannel.1', 'node/node2/cni0']));
    expect(boxes.indexOf('node/node1/flannel.1')).toBeLessThan(boxes.indexOf('fabric'));
    expect(boxes.indexOf('fabric')).toBeLessThan(boxes.indexOf('node/node2/flannel.1'));
    const marks = await page.$$eval('.hop-mark', (gs) => gs.map((g) => Number(g.getAttribute('data-n'))));
    expect(marks).toEqual(expected.map((h) => h.n));
    expect(await page.getAttribute('.trace-path', 'points')).toMatch(/^(\d+(\.\d+)?,\d+(\.\d+)? ){2,}/);
    await shot('3-trace');

    await page.click('#verify-button');
    await expect.poll(() => page.textContent('#trace-result'), { timeout: 30_000 }).toContain('verified:');
    expect(await page.textContent('#hops')).toContain('✔ captured here');
    await shot('4-verified');
  });

  it('follows a netlab test run as it happens', async () => {
    const { code, report } = await testJson(file(), ['--only', 'reach each other']);
    expect(code).toBe(0);
    expect(report.tests.map((t) => t.name)).toEqual(
      expect.arrayContaining(['pods on one node reach each other over cni0', 'pods on different nodes reach each other over VXLAN']),
    );
    await expect.poll(() => page.textContent('#tests-summary'), { timeout: 5000 }).toMatch(new RegExp(`^${report.passed} passed, 0 failed`));
    const rows = await page.$$eval('#test-list li', (lis) => lis.map((li) => li.textContent));
    expect(rows).toEqual(report.tests.map((t) => `✔ ${t.name}`));
    await shot('5-tests');
  });

  it('turns node1 red within 2 s of flannel.1 being deleted by hand, naming the device', async () => {
    const before = Date.now();
    await execa('ip', ['-n', NODE1, 'link', 'del', 'flannel.1']);
    await page.waitForSelector('[data-id="node/node1"].drift', { timeout: 2000 });
    const seconds = (Date.now() - before) / 1000;
    expect(await page.textContent('[data-id="node/node1"] .drift-text')).toContain('flannel.1');
    expect(await page.getAttribute('[data-id="node/node1/flannel.1"]', 'class')).toContain('drift');
    expect(await page.getAttribute('[data-id="node/node2"]', 'class')).not.toContain('drift');
    expect(await page.textContent('#drift-list')).toContain('node node1: link flannel.1 is missing');
    process.stdout.write(`netlab ui: node1 red ${seconds.toFixed(2)} s after flannel.1 was deleted\n`);
    await shot('6-drift');
    // Repaired by up: the picture turns back.
    expect((await netlab(['up', file()])).code).toBe(0);
    await page.waitForSelector('[data-id="node/node1"]:not(.drift)', { timeout: 5000 });
  });

  it('says so when the lab goes down and when netlab ui stops, never a blank page', async () => {
    expect((await netlab(['down', LAB])).code).toBe(0);
    await expect.poll(() => page.textContent('#banner'), { timeout: 5000 }).toContain(`Lab "${LAB}" is not up`);
    expect(await page.isVisible('[data-id="node/node1"]')).toBe(true);
    await shot('7-lab-down');
    process.kill(ui!.pid!, 'SIGTERM');
    await ui;
    await expect.poll(() => page.textContent('#banner'), { timeout: 5000 }).toContain('Lost the connection to netlab ui');
    await shot('8-ui-stopped');
  });
});
