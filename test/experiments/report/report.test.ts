import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { chromium } from 'playwright-core';
import { cli, tmpdir } from '../cli/helpers';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('CLI: report', function () {
  this.timeout(300_000);

  it('writes a self-contained report.html whose charts render in headless Chromium without console errors', async () => {
    const dir = tmpdir();
    const spec = path.join(dir, 'spec.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({
        name: 'report-test',
        strategies: [{ name: 'native' }, { name: 'hardware-assisted' }, { name: 'trap-and-emulate', isa: 'virtualizable' }],
        workloads: [{ name: 'syscall', params: { n: 20 } }, { name: 'ptemod', params: { n: 20 } }],
        profiles: ['netburst-2006'],
        output: { charts: ['slowdown', 'breakdown', 'exits'] },
      }),
    );
    const out = path.join(dir, 'out');
    expect((await cli('experiment', spec, '--out', out, '--workers', '1')).code).to.equal(0);
    const r = await cli('report', out);
    expect(r.code, r.err).to.equal(0);
    const file = path.join(out, 'report.html');
    const html = fs.readFileSync(file, 'utf8');
    // self-contained: no external scripts, styles or images
    expect(html).to.not.match(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src="http/);
    expect(html).to.contain('Provenance').and.contain('report-test').and.contain('hardware-assisted');
    expect(fs.existsSync(CHROMIUM), `headless Chromium expected at ${CHROMIUM} (.ci/run installs Debian's chromium)`).to.equal(true);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`file://${file}`);
      await page.waitForFunction(() => document.querySelectorAll('.chart[data-rendered="yes"]').length === 3, undefined, { timeout: 30_000 });
      const marks = await page.evaluate(() => [...document.querySelectorAll('.chart')].map((c) => c.querySelectorAll('svg path, svg rect').length));
      expect(marks.every((n) => n > 5), `marks per chart: ${marks}`).to.equal(true);
      const texts = await page.evaluate(() => [...document.querySelectorAll('#chart-slowdown svg text')].map((t) => t.textContent));
      expect(texts).to.include('syscall');
      // the table marks each configuration with the colour its bars have in the slowdown chart
      const swatches = await page.evaluate(() =>
        [...document.querySelectorAll('td .swatch')].map((s) => [s.parentElement!.textContent, getComputedStyle(s).backgroundColor]),
      );
      const legend = await page.evaluate(() =>
        [...document.querySelectorAll('#chart-slowdown .role-legend-symbol path')].map((p) => getComputedStyle(p).fill),
      );
      const hw = swatches.find(([label]) => label === 'hardware-assisted')![1];
      expect(legend).to.include(hw);
      expect(new Set(swatches.map(([, c]) => c)).size).to.equal(3);
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });

  it('refuses a directory without an experiment', async () => {
    const r = await cli('report', tmpdir());
    expect(r.code).to.equal(2);
    expect(r.err).to.contain('holds no ringlab experiment');
  });
});
