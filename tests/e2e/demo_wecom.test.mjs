// `siyu serve --demo` runs the WeCom simulator in-process and drives it (docs/wecom-simulator.md,
// "The demo"): the demo tenant is connected to it, its staff are synced and linked to the demo's
// stores and users, the live codes 门店海报 and 新品体验活动 exist, and customers keep arriving.
// After a restart the tenant is connected to the new simulator and nothing is created twice.
// The driver runs every 200 ms here; the test polls with a generous limit and asserts no timing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, loginOk, sleep, startServer } from './lib/server.mjs';

const OWNER = 'owner@demo.siyu.local';
const DEMO_PASSWORD = 'siyu-demo-2026';
const WAIT_MS = 120_000;

/** Polls `read` every 250 ms until `done(value)` or WAIT_MS; answers the last value. */
async function until(read, done) {
  const deadline = Date.now() + WAIT_MS;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(250);
    value = await read();
  }
  return value;
}

describe('demo WeCom', { timeout: 300_000 }, () => {
  let server;
  let auth;
  let dataDir;
  const get = async (urlPath) => api(server.baseUrl, 'GET', `/api/v1${urlPath}`, auth);

  async function start() {
    server = await startServer({
      args: ['--demo'],
      dataDir,
      env: { SIYU_DEMO_WECOM: '1', SIYU_DEMO_WECOM_INTERVAL_MS: '200' },
    });
    auth = { cookie: await loginOk(server.baseUrl, OWNER, DEMO_PASSWORD) };
  }

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-e2e-demo-wecom-'));
    await start();
  });

  after(async () => {
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('the demo tenant is connected to the in-process simulator', async () => {
    const config = await until(
      () => get('/wecom/config'),
      (r) => r.status === 200 && r.body.configured && /^http:\/\/127\.0\.0\.1:\d+$/.test(r.body.api_base_url ?? ''),
    );
    assert.equal(config.status, 200, JSON.stringify(config.body));
    assert.equal(config.body.corp_id, 'wwsim000000000001');
    assert.equal(config.body.contact_secret_set, true);
    assert.equal(config.body.encoding_aes_key_set, true);
    assert.match(config.body.api_base_url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('staff are synced and linked to the demo stores and users', async () => {
    const staff = await until(
      () => get('/wecom/staff?limit=200'),
      (r) => r.status === 200 && r.body.data.some((s) => s.userid === 'liting' && s.user_id),
    );
    assert.equal(staff.status, 200);
    const liting = staff.body.data.find((s) => s.userid === 'liting');
    assert.ok(liting, 'the guide 李婷 is synced');
    assert.equal(liting.name, '李婷');
    assert.equal(liting.source, 'wecom');
    assert.ok(liting.store_id, 'linked to a store');
    const users = await get('/users?limit=200');
    const guide = users.body.data.find((u) => u.email === 'guide.sh@demo.siyu.local');
    assert.equal(liting.user_id, guide.id, 'linked to the guide guide.sh@');
    assert.ok(staff.body.data.some((s) => s.userid === 'zhaolei'), 'the guide 赵磊 is synced');
  });

  test('the live codes exist', async () => {
    const codes = await until(
      () => get('/wecom/live-codes?limit=50'),
      (r) => r.status === 200 && r.body.data.filter((c) => ['门店海报', '新品体验活动'].includes(c.name)).length === 2,
    );
    const poster = codes.body.data.find((c) => c.name === '门店海报');
    const event = codes.body.data.find((c) => c.name === '新品体验活动');
    assert.ok(poster && event, JSON.stringify(codes.body));
    assert.equal(poster.channel, 'poster');
    assert.equal(poster.assign_mode, 'least_loaded');
    assert.ok(poster.daily_cap > 0);
    assert.ok(poster.staff.length >= 2);
    assert.ok(poster.welcome?.text, 'a welcome text');
    assert.equal(event.channel, 'event');
    assert.equal(event.assign_mode, 'round_robin');
  });

  test('new customers arrive through the live codes', async () => {
    const stats = await until(
      () => get('/wecom/stats/live-codes'),
      (r) => r.status === 200 && r.body.total?.adds >= 5,
    );
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.ok(stats.body.total.adds >= 5, `adds: ${JSON.stringify(stats.body.total)}`);
    assert.ok(stats.body.total.scans >= stats.body.total.adds, 'every add follows a scan of the landing');
    const names = stats.body.live_codes.map((c) => c.name);
    assert.ok(names.includes('门店海报'), names.join(','));

    const owners = await get('/wecom/staff?limit=200');
    const customers = owners.body.data.reduce((n, s) => n + s.customer_count, 0);
    assert.ok(customers >= 1, 'staff have customers');
    const groups = await until(
      () => get('/wecom/groups?limit=50'),
      (r) => r.status === 200 && r.body.data.filter((g) => g.status === 'active').length >= 2,
    );
    assert.ok(groups.body.data.some((g) => g.name === '静安会员福利群'), JSON.stringify(groups.body.data));
  });

  test('a restart connects the new simulator and creates nothing twice', async () => {
    const before = await get('/wecom/config');
    const addsBefore = (await get('/wecom/stats/live-codes')).body.total.adds;
    assert.equal(await server.stop(), 0, 'the server stops cleanly with the simulator running');
    server = null;
    await start();

    const config = await until(
      () => get('/wecom/config'),
      (r) => r.status === 200 && r.body.api_base_url !== before.body.api_base_url,
    );
    assert.notEqual(config.body.api_base_url, before.body.api_base_url, 'the new simulator address');
    const stats = await until(
      () => get('/wecom/stats/live-codes'),
      (r) => r.status === 200 && r.body.total?.adds > addsBefore,
    );
    assert.ok(stats.body.total.adds > addsBefore, `adds ${addsBefore} → ${stats.body.total.adds}`);

    const codes = await get('/wecom/live-codes?limit=50');
    assert.equal(codes.body.data.filter((c) => c.name === '门店海报').length, 1);
    assert.equal(codes.body.data.filter((c) => c.name === '新品体验活动').length, 1);
    const keys = await get('/api-keys');
    const driverKeys = keys.body.data.filter((k) => k.name === 'demo WeCom driver');
    assert.equal(driverKeys.filter((k) => !k.revoked_at).length, 1, JSON.stringify(driverKeys));
    const groups = await get('/wecom/groups?limit=50');
    const active = groups.body.data.filter((g) => g.name === '静安会员福利群' && g.status === 'active');
    assert.equal(active.length, 1, 'the previous start\'s group is dismissed');
  });
});
