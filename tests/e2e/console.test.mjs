// Browser test of the web console against a running server: sign-in, overview, customers
// (create, search, detail), API keys, role-aware navigation for a guide and the phone layout.
//
// Environment:
//   SIYU_BASE_URL                          a server serving the console and /api/v1; without it the test
//                                          starts SIYU_BIN on the demo brand with web/dist (skips when
//                                          the console is not built)
//   SIYU_ADMIN_EMAIL, SIYU_ADMIN_PASSWORD  an owner or admin of the tenant (with SIYU_BASE_URL)
//   SIYU_GUIDE_EMAIL, SIYU_GUIDE_PASSWORD  optional; without them a guide is created through the API
//   SIYU_CHROMIUM                          optional browser path (default /usr/bin/chromium)
// Screenshots of every step go to tests/e2e/screenshots/.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot, startServer } from './lib/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const screenshotDir = path.join(here, 'screenshots');

let baseUrl = process.env.SIYU_BASE_URL?.replace(/\/+$/, '');
const ownServer = !baseUrl;
const webDist = path.join(repoRoot, 'web', 'dist');
const admin = ownServer
  ? { email: 'owner@demo.siyu.local', password: 'siyu-demo-2026' }
  : { email: process.env.SIYU_ADMIN_EMAIL, password: process.env.SIYU_ADMIN_PASSWORD };
const givenGuide = { email: process.env.SIYU_GUIDE_EMAIL, password: process.env.SIYU_GUIDE_PASSWORD };
const executablePath = process.env.SIYU_CHROMIUM || '/usr/bin/chromium';

const skip = ownServer && !fs.existsSync(path.join(webDist, 'index.html'))
  ? 'the console is not built (web/dist): run `make web`'
  : !fs.existsSync(executablePath)
    ? `no browser at ${executablePath}: install Debian's chromium (scripts/install-deps.sh test)`
    : !admin.email || !admin.password
    ? 'SIYU_ADMIN_EMAIL and SIYU_ADMIN_PASSWORD are not set'
    : false;

const STEP_TIMEOUT_MS = 15_000;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

function uniq(prefix) {
  return `${prefix}${crypto.randomBytes(4).toString('hex')}`;
}

/** A mainland mobile number no other test run is likely to hold. */
function randomMobile() {
  return `139${String(crypto.randomInt(0, 100_000_000)).padStart(8, '0')}`;
}

/** Waits until `locator` matches exactly `count` elements. */
async function waitForCount(locator, count, timeout = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeout;
  let seen = await locator.count();
  while (seen !== count) {
    if (Date.now() > deadline) assert.fail(`expected ${count} matching elements, saw ${seen}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    seen = await locator.count();
  }
}

describe('web console', { skip, timeout: 90_000 }, () => {
  let chromium;
  let context;
  let page;
  let userDataDir;
  const customerName = uniq('E2E客户');
  const customerPhone = randomMobile();
  let customerStore = null;
  let step = 0;

  async function shot(name) {
    step += 1;
    const file = path.join(screenshotDir, `${String(step).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: false });
  }

  async function login(email, password) {
    await page.goto(`${baseUrl}/login`);
    await page.locator('#email').fill(email);
    await page.locator('#password').fill(password);
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: STEP_TIMEOUT_MS });
  }

  async function logout() {
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: /退出登录|Sign out/ }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/login'), { timeout: STEP_TIMEOUT_MS });
  }

  /** Calls the API with the browser's session cookie. */
  async function api(method, apiPath, data) {
    const response = await page.request.fetch(`${baseUrl}/api/v1${apiPath}`, { method, data });
    const text = await response.text();
    return { status: response.status(), body: text ? JSON.parse(text) : null };
  }

  /**
   * A guide's credentials: from the environment, or a new guide of the new customer's store
   * created with the admin session.
   */
  async function guideCredentials() {
    if (givenGuide.email && givenGuide.password) return givenGuide;
    const guide = {
      email: `${uniq('guide-')}@e2e.siyu.test`,
      password: `Gd-${crypto.randomBytes(9).toString('base64url')}`,
    };
    const body = { email: guide.email, name: 'E2E 导购', role: 'guide', password: guide.password };
    if (customerStore) body.store_ids = [customerStore];
    const created = await api('POST', '/users', body);
    assert.equal(created.status, 201, `creating the guide answered ${created.status} ${JSON.stringify(created.body)}`);
    return guide;
  }

  let server;

  before(async () => {
    if (ownServer) {
      server = await startServer({ args: ['--web-dir', webDist, '--demo'] });
      baseUrl = server.baseUrl;
    }
    ({ chromium } = await import('playwright-core'));
    fs.mkdirSync(screenshotDir, { recursive: true });
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-console-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      locale: 'zh-CN',
      timeout: STEP_TIMEOUT_MS,
    });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close();
    await server?.stop();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  test('an unauthenticated visit goes to the login page and returns afterwards', async () => {
    await page.goto(`${baseUrl}/customers`);
    await page.waitForURL(/\/login\?next=%2Fcustomers/);
    await shot('login');
    // A refused login is simulated in the browser: real failures would count towards the
    // server's login back-off and make repeated runs against one server flaky.
    await page.route(
      '**/api/v1/auth/login',
      (route) =>
        route.fulfill({
          status: 401,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'unauthenticated', message: 'invalid email or password' } }),
        }),
      { times: 1 },
    );
    await page.locator('#email').fill(admin.email);
    await page.locator('#password').fill(`${admin.password}-wrong`);
    await page.locator('button[type="submit"]').click();
    await page.getByTestId('login-error').waitFor();
    await page.unrouteAll();
    await page.locator('#password').fill(admin.password);
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.pathname === '/customers');
  });

  test('the admin sees the overview with its charts', async () => {
    await page.goto(`${baseUrl}/overview`);
    await page.getByRole('heading', { name: '概览' }).waitFor();
    await page.locator('.ant-statistic').first().waitFor();
    await page.locator('[data-testid="chart-new-by-day"] canvas, .ant-card .ant-empty').first().waitFor();
    const menu = page.locator('.ant-layout-sider .ant-menu');
    for (const label of ['概览', '客户', '设置']) await menu.getByText(label, { exact: true }).waitFor();
    await shot('overview');
  });

  test('the admin creates a customer in the drawer', async () => {
    await page.locator('.ant-layout-sider .ant-menu').getByText('客户', { exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/customers');
    await page.locator('[data-testid="customer-table"], [data-testid="customers-empty"]').first().waitFor();
    await shot('customers');

    await page.getByTestId('customer-create').click();
    const form = page.getByTestId('customer-form');
    await form.locator('#phone').fill('12345');
    await page.getByTestId('customer-save').click();
    await form.locator('.ant-form-item-explain-error').first().waitFor();
    await form.locator('#name').fill(customerName);
    await form.locator('#phone').fill(customerPhone);
    await form.locator('#store_id').click();
    const storeOption = page.locator(
      '.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option[data-store-kind="store"]',
    );
    const hasStore = await storeOption
      .first()
      .waitFor({ timeout: 3_000 })
      .then(() => true)
      .catch(() => false);
    if (hasStore) {
      customerStore = Number(await storeOption.first().getAttribute('data-store-id'));
      await storeOption.first().click();
    } else {
      await page.keyboard.press('Escape');
    }
    await shot('customer-create');
    await page.getByTestId('customer-save').click();
    await page.waitForURL(/\/customers\/\d+$/);
    await page.getByTestId('customer-title').getByText(customerName).waitFor();
  });

  test('the new customer is found by search and its detail page opens', async () => {
    await page.goto(`${baseUrl}/customers`);
    const search = page.locator('input[data-testid="customer-search"], [data-testid="customer-search"] input').first();
    await search.fill(customerPhone);
    await search.press('Enter');
    await page.waitForURL(/q=/);
    await waitForCount(page.getByTestId('customer-table').locator('tbody tr.ant-table-row'), 1);
    const row = page.getByTestId('customer-table').getByRole('link', { name: customerName });
    await row.waitFor();
    await shot('customer-search');

    await row.click();
    await page.waitForURL(/\/customers\/\d+$/);
    await page.getByTestId('customer-profile').getByText(`+86${customerPhone}`).first().waitFor();
    await page.getByTestId('customer-identifiers').waitFor();
    await shot('customer-detail');
  });

  test('the admin creates an API key that is shown once', async () => {
    const menu = page.locator('.ant-layout-sider .ant-menu');
    await menu.getByText('设置', { exact: true }).click();
    await menu.getByText('API 密钥', { exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/settings/api-keys');
    await page.getByTestId('api-key-create').click();
    const keyName = uniq('e2e-key-');
    await page.getByTestId('api-key-form').locator('#name').fill(keyName);
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /创建密钥/ })
      .click();
    const secret = page.getByTestId('secret-once');
    await secret.waitFor();
    assert.match((await secret.innerText()).trim(), /^sk_\S+$/);
    await shot('api-key-created');
    await page.getByTestId('api-key-done').click();
    await secret.waitFor({ state: 'detached' });
    await page.getByTestId('api-key-table').getByText(keyName).waitFor();
  });

  test('a guide sees neither the settings menu nor the users page', async () => {
    const guide = await guideCredentials();
    await logout();
    await login(guide.email, guide.password);
    const menu = page.locator('.ant-layout-sider .ant-menu');
    await menu.getByText('客户', { exact: true }).waitFor();
    assert.equal(await menu.getByText('设置', { exact: true }).count(), 0, 'the settings menu is hidden from guides');

    await page.goto(`${baseUrl}/settings/users`);
    await page.locator('.ant-result-403, .ant-result').first().waitFor();
    assert.equal(await page.getByTestId('user-create').count(), 0, 'no user administration for guides');
    assert.equal(await page.getByRole('heading', { name: '成员与角色' }).count(), 0);
    await shot('guide-forbidden');
  });

  test('the customer list fits a 390 px phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${baseUrl}/customers`);
    await page.locator('[data-testid="customer-cards"], [data-testid="customers-empty"]').first().waitFor();
    assert.equal(await page.locator('.ant-layout-sider').count(), 0, 'the sider turns into a drawer on phones');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
    await shot('guide-customers-phone');

    await page.getByRole('button', { name: '菜单' }).click();
    await page.locator('.ant-drawer .ant-menu').getByText('客户', { exact: true }).waitFor();
    await shot('guide-menu-phone');
  });
});
