// Browser test of the web console against a running server: sign-in, overview, customers
// (create, search, detail), tracked events on the customer timeline and the computed attributes,
// the event chart of the overview, identity conflicts, API keys, role-aware navigation for a
// guide and the phone layout.
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
import { startServer } from './lib/server.mjs';
import { consoleSteps, givenBaseUrl, launchConsoleBrowser, ownServer, skipReason, STEP_TIMEOUT_MS, webDist } from './lib/console.mjs';

let baseUrl = givenBaseUrl;
const admin = ownServer
  ? { email: 'owner@demo.siyu.local', password: 'siyu-demo-2026' }
  : { email: process.env.SIYU_ADMIN_EMAIL, password: process.env.SIYU_ADMIN_PASSWORD };
const givenGuide = { email: process.env.SIYU_GUIDE_EMAIL, password: process.env.SIYU_GUIDE_PASSWORD };

const skip = skipReason(admin);

function uniq(prefix) {
  return `${prefix}${crypto.randomBytes(4).toString('hex')}`;
}

/** A mainland mobile number no other test run is likely to hold. */
function randomMobile() {
  return `139${String(crypto.randomInt(0, 100_000_000)).padStart(8, '0')}`;
}

const MINUTE_MS = 60_000;

const iso = (ms) => new Date(ms).toISOString();

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
  let browser;
  let page;
  const customerName = uniq('E2E客户');
  const customerPhone = randomMobile();
  const customerUserId = uniq('e2e-user-');
  let customerStore = null;
  let customerId = null;
  let writeKey = null;

  let shot, login, logout, api;

  /** Opens a page of the sider's sub-menu, unfolding the sub-menu when it is closed. */
  async function openSubPage(group, label) {
    const menu = page.locator('.ant-layout-sider .ant-menu');
    const item = menu.getByText(label, { exact: true });
    if (!(await item.isVisible())) await menu.getByText(group, { exact: true }).click();
    await item.click();
  }

  /** Sends tracking messages with the write key, as an app or mini-program would. */
  async function track(batch) {
    const response = await page.request.post(`${baseUrl}/v1/batch`, {
      headers: { Authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
      data: { batch },
    });
    const body = await response.json();
    assert.equal(response.status(), 200, `the batch answered ${response.status()} ${JSON.stringify(body)}`);
    assert.deepEqual(body.rejected, [], `rejected messages: ${JSON.stringify(body.rejected)}`);
    return body;
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
    browser = await launchConsoleBrowser('siyu-console-');
    page = browser.page;
    ({ shot, login, logout, api } = consoleSteps(page, () => baseUrl, ''));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
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
    await openSubPage('客户', '客户列表');
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
    customerId = Number(new URL(page.url()).pathname.split('/').pop());
    await page.getByTestId('customer-computed').getByText('潜在客户').waitFor();
    await page.getByTestId('customer-timeline').getByTestId('timeline-empty').waitFor();
    await shot('customer-detail');
  });

  test('tracked events show on the timeline and in the spending card', async () => {
    const key = await api('POST', '/api-keys', { name: uniq('e2e-write-'), kind: 'write' });
    assert.equal(key.status, 201, `creating the write key answered ${key.status} ${JSON.stringify(key.body)}`);
    writeKey = key.body.key;
    const now = Date.now();
    const accepted = await track([
      {
        type: 'identify',
        userId: customerUserId,
        traits: { phone: customerPhone },
        timestamp: iso(now - 30 * MINUTE_MS),
      },
      {
        type: 'track',
        userId: customerUserId,
        event: 'Product Viewed',
        properties: { product_id: 'SKU-E2E-1', name: '羊绒围巾', price: 268.5 },
        timestamp: iso(now - 20 * MINUTE_MS),
      },
      {
        type: 'track',
        userId: customerUserId,
        event: 'Order Completed',
        properties: { order_id: uniq('e2e-order-'), revenue: 268.5, currency: 'CNY' },
        timestamp: iso(now - 10 * MINUTE_MS),
      },
    ]);
    assert.equal(accepted.accepted, 3);

    await page.reload();
    const computed = page.getByTestId('customer-computed');
    await computed.getByText('首购').waitFor();
    const orders = computed.getByTestId('computed-orders').locator('.ant-statistic-content');
    assert.equal((await orders.innerText()).trim(), '1');
    await computed.getByTestId('computed-spent').getByText('¥268.50').waitFor();
    await computed.scrollIntoViewIfNeeded();
    await shot('customer-computed');

    const timeline = page.getByTestId('customer-timeline');
    await waitForCount(timeline.getByTestId('timeline-item'), 3);
    const labels = await timeline.getByTestId('timeline-event-label').allInnerTexts();
    assert.deepEqual(labels, ['完成订单', '浏览商品', '身份识别'], 'newest first, with translated names');
    await timeline.getByTestId('timeline-revenue').getByText('¥268.50').waitFor();
    await timeline.getByTestId('timeline-details-toggle').first().click();
    await timeline.locator('.siyu-json').getByText(/"order_id"/).waitFor();
    await timeline.getByTestId('timeline-end').waitFor();
    await timeline.scrollIntoViewIfNeeded();
    await shot('customer-timeline');

    await timeline.getByTestId('timeline-event-filter').click();
    await page.keyboard.type('Product Viewed');
    await page.keyboard.press('Enter');
    await waitForCount(timeline.getByTestId('timeline-item'), 1);
    assert.deepEqual(await timeline.getByTestId('timeline-event-label').allInnerTexts(), ['浏览商品']);
  });

  test('the overview charts the events of the range', async () => {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const counts = await api('GET', '/analytics/events');
      assert.equal(counts.status, 200);
      if (counts.body.data.some((row) => row.event === 'Order Completed')) break;
      if (Date.now() > deadline) assert.fail(`no Order Completed in ${JSON.stringify(counts.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await page.goto(`${baseUrl}/overview`);
    const card = page.getByTestId('overview-events');
    await card.getByText('事件概览').waitFor();
    await card.locator('[data-testid="chart-events"] canvas').waitFor();
    await card.scrollIntoViewIfNeeded();
    await shot('overview-events');
  });

  test('identity conflicts are listed with links to both customers', async () => {
    const otherName = uniq('E2E冲突');
    const otherUnionId = uniq('o6_e2e');
    const other = await api('POST', '/customers', {
      name: otherName,
      identifiers: [
        { type: 'user_id', value: uniq('e2e-other-') },
        { type: 'wechat_unionid', value: otherUnionId },
      ],
    });
    assert.equal(other.status, 201, `creating the other customer answered ${other.status}`);
    // One message names both customers; merging would give one customer two user ids.
    await track([
      {
        type: 'track',
        userId: customerUserId,
        event: 'Live Code Scanned',
        context: { externalIds: [{ type: 'wechat_unionid', id: otherUnionId }] },
        timestamp: iso(Date.now() - MINUTE_MS),
      },
    ]);

    await openSubPage('客户', '身份冲突');
    await page.waitForURL((url) => url.pathname === '/customers/conflicts');
    const row = page
      .getByTestId('conflicts-table')
      .locator('tbody tr.ant-table-row')
      .filter({ has: page.getByRole('link', { name: otherName }) });
    await row.waitFor();
    await row.getByRole('link', { name: customerName }).waitFor();
    assert.equal(
      await row.getByRole('link', { name: customerName }).getAttribute('href'),
      `/customers/${customerId}`,
    );
    await shot('identity-conflicts');
  });

  test('the admin creates an API key that is shown once', async () => {
    await openSubPage('设置', 'API 密钥');
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

    assert.equal(await menu.getByText('身份冲突', { exact: true }).count(), 0, 'conflicts are tenant-wide');
    await page.goto(`${baseUrl}/customers/conflicts`);
    await page.locator('.ant-result-403').waitFor();
    assert.equal(await page.getByTestId('conflicts-table').count(), 0);

    await page.goto(`${baseUrl}/overview`);
    await page.locator('.ant-statistic').first().waitFor();
    await page.locator('[data-testid="chart-new-by-day"] canvas, .ant-card .ant-empty').first().waitFor();
    assert.equal(await page.getByTestId('overview-events').count(), 0, 'the event chart is hidden from store roles');
    assert.equal(await page.locator('.ant-alert-error').count(), 0, 'no error for the hidden event chart');
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

  test("the customer's timeline is readable on a phone", async (t) => {
    if (!customerStore) {
      t.skip('the tenant has no store to give the guide the new customer');
      return;
    }
    await page.goto(`${baseUrl}/customers/${customerId}`);
    const timeline = page.getByTestId('customer-timeline');
    await timeline.getByTestId('timeline-item').first().waitFor();
    await timeline.getByTestId('timeline-details-toggle').first().click();
    await timeline.locator('.siyu-json').first().waitFor();
    await timeline.scrollIntoViewIfNeeded();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
    const box = await timeline.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 391, `the timeline spans ${JSON.stringify(box)}`);
    await shot('guide-timeline-phone');
  });
});
