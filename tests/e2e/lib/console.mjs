// What the browser tests share: where the console and the browser are, the launch flags, and
// a fresh Chromium profile per suite.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './server.mjs';

export const screenshotDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');
/** A running server to test instead of starting one (then users come from the environment). */
export const givenBaseUrl = process.env.SIYU_BASE_URL?.replace(/\/+$/, '');
export const ownServer = !givenBaseUrl;
export const webDist = path.join(repoRoot, 'web', 'dist');
export const executablePath = process.env.SIYU_CHROMIUM || '/usr/bin/chromium';
export const STEP_TIMEOUT_MS = 15_000;
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Why a browser suite cannot run here, or false. */
export function skipReason(admin) {
  if (ownServer && !fs.existsSync(path.join(webDist, 'index.html'))) {
    return 'the console is not built (web/dist): run `make web`';
  }
  if (!fs.existsSync(executablePath)) {
    return `no browser at ${executablePath}: install Debian's chromium (scripts/install-deps.sh test)`;
  }
  if (!admin.email || !admin.password) return 'SIYU_ADMIN_EMAIL and SIYU_ADMIN_PASSWORD are not set';
  return false;
}

/** Debian's Chromium on a throw-away profile at 1280×800 in Simplified Chinese. */
export async function launchConsoleBrowser(prefix) {
  const { chromium } = await import('playwright-core');
  fs.mkdirSync(screenshotDir, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    locale: 'zh-CN',
    timeout: STEP_TIMEOUT_MS,
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  const close = async () => {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { chromium, context, page, close };
}

/**
 * The steps every browser suite takes on `page`: numbered screenshots (`prefix` + NN-name.png),
 * logging in and out through the form, and API calls with the browser's session cookie.
 * `baseUrl` is a function, as suites learn the address once their server is up.
 */
export function consoleSteps(page, baseUrl, prefix = '') {
  let step = 0;
  return {
    async shot(name) {
      step += 1;
      const file = path.join(screenshotDir, `${prefix}${String(step).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path: file, fullPage: false });
    },
    async login(email, password) {
      await page.goto(`${baseUrl()}/login`);
      await page.locator('#email').fill(email);
      await page.locator('#password').fill(password);
      await page.locator('button[type="submit"]').click();
      await page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: STEP_TIMEOUT_MS });
    },
    async logout() {
      await page.getByTestId('user-menu').click();
      await page.getByRole('menuitem', { name: /退出登录|Sign out/ }).click();
      await page.waitForURL((url) => url.pathname.startsWith('/login'), { timeout: STEP_TIMEOUT_MS });
    },
    async api(method, apiPath, data) {
      const response = await page.request.fetch(`${baseUrl()}/api/v1${apiPath}`, { method, data });
      const text = await response.text();
      return { status: response.status(), body: text ? JSON.parse(text) : null };
    },
  };
}
