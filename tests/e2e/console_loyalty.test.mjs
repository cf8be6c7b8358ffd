// Browser test of the console's loyalty area: the owner looks at the demo programme (members,
// tiers, earning rules, the member card), creates a coupon template and issues it to a customer;
// a guide on a phone-sized screen redeems the code in two clicks (查询, 核销), sees the second
// attempt refused, and cannot open the programme's configuration pages. The owner opens a
// member's points ledger and tier history from the member card; a store manager on a phone
// works through the paid memberships about to end (付费会员到期) and opens the customer.
//
// Environment:
//   SIYU_BASE_URL                          a server serving the console and /api/v1; without it the test
//                                          starts SIYU_BIN on the demo brand with web/dist (skips when
//                                          the console is not built)
//   SIYU_ADMIN_EMAIL, SIYU_ADMIN_PASSWORD  an owner or admin of the tenant (with SIYU_BASE_URL)
//   SIYU_GUIDE_EMAIL, SIYU_GUIDE_PASSWORD  a guide of the tenant with one store (with SIYU_BASE_URL; else the demo guide)
//   SIYU_MANAGER_EMAIL, SIYU_MANAGER_PASSWORD  a store manager of the tenant (with SIYU_BASE_URL; else the demo one)
//   SIYU_CHROMIUM                          optional browser path (default /usr/bin/chromium)
// Screenshots of every step go to tests/e2e/screenshots/ (named loyalty-NN-*.png).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from './lib/server.mjs';
import { consoleSteps, givenBaseUrl, launchConsoleBrowser, ownServer, skipReason, webDist } from './lib/console.mjs';

let baseUrl = givenBaseUrl;
const DEMO_PASSWORD = 'siyu-demo-2026';
const admin = ownServer
  ? { email: 'owner@demo.siyu.local', password: DEMO_PASSWORD }
  : { email: process.env.SIYU_ADMIN_EMAIL, password: process.env.SIYU_ADMIN_PASSWORD };
const guide = ownServer
  ? { email: 'guide.sh@demo.siyu.local', password: DEMO_PASSWORD }
  : { email: process.env.SIYU_GUIDE_EMAIL, password: process.env.SIYU_GUIDE_PASSWORD };

const manager = ownServer
  ? { email: 'manager.sh@demo.siyu.local', password: DEMO_PASSWORD }
  : { email: process.env.SIYU_MANAGER_EMAIL, password: process.env.SIYU_MANAGER_PASSWORD };

const skip = skipReason(admin);

function uniq(prefix) {
  return `${prefix}${crypto.randomBytes(3).toString('hex')}`;
}

describe('console loyalty', { skip, timeout: 240_000 }, () => {
  let browser;
  let page;
  let server;
  let shot, login, logout, api;
  const templateName = uniq('E2E立减券');
  const customerName = uniq('券客');
  let customer = null;
  let code = null;

  function openDropdown() {
    return page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)');
  }

  before(async () => {
    if (ownServer) {
      server = await startServer({ args: ['--web-dir', webDist, '--demo'] });
      baseUrl = server.baseUrl;
    }
    browser = await launchConsoleBrowser('siyu-loyalty-');
    page = browser.page;
    ({ shot, login, logout, api } = consoleSteps(page, () => baseUrl, 'loyalty-'));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the owner sees the programme: members, tiers, earning rules and a member card', async () => {
    await login(admin.email, admin.password);
    await page.goto(`${baseUrl}/loyalty/members`);
    await page.locator('[data-testid="member-table"], [data-testid="members-empty"]').first().waitFor();
    await shot('members');
    await page.goto(`${baseUrl}/loyalty/tiers`);
    await page.locator('[data-testid="tier-table"], .ant-empty').first().waitFor();
    await shot('tiers');
    await page.goto(`${baseUrl}/loyalty/rules`);
    await page.getByTestId('order-preview').waitFor();
    await shot('rules');
    const members = await api('GET', '/loyalty/members?limit=1');
    assert.equal(members.status, 200);
    if (members.body.data.length) {
      await page.goto(`${baseUrl}/customers/${members.body.data[0].customer_id}`);
      await page.getByTestId('member-tier').waitFor();
      await page.getByTestId('member-card').scrollIntoViewIfNeeded();
      await shot('member-card');
    }
  });

  test('the owner creates a coupon template and issues it to a customer', async () => {
    const created = await api('POST', '/customers', { name: customerName });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    customer = created.body;

    await page.goto(`${baseUrl}/loyalty/coupons`);
    await page.getByTestId('template-create').click();
    const form = page.getByTestId('template-form');
    await form.locator('#name').fill(templateName);
    await page.getByTestId('template-type').click();
    await openDropdown().getByText('立减券', { exact: true }).click();
    await form.locator('#amount').fill('20');
    await shot('template-form');
    await page.getByTestId('template-save').click();
    const row = page.locator('[data-testid="template-table"] tr', { hasText: templateName });
    await row.waitFor();
    await shot('template-created');

    await row.getByTestId('template-issue').click();
    await page.getByTestId('issue-customers').click();
    await page.keyboard.type(customerName);
    await openDropdown().getByText(customerName).first().click();
    await page.keyboard.press('Escape');
    await page.getByTestId('issue-send').click();
    await page.getByTestId('issue-result').filter({ hasText: '已发放 1 张' }).waitFor();
    await shot('issued');

    const coupons = await api('GET', `/loyalty/members/${customer.id}/coupons`);
    assert.equal(coupons.status, 200, JSON.stringify(coupons.body));
    assert.equal(coupons.body.data.length, 1);
    assert.equal(coupons.body.data[0].template_name, templateName);
    code = coupons.body.data[0].code_display;
    await page.locator('.ant-drawer-open .ant-drawer-close').click();
    await page.locator('.ant-drawer-open').waitFor({ state: 'detached' });
    await logout();
  });

  test('a guide on a phone redeems the code in two clicks; a second try is refused', async () => {
    assert.ok(code, 'a coupon was issued');
    await page.setViewportSize({ width: 390, height: 844 });
    await login(guide.email, guide.password);
    await page.goto(`${baseUrl}/loyalty/redeem`);
    await page.getByTestId('redeem-input').fill(code);
    await shot('redeem-code');
    await page.getByTestId('redeem-lookup').click();
    await page.getByTestId('redeem-coupon').filter({ hasText: templateName }).waitFor();
    await shot('redeem-coupon');
    await page.getByTestId('redeem-submit').click();
    await page.getByTestId('redeem-success').waitFor();
    await shot('redeem-success');

    const after = await api('GET', `/loyalty/coupons/${encodeURIComponent(code)}`);
    assert.equal(after.status, 200);
    assert.equal(after.body.status, 'redeemed');

    await page.getByTestId('redeem-next').click();
    await page.getByTestId('redeem-input').fill(code);
    await page.getByTestId('redeem-lookup').click();
    await page.getByTestId('redeem-status').filter({ hasText: '已核销' }).waitFor();
    assert.equal(await page.getByTestId('redeem-submit').count(), 0, 'no redeem button on a used coupon');
    await shot('redeem-already');
  });

  test('a guide cannot open the programme configuration', async () => {
    for (const path of ['tiers', 'rules', 'coupons']) {
      await page.goto(`${baseUrl}/loyalty/${path}`);
      await page.locator('.ant-result-403').waitFor();
    }
    await shot('guide-forbidden');
    const refused = await api('PUT', '/loyalty/settings', { downgrade_grace_days: 1 });
    assert.equal(refused.status, 403, 'the server refuses too');
    const menu = await page.locator('body').innerText();
    assert.ok(!menu.includes('积分规则'), 'the menu does not offer earning rules');
    await page.setViewportSize({ width: 1280, height: 800 });
    await logout();
  });
  test("the owner reads a member's points ledger and tier history from the member card", async () => {
    await login(admin.email, admin.password);
    const members = await api('GET', '/loyalty/members?limit=50');
    assert.equal(members.status, 200);
    // A member above the entry tier has at least one tier change to show.
    const member = members.body.data.find((row) => row.tier_id && row.points > 0) ?? members.body.data[0];
    assert.ok(member, 'the tenant has members');
    const entries = await api('GET', `/loyalty/members/${member.customer_id}/points/entries?limit=20`);
    assert.equal(entries.status, 200);
    const history = await api('GET', `/loyalty/members/${member.customer_id}/tier-history`);
    assert.equal(history.status, 200);

    await page.goto(`${baseUrl}/customers/${member.customer_id}`);
    await page.getByTestId('member-ledger').click();
    const drawer = page.getByTestId('member-history');
    if (entries.body.data.length) {
      await drawer.getByTestId('ledger-table').waitFor();
      const first = entries.body.data[0];
      const row = drawer.locator(`[data-testid="ledger-table"] tr[data-row-key="${first.id}"]`);
      await row.waitFor();
      const text = await row.innerText();
      assert.ok(text.includes(first.balance_after.toLocaleString('zh-CN')), `balance after in ${text}`);
      if (entries.body.next_cursor) {
        await drawer.getByRole('button', { name: '下一页' }).click();
        await drawer
          .locator(`[data-testid="ledger-table"] tr[data-row-key="${first.id}"]`)
          .waitFor({ state: 'detached' });
        await drawer.getByText('第 2 页').waitFor();
      }
    } else {
      await drawer.getByTestId('ledger-empty').waitFor();
    }
    // The drawer has finished sliding in.
    await page.waitForFunction(() => {
      const panel = document.querySelector('.ant-drawer-open .ant-drawer-content-wrapper');
      return panel && Math.abs(panel.getBoundingClientRect().right - window.innerWidth) < 1;
    });
    await page.waitForTimeout(300);
    await shot('points-ledger');

    await drawer.getByTestId('member-history-tiers').click();
    await drawer.locator('[data-testid="tier-history-table"], [data-testid="tier-history-empty"]').first().waitFor();
    if (history.body.data.length) {
      const rows = drawer.locator('[data-testid="tier-history-table"] tbody tr.ant-table-row');
      assert.equal(await rows.count(), history.body.data.length);
      const reasons = {
        upgrade: '升级',
        downgrade: '降级',
        manual: '手动设置',
        import: '导入',
      };
      assert.ok((await rows.first().innerText()).includes(reasons[history.body.data[0].reason]));
    }
    await shot('tier-history');
    await page.locator('.ant-drawer-open .ant-drawer-close').click();
    await page.locator('.ant-drawer-open').waitFor({ state: 'detached' });
  });

  test('a store manager on a phone follows up the paid memberships about to end', async () => {
    // The owner puts a short plan on sale; the manager sells it to one of the store's members.
    const plan = await api('POST', '/loyalty/paid-plans', {
      name: uniq('E2E五日卡'),
      price: 990,
      duration_days: 5,
    });
    assert.equal(plan.status, 201, JSON.stringify(plan.body));
    await logout();

    await page.setViewportSize({ width: 390, height: 844 });
    await login(manager.email, manager.password);
    const members = await api('GET', '/loyalty/members?limit=20');
    assert.equal(members.status, 200);
    let buyer = null;
    for (const row of members.body.data) {
      const current = await api('GET', `/loyalty/members/${row.customer_id}/paid-membership`);
      if (current.status === 200 && current.body.status !== 'active') {
        buyer = row;
        break;
      }
    }
    assert.ok(buyer, "a member of the manager's stores without a paid membership");
    const bought = await api('POST', `/loyalty/members/${buyer.customer_id}/paid-membership`, {
      plan_id: plan.body.id,
      order_id: uniq('E2E-PM-'),
    });
    assert.equal(bought.status, 201, JSON.stringify(bought.body));

    await page.goto(`${baseUrl}/loyalty/paid-expiring`);
    await page.getByTestId('expiring-days').getByText('3 天', { exact: true }).click();
    const scoped = await api('GET', '/loyalty/paid-memberships/expiring?days=3');
    if (!scoped.body.data.length) {
      await page.getByTestId('expiring-empty').waitFor();
      await shot('paid-expiring-empty');
    }
    await page.getByTestId('expiring-days').getByText('7 天', { exact: true }).click();
    const item = page.getByTestId('expiring-item').filter({ hasText: buyer.member_no });
    await item.waitFor();
    assert.ok((await item.innerText()).includes(plan.body.name));
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no sideways scrolling on a phone (${width}px)`);
    await shot('paid-expiring');

    const listed = await api('GET', '/loyalty/paid-memberships/expiring?days=7&limit=100');
    assert.equal(listed.status, 200);
    for (const row of listed.body.data.slice(0, 3)) {
      const visible = await api('GET', `/customers/${row.customer_id}`);
      assert.equal(visible.status, 200, "only the manager's stores' customers are listed");
    }

    await item.click();
    await page.waitForURL((url) => url.pathname === `/customers/${buyer.customer_id}`);
    await page.getByTestId('member-card').waitFor();
    await shot('paid-expiring-customer');
    await page.setViewportSize({ width: 1280, height: 800 });
    await logout();
  });
});
