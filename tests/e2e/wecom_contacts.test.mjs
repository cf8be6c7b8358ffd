// SCRM core through the WeCom simulator: staff sync, channel live codes (contact ways and QR
// codes, the landing's assignment modes), a scan that becomes a customer with identifiers, an
// owner, tags (locally and through mark_tag) and a welcome message within WeCom's 20 s window, a
// retried callback processed once, a stale callback whose welcome is not sent, deletions with the
// loss alert, corp tags arriving from WeCom, statistics, and a guide who sees their own customers.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, loginOk, api, expectError, expectOk, randomPassword, uniq, CREATED } from './lib/server.mjs';
import {
  SIM_DEFAULTS,
  connectSimulator,
  deliverCallback,
  eventually,
  inboxSettled as settled,
  signedCallback,
  syncStaff,
} from './lib/wecom.mjs';

const CORP = SIM_DEFAULTS.corpId;

describe('WeCom contacts, live codes and loss alerts', () => {
  let srv;
  let sim;
  let owner;
  let tenantId;
  const staffIds = {};

  const get = (p, auth = owner) => api(srv.baseUrl, 'GET', p, auth);
  const post = (p, body, auth = owner) => api(srv.baseUrl, 'POST', p, { ...auth, body });
  const patch = (p, body, auth = owner) => api(srv.baseUrl, 'PATCH', p, { ...auth, body });
  const simPost = (p, body) => sim.post(p, body);
  const simState = () => sim.state();
  const inboxSettled = () => settled(srv.baseUrl, owner);

  async function customerOf(externalUserid) {
    return eventually(`a customer for ${externalUserid}`, async () => {
      const r = await get(`/api/v1/customers/lookup?type=wecom_external_userid&value=${externalUserid}`);
      return r.status === 200 ? r.body : null;
    });
  }

  async function readyCode(id) {
    return eventually(`live code ${id} QR codes`, async () => {
      const code = expectOk(await get(`/api/v1/wecom/live-codes/${id}`));
      return code.sync_status === 'ready' ? code : null;
    });
  }

  before(async () => {
    srv = await startServer();
    owner = { cookie: await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword) };
    ({ sim, tenantId } = await connectSimulator(srv.baseUrl, owner));
  });

  after(async () => {
    if (sim) await sim.stop();
    if (srv) await srv.stop();
  });

  test('staff come from WeCom and are linked to stores', async () => {
    const sync = await syncStaff(srv.baseUrl, owner, sim, [['zhang', '张三'], ['li', '李四'], ['wang', '王五']]);
    assert.equal(sync.created, 3);
    const list = expectOk(await get('/api/v1/wecom/staff?limit=50'));
    for (const s of list.data) staffIds[s.userid] = s.id;
    assert.deepEqual(Object.keys(staffIds).sort(), ['li', 'wang', 'zhang']);
    assert.ok(list.data.every((s) => s.source === 'wecom' && s.status === 'active' && s.customer_count === 0));
    assert.ok(expectOk(await get('/api/v1/wecom/departments')).data.some((d) => d.id === 1));

    const store = async (code, latitude, longitude) =>
      expectOk(await post('/api/v1/stores', { code: uniq(code), name: code, kind: 'store', latitude, longitude }), CREATED);
    const sh = await store('SH', 31.2304, 121.4737);
    const bj = await store('BJ', 39.9042, 116.4074);
    expectOk(await patch(`/api/v1/wecom/staff/${staffIds.zhang}`, { store_id: sh.id }));
    expectOk(await patch(`/api/v1/wecom/staff/${staffIds.li}`, { store_id: bj.id }));
    expectError(await patch(`/api/v1/wecom/staff/${staffIds.wang}`, { store_id: 'x' }), 400, 'invalid_argument', 'store_id');
    expectError(await patch(`/api/v1/wecom/staff/${staffIds.wang}`, { store_id: 999999 }), 400, 'invalid_argument', 'store_id');
    const byStore = expectOk(await get(`/api/v1/wecom/staff?store_id=${sh.id}`));
    assert.deepEqual(byStore.data.map((s) => s.userid), ['zhang']);
    assert.equal(byStore.data[0].store_name, 'SH');
  });

  let code;
  let tag;

  test('a corp tag created in WeCom arrives as a siyu tag', async () => {
    const created = await simPost('/sim/tags', { group_name: uniq('渠道'), tag_name: '海报扫码' });
    assert.equal(created.callback.status, 200);
    tag = await eventually('the corp tag', async () => {
      const tags = expectOk(await get('/api/v1/tags?q=海报扫码'));
      return tags.data.find((t) => t.wecom_tag_id === created.tag_id);
    });
    const group = expectOk(await get(`/api/v1/tag-groups/${tag.group_id}`));
    assert.equal(group.wecom_group_id, created.group_id);
  });

  test('a tag created in siyu in a linked group is created in WeCom; a sync reconciles', async () => {
    const created = expectOk(await post('/api/v1/tags', { group_id: tag.group_id, name: '门店到店' }), CREATED);
    const pushed = await eventually('the WeCom id of the new tag', async () => {
      const t = expectOk(await get(`/api/v1/tags/${created.id}`));
      return t.wecom_tag_id ? t : null;
    }, 400, 50);
    const state = await simState();
    assert.match(JSON.stringify(state.tags ?? state.corp_tags ?? state), new RegExp(pushed.wecom_tag_id));
    const sync = expectOk(await post('/api/v1/wecom/tags/sync', {}));
    assert.equal(sync.tags_created, 0);
    assert.equal(sync.tags_deleted, 0);
    assert.equal(sync.pushed, 0);
  });

  test('a live code gets a WeCom contact way and QR code per staff member', async () => {
    const bad = await post('/api/v1/wecom/live-codes', { name: 'x', channel: 'tv', staff_ids: [staffIds.zhang] });
    expectError(bad, 400, 'invalid_argument', 'channel');
    expectError(await post('/api/v1/wecom/live-codes', { name: 'x', channel: 'poster', staff_ids: [987654] }), 400,
      'invalid_argument', 'staff_ids[0]');
    const created = expectOk(await post('/api/v1/wecom/live-codes', {
      name: '门店海报',
      channel: 'poster',
      staff_ids: [staffIds.zhang, staffIds.li],
      tag_ids: [tag.id],
      welcome: {
        text: '{name}您好，欢迎来到思域！',
        attachments: [{ type: 'link', title: '新人礼', url: 'https://example.com/gift', desc: '领取' }],
      },
    }), CREATED);
    assert.match(created.landing_url, /\/c\/[A-Za-z0-9_-]+$/);
    code = await readyCode(created.id);
    assert.equal(code.staff.length, 2);
    const state = await simState();
    for (const member of code.staff) {
      assert.match(member.qr_code, new RegExp(`^${sim.url}/qr/`));
      const way = state.contact_ways.find((w) => w.config_id === member.config_id);
      assert.ok(way, `contact way ${member.config_id} in the simulator`);
      assert.equal(way.state, `lc${code.id}`);
      assert.equal(way.type, 1);
      assert.deepEqual(way.user, [member.userid]);
    }
  });

  test('the landing goes round robin and redirects to the QR code', async () => {
    const picks = [];
    for (let i = 0; i < 3; i++) {
      picks.push(expectOk(await api(srv.baseUrl, 'GET', `/c/${code.key}?format=json`)).staff.userid);
    }
    assert.deepEqual(picks, ['zhang', 'li', 'zhang']);
    const redirect = await api(srv.baseUrl, 'GET', `/c/${code.key}`);
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), code.staff.find((s) => s.userid === 'li').qr_code);
    expectError(await api(srv.baseUrl, 'GET', '/c/no-such-code'), 404, 'not_found');
    expectError(await api(srv.baseUrl, 'GET', `/c/${code.key}?lat=91&lng=0`), 400, 'invalid_argument', 'lat');
  });

  let customer;
  let scan;

  test('a scan becomes a customer with identifiers, an owner, tags and a welcome message', async () => {
    const way = code.staff.find((s) => s.userid === 'zhang');
    scan = await simPost('/sim/scan', { config_id: way.config_id, name: '韩梅梅', unionid: 'union-hmm' });
    assert.equal(scan.callback.status, 200);
    customer = await customerOf(scan.external_userid);
    assert.equal(customer.name, '韩梅梅');
    const ids = customer.identifiers.map((i) => `${i.type}=${i.value}`);
    assert.ok(ids.includes(`wecom_external_userid=${scan.external_userid}`), ids.join(','));
    assert.ok(ids.includes('wechat_unionid=union-hmm'), ids.join(','));

    const owners = await eventually('the owner row', async () => {
      const o = expectOk(await get(`/api/v1/customers/${customer.id}/owners`));
      return o.data.length ? o.data : null;
    });
    assert.equal(owners.length, 1);
    assert.equal(owners[0].staff.userid, 'zhang');
    assert.equal(owners[0].live_code_id, code.id);
    assert.equal(owners[0].state, `lc${code.id}`);
    assert.equal(owners[0].status, 'active');

    await eventually('the live code tag', async () => {
      const held = expectOk(await get(`/api/v1/customers/${customer.id}/tags`));
      return held.data.some((t) => t.tag_id === tag.id);
    });
    const state = await eventually('mark_tag and the welcome message', async () => {
      const s = await simState();
      const marked = s.mark_tag_calls.some((c) => c.external_userid === scan.external_userid);
      const welcomed = s.welcome_sent.some((w) => w.welcome_code === scan.welcome_code);
      return marked && welcomed ? s : null;
    });
    const mark = state.mark_tag_calls.find((c) => c.external_userid === scan.external_userid);
    assert.equal(mark.userid, 'zhang');
    assert.deepEqual(mark.add_tag, [tag.wecom_tag_id]);
    const welcome = state.welcome_sent.find((w) => w.welcome_code === scan.welcome_code);
    assert.match(JSON.stringify(welcome), /韩梅梅您好，欢迎来到思域！/);
    assert.ok(welcome.delay_ms <= 20_000, `welcome sent after ${welcome.delay_ms} ms`);

    const events = expectOk(await get(`/api/v1/customers/${customer.id}/events?event=WeCom%20Contact%20Added`));
    assert.equal(events.data.length, 1);
    assert.equal(events.data[0].properties.staff_userid, 'zhang');
    assert.equal(events.data[0].properties.live_code_id, code.id);
  });

  test('a callback WeCom retries is processed once', async () => {
    const before = await simState();
    const resent = await simPost(`/sim/callbacks/${scan.callback.id}/resend`, {});
    assert.equal(resent.callback?.status ?? resent.status, 200);
    await inboxSettled();
    const events = expectOk(await get(`/api/v1/customers/${customer.id}/events?event=WeCom%20Contact%20Added`));
    assert.equal(events.data.length, 1);
    const owners = expectOk(await get(`/api/v1/customers/${customer.id}/owners`));
    assert.equal(owners.data.length, 1);
    const after = await simState();
    assert.equal(after.welcome_sent.length, before.welcome_sent.length);
    assert.equal(after.mark_tag_calls.length, before.mark_tag_calls.length);
  });

  test('a callback processed after the 20-second window sends no welcome message', async () => {
    const added = await simPost('/sim/add-contact', { userid: 'li', name: '迟到的客户' });
    await customerOf(added.external_userid);
    const createTime = Math.floor(Date.now() / 1000) - 60;
    const xml = `<xml><ToUserName><![CDATA[${CORP}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>` +
      `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
      '<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>' +
      `<UserID><![CDATA[li]]></UserID><ExternalUserID><![CDATA[${added.external_userid}]]></ExternalUserID>` +
      `<State><![CDATA[lc${code.id}]]></State><WelcomeCode><![CDATA[stale-welcome-code]]></WelcomeCode></xml>`;
    const d = signedCallback(xml, { token: SIM_DEFAULTS.token, aesKey: SIM_DEFAULTS.aesKey, corpId: CORP });
    const res = await deliverCallback(srv.baseUrl, tenantId, d.body, d.params);
    assert.equal(res.status, 200, res.text);
    const dead = await eventually('the late welcome message among the dead letters', async () => {
      const list = expectOk(await get('/api/v1/outbox?status=dead&limit=100'));
      return list.data.find((m) => m.payload?.body?.welcome_code === 'stale-welcome-code');
    });
    assert.equal(dead.payload.path, '/cgi-bin/externalcontact/send_welcome_msg');
    assert.match(dead.last_error, /deadline/);
    const state = await simState();
    assert.ok(!state.welcome_sent.some((w) => w.welcome_code === 'stale-welcome-code'));
    // The relationship and the tags are still recorded.
    const lost = await customerOf(added.external_userid);
    const owners = expectOk(await get(`/api/v1/customers/${lost.id}/owners`));
    assert.equal(owners.data[0].live_code_id, code.id);
  });

  test('least loaded with a daily cap and nearest store pick the expected staff member', async () => {
    const capped = expectOk(await post('/api/v1/wecom/live-codes', {
      name: '活动', channel: 'event', staff_ids: [staffIds.zhang, staffIds.li], assign_mode: 'least_loaded', daily_cap: 1,
    }), CREATED);
    await readyCode(capped.id);
    // zhang and li each added one customer today: both at the cap, the least loaded (a tie) is the first.
    const first = expectOk(await api(srv.baseUrl, 'GET', `/c/${capped.key}?format=json`));
    assert.equal(first.staff.userid, 'zhang');
    const raised = expectOk(await patch(`/api/v1/wecom/live-codes/${capped.id}`, { daily_cap: 2 }));
    assert.equal(raised.daily_cap, 2);
    // Both under the cap again: least loaded is still a tie; add one more to zhang.
    const way = (await readyCode(capped.id)).staff.find((s) => s.userid === 'zhang');
    const extra = await simPost('/sim/scan', { config_id: way.config_id, name: '加一' });
    await customerOf(extra.external_userid);
    await inboxSettled();
    const next = expectOk(await api(srv.baseUrl, 'GET', `/c/${capped.key}?format=json`));
    assert.equal(next.staff.userid, 'li');

    const nearest = expectOk(await post('/api/v1/wecom/live-codes', {
      name: '附近门店', channel: 'store', staff_ids: [staffIds.zhang, staffIds.li], assign_mode: 'nearest_store',
    }), CREATED);
    await readyCode(nearest.id);
    const nearBeijing = expectOk(await api(srv.baseUrl, 'GET', `/c/${nearest.key}?format=json&lat=40.0&lng=116.3`));
    assert.equal(nearBeijing.staff.userid, 'li');
    const nearShanghai = expectOk(await api(srv.baseUrl, 'GET', `/c/${nearest.key}?format=json&lat=31.1&lng=121.3`));
    assert.equal(nearShanghai.staff.userid, 'zhang');

    expectOk(await patch(`/api/v1/wecom/live-codes/${nearest.id}`, { status: 'disabled' }));
    expectError(await api(srv.baseUrl, 'GET', `/c/${nearest.key}`), 409, 'failed_precondition');
  });

  test('the customer deleting the staff member ends the relationship, emits Contact Lost and alerts', async () => {
    const res = await simPost(`/sim/contacts/${scan.external_userid}/delete-staff`, { userid: 'zhang' });
    assert.equal(res.callback.status, 200);
    const alert = await eventually('the loss alert', async () => {
      const a = expectOk(await get(`/api/v1/wecom/alerts?staff_id=${staffIds.zhang}&unread=true`));
      return a.data.find((x) => x.external_userid === scan.external_userid);
    });
    assert.equal(alert.reason, 'deleted_by_customer');
    assert.equal(alert.customer_id, customer.id);
    assert.equal(alert.staff.userid, 'zhang');
    const owners = expectOk(await get(`/api/v1/customers/${customer.id}/owners`));
    assert.equal(owners.data[0].status, 'deleted_by_customer');
    const lost = expectOk(await get(`/api/v1/customers/${customer.id}/events?event=WeCom%20Contact%20Lost`));
    assert.equal(lost.data.length, 1);
    assert.equal(lost.data[0].properties.by, 'customer');
    assert.equal(lost.data[0].properties.staff_userid, 'zhang');

    expectError(await post('/api/v1/wecom/alerts/read', { ids: [] }), 400, 'invalid_argument', 'ids');
    assert.equal(expectOk(await post('/api/v1/wecom/alerts/read', { ids: [alert.id] })).marked, 1);
    const unread = expectOk(await get(`/api/v1/wecom/alerts?staff_id=${staffIds.zhang}&unread=true`));
    assert.ok(!unread.data.some((x) => x.id === alert.id));
  });

  test('the staff member deleting a customer is recorded as such', async () => {
    const way = code.staff.find((s) => s.userid === 'li');
    const added = await simPost('/sim/scan', { config_id: way.config_id, name: '被删的客户' });
    const c = await customerOf(added.external_userid);
    await inboxSettled();
    await simPost(`/sim/staff/li/delete-contact`, { external_userid: added.external_userid });
    const alert = await eventually('the alert', async () => {
      const a = expectOk(await get(`/api/v1/wecom/alerts?staff_id=${staffIds.li}`));
      return a.data.find((x) => x.external_userid === added.external_userid);
    });
    assert.equal(alert.reason, 'deleted_by_staff');
    const lost = expectOk(await get(`/api/v1/customers/${c.id}/events?event=WeCom%20Contact%20Lost`));
    assert.equal(lost.data[0].properties.by, 'staff');
  });

  test('statistics count scans, adds, losses and net adds per day', async () => {
    await inboxSettled();
    const stats = expectOk(await get(`/api/v1/wecom/stats/live-codes?live_code_id=${code.id}`));
    assert.equal(stats.live_codes.length, 1);
    const total = stats.live_codes[0].total;
    assert.equal(total.scans, 4);
    // 韩梅梅, the late customer and the deleted one were added through the code; two were lost.
    assert.equal(total.adds, 3);
    assert.equal(total.losses, 2);
    assert.equal(total.net_adds, 1);
    const today = stats.live_codes[0].days.at(-1);
    assert.equal(today.day, stats.to);
    assert.equal(today.adds, 3);
    const poster = stats.channels.find((ch) => ch.channel === 'poster');
    assert.equal(poster.total.adds, 3);
    expectError(await get('/api/v1/wecom/stats/live-codes?channel=tv'), 400, 'invalid_argument', 'channel');
  });

  test("a guide linked to a staff member sees that member's customers only", async () => {
    const email = `${uniq('guide')}@example.com`;
    const password = randomPassword(16);
    const user = expectOk(await post('/api/v1/users', { email, name: 'Guide', role: 'guide', password }), CREATED);
    expectOk(await patch(`/api/v1/wecom/staff/${staffIds.li}`, { user_id: user.id ?? user.user_id }));
    const guide = { cookie: await loginOk(srv.baseUrl, email, password) };
    assert.equal(expectOk(await get('/api/v1/wecom/staff/me', guide)).userid, 'li');
    assert.equal((await get('/api/v1/wecom/staff/me')).status, 204);
    assert.deepEqual(expectOk(await get('/api/v1/wecom/customers')).data, []);
    const mine = expectOk(await get('/api/v1/wecom/customers', guide));
    assert.equal(mine.staff.userid, 'li');
    assert.ok(mine.data.length >= 1);
    assert.ok(mine.data.every((o) => o.staff.userid === 'li' && o.status === 'active'));
    expectError(await get(`/api/v1/wecom/staff/${staffIds.zhang}/customers`, guide), 404, 'not_found');
    expectError(await post('/api/v1/wecom/live-codes', { name: 'x', channel: 'ad', staff_ids: [staffIds.li] }, guide),
      403, 'forbidden');
  });
});
