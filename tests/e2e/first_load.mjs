// Console first load: times opening the login page (until the form shows) five times in
// headless Chromium against a running server. Usage: node tests/e2e/first_load.mjs BASE_URL
import { chromium } from 'playwright-core';
import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
const base = process.argv[2];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-'));
const ctx = await chromium.launchPersistentContext(dir, { executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless','--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--disable-sync','--no-first-run'] });
const page = ctx.pages()[0] ?? await ctx.newPage();
const results = [];
for (let i = 0; i < 5; i++) {
  await ctx.clearCookies();
  const t0 = Date.now();
  await page.goto(`${base}/login`, { waitUntil: 'load' });
  await page.locator('#email').waitFor();
  results.push(Date.now() - t0);
}
const nav = await page.evaluate(() => JSON.stringify(performance.getEntriesByType('navigation')[0].toJSON()));
const n = JSON.parse(nav);
console.log('login page until the form shows (ms):', results.join(', '), '| domContentLoaded', Math.round(n.domContentLoadedEventEnd), 'load', Math.round(n.loadEventEnd));
await ctx.close(); fs.rmSync(dir, { recursive: true, force: true });
