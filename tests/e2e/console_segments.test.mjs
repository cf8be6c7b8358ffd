// Browser test of the console's tags and segments: a tag group and a tag created on the tags
// page, a customer tagged on its page, a segment built with the rule builder while its live
// count follows each condition, a rule error shown on its condition row, the saved segment's
// members, and a guide kept away from tag management.
//
// Environment:
//   SIYU_BASE_URL                          a server serving the console and /api/v1; without it the test
//                                          starts SIYU_BIN on the demo brand with web/dist (skips when
//                                          the console is not built)
//   SIYU_ADMIN_EMAIL, SIYU_ADMIN_PASSWORD  an owner or admin of the tenant (with SIYU_BASE_URL)
//   SIYU_GUIDE_EMAIL, SIYU_GUIDE_PASSWORD  a guide of the tenant (with SIYU_BASE_URL; else the demo guide)
//   SIYU_CHROMIUM                          optional browser path (default /usr/bin/chromium)
// Screenshots of every step go to tests/e2e/screenshots/ (named segments-NN-*.png).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from './lib/server.mjs';
import { consoleSteps, givenBaseUrl, launchConsoleBrowser, ownServer, skipReason, STEP_TIMEOUT_MS, webDist } from './lib/console.mjs';

let baseUrl = givenBaseUrl;
const DEMO_PASSWORD = 'siyu-demo-2026';
const admin = ownServer
  ? { email: 'owner@demo.siyu.local', password: DEMO_PASSWORD }
  : { email: process.env.SIYU_ADMIN_EMAIL, password: process.env.SIYU_ADMIN_PASSWORD };
const guide = ownServer
  ? { email: 'guide.sh@demo.siyu.local', password: DEMO_PASSWORD }
  : { email: process.env.SIYU_GUIDE_EMAIL, password: process.env.SIYU_GUIDE_PASSWORD };

const skip = skipReason(admin);

/** The behaviour condition the builder adds by default: ordered in the last 30 days. */
const ORDERED_LAST_30_DAYS = { event: 'Order Completed', window: { last_days: 30 } };

function uniq(prefix) {
  return `${prefix}${crypto.randomBytes(3).toString('hex')}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('console tags and segments', { skip, timeout: 180_000 }, () => {
  let browser;
  let page;
  let server;
  const groupName = uniq('E2E分组');
  const tagName = uniq('E2E标签');
  const segmentName = uniq('E2E分群');
  let tagId = null;
  /** A customer who ordered in the last 30 days, tagged on its page. */
  let buyer = null;
  /** A customer who did not, tagged through the API. */
  let idle = null;

  let shot, login, logout, api;

  /** The open dropdown of a Select or menu (antd keeps closed ones in the page, hidden). */
  function openDropdown() {
    return page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)');
  }

  /** Types into a Select and picks the option whose label is exactly `label`. */
  async function pickOption(select, label) {
    await select.click();
    await page.keyboard.type(label);
    await openDropdown().locator('.ant-select-item-option').filter({ hasText: label }).first().click();
    await page.keyboard.press('Escape');
  }

  /** The live count of the builder once no preview is under way. */
  async function settledCount() {
    const count = page.getByTestId('preview-count');
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const loading = await count.getAttribute('data-loading');
      const text = (await count.innerText()).trim();
      if (loading === 'false' && /^\d[\d,]*$/.test(text)) return Number(text.replace(/,/g, ''));
      if (Date.now() > deadline) assert.fail(`the live count did not settle (text ${text}, loading ${loading})`);
      await sleep(100);
    }
  }

  /** Waits until the live count shows `expected`. */
  async function waitForLiveCount(expected) {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    let seen = await settledCount();
    while (seen !== expected) {
      if (Date.now() > deadline) assert.fail(`the live count shows ${seen}, expected ${expected}`);
      await sleep(150);
      seen = await settledCount();
    }
  }

  async function preview(rule) {
    const answer = await api('POST', '/segments/preview', { rule });
    assert.equal(answer.status, 200, `preview answered ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  before(async () => {
    if (ownServer) {
      server = await startServer({ args: ['--web-dir', webDist, '--demo'] });
      baseUrl = server.baseUrl;
    }
    browser = await launchConsoleBrowser('siyu-console-segments-');
    page = browser.page;
    ({ shot, login, logout, api } = consoleSteps(page, () => baseUrl, 'segments-'));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the owner creates a tag group and a tag', async () => {
    await login(admin.email, admin.password);
    const menu = page.locator('.ant-layout-sider .ant-menu');
    await menu.getByText('标签与分群', { exact: true }).click();
    await menu.getByText('标签', { exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/audience/tags');
    await page.locator('[data-testid="tag-group"], [data-testid="tags-empty"]').first().waitFor();

    await page.getByTestId('tag-group-create').click();
    const groupForm = page.getByTestId('tag-group-form');
    await groupForm.locator('#name').fill(groupName);
    await shot('tag-group-form');
    await page.getByTestId('tag-group-save').click();
    const group = page.locator(`[data-testid="tag-group"][data-group-name="${groupName}"]`);
    await group.waitFor();

    await group.getByTestId('tag-group-add-tag').click();
    const tagForm = page.getByTestId('tag-form');
    await tagForm.locator('#name').fill(tagName);
    await page.getByTestId('tag-save').click();
    await group.getByTestId('tag-chip').filter({ hasText: tagName }).waitFor();
    await group.scrollIntoViewIfNeeded();
    await shot('tags');

    const tags = await api('GET', `/tags?q=${encodeURIComponent(tagName)}`);
    assert.equal(tags.status, 200);
    tagId = tags.body.data.find((tag) => tag.name === tagName)?.id;
    assert.ok(tagId, `the new tag is listed: ${JSON.stringify(tags.body)}`);
  });

  test('the owner tags a customer on its page', async () => {
    const ordered = await preview(ORDERED_LAST_30_DAYS);
    const notOrdered = await preview({ ...ORDERED_LAST_30_DAYS, did: false });
    assert.ok(ordered.sample.length > 0, 'the demo brand has customers who ordered in the last 30 days');
    assert.ok(notOrdered.sample.length > 0, 'the demo brand has customers who did not');
    buyer = ordered.sample[0];
    idle = notOrdered.sample[0];
    const tagged = await api('POST', `/customers/${idle.id}/tags`, { tag_ids: [tagId] });
    assert.equal(tagged.status, 200, `tagging through the API answered ${tagged.status} ${JSON.stringify(tagged.body)}`);

    await page.goto(`${baseUrl}/customers/${buyer.id}`);
    const section = page.getByTestId('customer-tags');
    await section.waitFor();
    await section.getByTestId('customer-tags-add').click();
    await pickOption(section.getByTestId('customer-tags-select'), tagName);
    await section.getByTestId('customer-tags-confirm').click();
    await section.getByTestId('customer-tag').filter({ hasText: tagName }).waitFor();
    await section.getByTestId('customer-tag').filter({ hasText: tagName }).getByText('手动').waitFor();
    await section.scrollIntoViewIfNeeded();
    await shot('customer-tagged');

    await section.getByTestId('customer-tags-history').click();
    const history = page.getByTestId('tag-history');
    await history.getByText(`添加了「${tagName}」`).waitFor();
    await sleep(400); // the drawer slides in
    await shot('customer-tag-history');
    await page.keyboard.press('Escape');
    await history.waitFor({ state: 'detached' });
  });

  test('the live count follows a tag condition and then a behaviour condition', async () => {
    await page.goto(`${baseUrl}/audience/segments`);
    await page.locator('[data-testid="segment-table"], [data-testid="segments-empty"]').first().waitFor();
    await page.getByTestId('segment-create').click();
    await page.waitForURL((url) => url.pathname === '/audience/segments/new');
    const everyone = await settledCount();
    assert.ok(everyone >= 2, `an empty rule counts every customer (${everyone})`);
    await shot('builder-empty');

    await page.getByTestId('builder-add').click();
    await page.getByTestId('builder-add-tag').click();
    const tagRow = page.locator('[data-testid="builder-condition"][data-kind="tag"]');
    await tagRow.waitFor();
    await pickOption(tagRow.getByTestId('builder-tag-select'), tagName);
    await waitForLiveCount(2);
    await page.getByTestId('preview-sample').getByRole('link').first().waitFor();
    await shot('builder-tag');

    await page.getByTestId('builder-add').click();
    await page.getByTestId('builder-add-event').click();
    const eventRow = page.locator('[data-testid="builder-condition"][data-kind="event"]');
    await eventRow.waitFor();
    await eventRow.getByTestId('builder-event').getByText('完成订单').waitFor();
    await waitForLiveCount(1);
    const sample = page.getByTestId('preview-sample').getByRole('link');
    assert.equal(await sample.count(), 1);
    assert.equal(await sample.first().getAttribute('href'), `/customers/${buyer.id}`);
    await shot('builder-behaviour');
  });

  test('a rule error from the server is shown on its condition row', async () => {
    await page.getByTestId('builder-mode').getByText('JSON').click();
    const json = page.getByTestId('builder-json');
    const rule = JSON.parse(await json.inputValue());
    assert.deepEqual(rule, { and: [{ tag: 'has_any', ids: [tagId] }, ORDERED_LAST_30_DAYS] });
    await json.fill(JSON.stringify({ and: [rule.and[0], { ...ORDERED_LAST_30_DAYS, window: { last_days: 0 } }] }, null, 2));
    await page.getByTestId('segment-preview').getByText('规则有误').waitFor();
    await page.getByTestId('builder-mode').getByText('可视化').click();
    const error = page.locator('[data-testid="builder-condition"][data-path="rule.and[1]"] [data-testid="builder-error"]');
    await error.waitFor();
    assert.match(await error.innerText(), /window\.last_days/);
    await shot('builder-error');

    await page.getByTestId('builder-mode').getByText('JSON').click();
    await page.getByTestId('builder-json').fill(JSON.stringify(rule, null, 2));
    await page.getByTestId('builder-mode').getByText('可视化').click();
    await waitForLiveCount(1);
    assert.equal(await page.getByTestId('builder-error').count(), 0);
  });

  test('the saved segment lists its members', async () => {
    await page.getByTestId('segment-form').locator('#name').fill(segmentName);
    await page.getByTestId('segment-save').click();
    await page.waitForURL((url) => /^\/audience\/segments\/\d+$/.test(url.pathname));
    await page.getByRole('heading', { name: segmentName }).waitFor();
    const members = page.getByTestId('segment-members');
    await members.locator('tbody tr.ant-table-row').first().waitFor();
    assert.equal(await members.locator('tbody tr.ant-table-row').count(), 1);
    assert.equal(await members.getByRole('link').first().getAttribute('href'), `/customers/${buyer.id}`);
    await page.getByTestId('segment-members-total').getByText('共 1 人').waitFor();
    await shot('segment-saved');
    await members.scrollIntoViewIfNeeded();
    await shot('segment-members');

    await page.goto(`${baseUrl}/audience/segments`);
    const row = page.getByTestId('segment-table').locator('tbody tr.ant-table-row').filter({ hasText: segmentName });
    await row.waitFor();
    await row.getByText('1', { exact: true }).waitFor();
    await shot('segment-list');

    await page.goto(`${baseUrl}/customers/${buyer.id}`);
    await page.getByTestId('customer-segments').getByRole('link', { name: segmentName }).waitFor();
    await page.getByTestId('customer-rfm').waitFor();
    await page.getByTestId('customer-segments').scrollIntoViewIfNeeded();
    await shot('customer-segments');
  });

  test('the owner sees the RFM classes', async () => {
    await page.goto(`${baseUrl}/audience/rfm`);
    await page.getByTestId('rfm-table').locator('tbody tr.ant-table-row').first().waitFor();
    assert.equal(await page.getByTestId('rfm-table').locator('tbody tr.ant-table-row').count(), 8);
    await page.locator('[data-testid="chart-rfm"] canvas').waitFor();
    await page.getByTestId('rfm-thresholds').waitFor();
    await shot('rfm');
  });

  test('a guide cannot open tag management', async (t) => {
    if (!guide.email || !guide.password) {
      t.skip('SIYU_GUIDE_EMAIL and SIYU_GUIDE_PASSWORD are not set');
      return;
    }
    await logout();
    await login(guide.email, guide.password);
    const menu = page.locator('.ant-layout-sider .ant-menu');
    await menu.getByText('客户', { exact: true }).waitFor();
    const area = menu.getByText('标签与分群', { exact: true });
    if (await area.count()) {
      await area.click();
      await menu.getByText('分群', { exact: true }).waitFor();
    }
    assert.equal(await menu.getByText('标签', { exact: true }).count(), 0, 'tag management is hidden from guides');
    assert.equal(await menu.getByText('问卷', { exact: true }).count(), 0, 'questionnaires are hidden from guides');

    await page.goto(`${baseUrl}/audience/tags`);
    await page.locator('.ant-result-403').waitFor();
    assert.equal(await page.getByTestId('tag-group-create').count(), 0);
    assert.equal(await page.getByTestId('tag-group').count(), 0);
    await shot('guide-tags-forbidden');

    const refused = await api('POST', '/tag-groups', { name: uniq('guide-') });
    assert.equal(refused.status, 403, 'the server refuses too');
  });
});
