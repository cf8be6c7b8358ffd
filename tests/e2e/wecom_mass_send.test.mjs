// Mass send through the WeCom simulator: a segment's members split by their owning staff, a
// customer without an owner left out, msgids recorded and results collected, a tracked short link
// whose click becomes a Message Clicked event before the redirect, and WeCom's limit of four mass
// messages per customer per month (the fifth send leaves the customer out and says so).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, loginOk, api, expectError, expectOk, CREATED } from './lib/server.mjs';
import { connectSimulator, eventually, inboxSettled, syncStaff } from './lib/wecom.mjs';

describe('WeCom mass send', () => {
  let srv;
  let sim;
  let owner;
  const ext = {};
  const customers = {};
  let everyone;
  let onlyA;

  const get = (p) => api(srv.baseUrl, 'GET', p, owner);
  const post = (p, body) => api(srv.baseUrl, 'POST', p, { ...owner, body });
  const simPost = (p, body) => sim.post(p, body);
  const settled = () => inboxSettled(srv.baseUrl, owner);
  const segmentOf = async (name, rule, size) => {
    const seg = expectOk(await post('/api/v1/segments', { name, rule }), CREATED);
    await eventually(`segment ${name} to hold ${size}`, async () => {
      const s = expectOk(await get(`/api/v1/segments/${seg.id}`));
      return s.size === size;
    });
    return seg.id;
  };
  // A send whose chunks went out (msgids recorded by the outbox worker).
  const sent = async (body) => {
    const created = expectOk(await post('/api/v1/wecom/mass-sends', body), CREATED);
    return eventually(`mass send ${created.id} to go out`, async () => {
      const m = expectOk(await get(`/api/v1/wecom/mass-sends/${created.id}`));
      return m.chunks.every((k) => k.status !== 'pending' && k.status !== 'submitting') ? m : null;
    });
  };

  before(async () => {
    srv = await startServer();
    owner = { cookie: await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword) };
    ({ sim } = await connectSimulator(srv.baseUrl, owner));
    await syncStaff(srv.baseUrl, owner, sim, [['zhang', '张三'], ['li', '李四']]);
    ext.a = (await simPost('/sim/add-contact', { userid: 'zhang', name: '客户A' })).external_userid;
    ext.b = (await simPost('/sim/add-contact', { userid: 'li', name: '客户B' })).external_userid;
    await settled();
    for (const k of ['a', 'b']) {
      customers[k] = expectOk(await get(`/api/v1/customers/lookup?type=wecom_external_userid&value=${ext[k]}`));
    }
    // A customer siyu knows by a WeCom id but whom no staff member has.
    customers.c = expectOk(
      await post('/api/v1/customers', { name: '无主客户', identifiers: [{ type: 'wecom_external_userid', value: 'wmNoOwner01' }] }),
      CREATED,
    );
    const group = expectOk(await post('/api/v1/tag-groups', { name: '群发' }), CREATED);
    const tag = expectOk(await post('/api/v1/tags', { group_id: group.id, name: '只发A' }), CREATED);
    expectOk(await post(`/api/v1/customers/${customers.a.id}/tags`, { tag_ids: [tag.id] }), CREATED);
    everyone = await segmentOf('WeCom customers', { identifier: 'exists', type: 'wecom' }, 3);
    onlyA = await segmentOf('Only A', { tag: 'has', id: tag.id }, 1);
  });

  after(async () => {
    if (sim) await sim.stop();
    if (srv) await srv.stop();
  });

  let first;

  test('bad input names the field and sends nothing', async () => {
    expectError(await post('/api/v1/wecom/mass-sends', { name: 'x', segment_id: everyone, text: '' }), 400, 'invalid_argument', 'text');
    expectError(
      await post('/api/v1/wecom/mass-sends', {
        name: 'x',
        segment_id: everyone,
        text: 'hi',
        attachments: [{ msgtype: 'link', link: { title: 't' } }],
      }),
      400,
      'invalid_argument',
      'attachments[0].link.url',
    );
    expectError(await post('/api/v1/wecom/mass-sends', { name: 'x', segment_id: 999999, text: 'hi' }), 404, 'not_found');
    assert.equal(expectOk(await get('/api/v1/wecom/mass-sends')).data.length, 0);
  });

  test('a send splits by owner, records msgids, rewrites links and collects results', async () => {
    first = await sent({
      name: '春季上新',
      segment_id: everyone,
      text: '春季新品上架 https://shop.example/spring?from=wecom 欢迎选购',
      attachments: [{ msgtype: 'link', link: { title: '活动页', url: 'https://shop.example/event' } }],
    });
    assert.equal(first.target_count, 2);
    assert.equal(first.skipped_no_owner, 1);
    assert.equal(first.skipped_monthly_limit, 0);
    assert.equal(first.chunks.length, 2);
    assert.deepEqual(first.chunks.map((k) => k.userid).sort(), ['li', 'zhang']);
    for (const k of first.chunks) {
      assert.equal(k.status, 'created');
      assert.ok(k.msgid, 'msgid recorded');
    }
    assert.ok(!first.text.includes('shop.example'), first.text);
    assert.match(first.text, new RegExp(`${srv.baseUrl.replace(/[.:/]/g, '\\$&')}/l/[0-9A-Za-z]{8}`));
    assert.match(first.attachments[0].link.url, /\/l\/[0-9A-Za-z]{8}$/);
    assert.equal(first.links.length, 2);
    const state = await sim.state();
    const template = state.templates.find((t) => t.msgid === first.chunks[0].msgid);
    assert.ok(template, 'the simulator holds the template');

    for (const k of first.chunks) await simPost(`/sim/messages/${k.msgid}/deliver`, { status: 1 });
    const results = expectOk(await post(`/api/v1/wecom/mass-sends/${first.id}/refresh`, {}));
    assert.equal(results.sent, 2);
    assert.equal(results.unsent, 0);
    const events = expectOk(await get(`/api/v1/customers/${customers.a.id}/events?event=Mass%20Message%20Sent`)).data;
    assert.equal(events.length, 1);
  });

  test('a short link click is a Message Clicked event, then a redirect', async () => {
    const link = first.links.find((l) => l.url === 'https://shop.example/spring?from=wecom');
    const click = await api(srv.baseUrl, 'GET', `/l/${link.code}?u=${ext.a}`);
    assert.equal(click.status, 302);
    assert.equal(click.headers.get('location'), 'https://shop.example/spring?from=wecom');
    const anonymous = await api(srv.baseUrl, 'GET', `/l/${link.code}`);
    assert.equal(anonymous.status, 302);
    assert.equal((await api(srv.baseUrl, 'GET', '/l/nosuchcd')).status, 404);
    const events = expectOk(await get(`/api/v1/customers/${customers.a.id}/events?event=Message%20Clicked`)).data;
    assert.equal(events.length, 1);
    assert.equal(events[0].properties.mass_send_id, first.id);
    assert.equal(events[0].properties.url, 'https://shop.example/spring?from=wecom');
    const m = expectOk(await get(`/api/v1/wecom/mass-sends/${first.id}`));
    assert.equal(m.clicks, 2);
    assert.equal(m.unique_clickers, 2);
    assert.equal(m.click_through_rate, 1);
  });

  test('the fifth mass message in a month leaves the customer out and reports it', async () => {
    for (let i = 2; i <= 4; i++) {
      const m = await sent({ name: `第${i}次`, segment_id: onlyA, text: `第${i}条` });
      assert.equal(m.target_count, 1);
      assert.equal(m.skipped_monthly_limit, 0);
    }
    const fifth = await sent({ name: '第5次', segment_id: everyone, text: '第5条' });
    assert.equal(fifth.skipped_monthly_limit, 1);
    assert.equal(fifth.skipped_no_owner, 1);
    assert.equal(fifth.target_count, 1);
    assert.equal(fifth.chunks.length, 1);
    assert.equal(fifth.chunks[0].userid, 'li');
    const state = await sim.state();
    const template = state.templates.find((t) => t.msgid === fifth.chunks[0].msgid);
    assert.ok(JSON.stringify(template).includes(ext.b));
    assert.ok(!JSON.stringify(template).includes(ext.a));
    const list = expectOk(await get('/api/v1/wecom/mass-sends?limit=10')).data;
    assert.equal(list.length, 5);
    assert.equal(list[0].id, fifth.id);
  });
});
