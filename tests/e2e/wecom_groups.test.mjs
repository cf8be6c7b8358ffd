// Customer groups, group live codes, per-item codes and transfers through the WeCom simulator:
// groups and their members from change_external_chat callbacks with Group Joined / Group Left
// events, a group live code that moves on when a group is full, per-item codes (first scan,
// PNG / SVG / CSV / ZIP), and an on-the-job transfer where one customer accepts and one refuses.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer, loginOk, api, expectError, expectOk, CREATED } from './lib/server.mjs';
import { connectSimulator, eventually, inboxSettled, syncStaff } from './lib/wecom.mjs';

describe('WeCom groups, group live codes, per-item codes and transfers', () => {
  let srv;
  let sim;
  let owner;
  const ext = {};

  const get = (p) => api(srv.baseUrl, 'GET', p, owner);
  const post = (p, body) => api(srv.baseUrl, 'POST', p, { ...owner, body });
  const simPost = (p, body) => sim.post(p, body);
  const settled = () => inboxSettled(srv.baseUrl, owner);
  const groupByChat = async (chatId) => {
    const list = expectOk(await get('/api/v1/wecom/groups?limit=200'));
    return list.data.find((g) => g.chat_id === chatId);
  };
  const customerOf = async (externalUserid) =>
    expectOk(await get(`/api/v1/customers/lookup?type=wecom_external_userid&value=${externalUserid}`));
  const eventsOf = async (customerId) => expectOk(await get(`/api/v1/customers/${customerId}/events?limit=200`)).data;

  before(async () => {
    srv = await startServer();
    owner = { cookie: await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword) };
    ({ sim } = await connectSimulator(srv.baseUrl, owner));
    await syncStaff(srv.baseUrl, owner, sim, [['zhang', '张三'], ['li', '李四']]);
    for (const name of ['a', 'b', 'c', 'd']) {
      ext[name] = (await simPost('/sim/add-contact', { userid: 'zhang', name: `客户${name}` })).external_userid;
    }
    await settled();
  });

  after(async () => {
    if (sim) await sim.stop();
    if (srv) await srv.stop();
  });

  let chatId;
  let groupId;

  test('a new group arrives with its members and a Group Joined event', async () => {
    chatId = (await simPost('/sim/groups', { owner: 'zhang', name: 'VIP 群', members: [ext.a] })).chat_id;
    await settled();
    const g = await groupByChat(chatId);
    assert.ok(g, 'the group is listed');
    groupId = g.id;
    assert.equal(g.name, 'VIP 群');
    assert.equal(g.owner_userid, 'zhang');
    assert.equal(g.status, 'active');
    assert.equal(g.customer_count, 1);
    assert.equal(g.member_count, 2);
    const detail = expectOk(await get(`/api/v1/wecom/groups/${groupId}`));
    const customer = detail.members.find((m) => m.type === 'customer');
    assert.equal(customer.member_id, ext.a);
    const a = await customerOf(ext.a);
    assert.equal(customer.customer_id, a.id);
    assert.ok((await eventsOf(a.id)).some((e) => e.event === 'Group Joined' && e.properties.chat_id === chatId));
    const mine = expectOk(await get(`/api/v1/customers/${a.id}/groups`));
    assert.deepEqual(mine.data.map((x) => x.chat_id), [chatId]);
  });

  test('a join by QR code and a removal keep history with scene and inviter', async () => {
    await simPost(`/sim/groups/${chatId}/join`, { external_userid: ext.b, join_scene: 3, invitor: 'zhang' });
    await settled();
    assert.equal((await groupByChat(chatId)).customer_count, 2);
    await simPost(`/sim/groups/${chatId}/leave`, { external_userid: ext.b, quit_scene: 1 });
    await settled();
    assert.equal((await groupByChat(chatId)).customer_count, 1);
    const history = expectOk(await get(`/api/v1/wecom/groups/${groupId}/history`)).data;
    const left = history.find((h) => h.member_id === ext.b && h.action === 'left');
    const joined = history.find((h) => h.member_id === ext.b && h.action === 'joined');
    assert.equal(left.quit_scene, 1);
    assert.equal(joined.join_scene, 3);
    const b = await customerOf(ext.b);
    const names = (await eventsOf(b.id)).map((e) => e.event);
    assert.ok(names.includes('Group Joined'));
    assert.ok(names.includes('Group Left'));
    const mine = expectOk(await get(`/api/v1/customers/${b.id}/groups`));
    assert.equal(mine.data.length, 0);
    assert.equal(mine.history.length, 2);
    // A retried callback changes nothing.
    const state = await sim.state();
    const lastCallback = state.callbacks.at(-1);
    assert.equal(lastCallback.change_type, 'update');
    await simPost(`/sim/callbacks/${lastCallback.id}/resend`, {});
    await settled();
    const again = expectOk(await get(`/api/v1/wecom/groups/${groupId}/history`)).data;
    assert.equal(again.length, history.length);
  });

  test('a dismissed group is marked and its members leave', async () => {
    const other = (await simPost('/sim/groups', { owner: 'zhang', name: 'Flash', members: [ext.c] })).chat_id;
    await settled();
    await simPost(`/sim/groups/${other}/dismiss`, {});
    await settled();
    const g = await groupByChat(other);
    assert.equal(g.status, 'dismissed');
    assert.ok(g.dismissed_at);
    const dismissed = expectOk(await get('/api/v1/wecom/groups?status=dismissed'));
    assert.deepEqual(dismissed.data.map((x) => x.chat_id), [other]);
    const c = await customerOf(ext.c);
    assert.ok((await eventsOf(c.id)).some((e) => e.event === 'Group Left'));
  });

  test('sync reads every group from WeCom without duplicating joins', async () => {
    const r = expectOk(await post('/api/v1/wecom/groups/sync', {}));
    assert.ok(r.groups >= 1);
    assert.equal(r.joined, 0);
    expectError(await get('/api/v1/wecom/groups?status=gone'), 400, 'invalid_argument', 'status');
  });

  test('a group live code moves on when a group is full and raises the alert when all are', async () => {
    const second = (await simPost('/sim/groups', { owner: 'zhang', name: '二群' })).chat_id;
    await settled();
    const g2 = await groupByChat(second);
    expectError(
      await post('/api/v1/wecom/group-live-codes', { name: 'Poster', groups: [{ group_id: groupId, qr_url: 'ftp://x' }] }),
      400,
      'invalid_argument',
      'groups[0].qr_url',
    );
    const code = expectOk(
      await post('/api/v1/wecom/group-live-codes', {
        name: 'Poster',
        member_limit: 2,
        groups: [
          { group_id: groupId, qr_url: 'https://img.example/g1.png' },
          { group_id: g2.id, qr_url: 'https://img.example/g2.png' },
        ],
      }),
      CREATED,
    );
    assert.equal(code.groups[0].full, true); // owner + customer a
    const scan = await api(srv.baseUrl, 'GET', `/g/${code.key}`);
    assert.equal(scan.status, 302);
    assert.equal(scan.headers.get('location'), 'https://img.example/g2.png');
    await simPost(`/sim/groups/${second}/join`, { external_userid: ext.d, join_scene: 3 });
    await settled();
    const full = expectOk(await api(srv.baseUrl, 'GET', `/g/${code.key}?format=json`));
    assert.equal(full.status, 'all_full');
    assert.equal(full.alert, true);
    const html = await api(srv.baseUrl, 'GET', `/g/${code.key}`);
    assert.equal(html.status, 200);
    assert.match(html.text, /群已满/);
    const after = expectOk(await get(`/api/v1/wecom/group-live-codes/${code.id}`));
    assert.equal(after.scans, 3);
    assert.equal(after.full_scans, 2);
    assert.equal(after.all_full, true);
    assert.equal(after.groups[1].scans, 1);
    const raised = expectOk(await api(srv.baseUrl, 'PATCH', `/api/v1/wecom/group-live-codes/${code.id}`, {
      ...owner,
      body: { member_limit: 3 },
    }));
    assert.equal(raised.all_full, false);
    const next = expectOk(await api(srv.baseUrl, 'GET', `/g/${code.key}?format=json`));
    assert.equal(next.group.chat_id, chatId);
  });

  test('per-item codes: first scan, redirects, QR images and exports', async () => {
    expectError(await post('/api/v1/wecom/item-code-batches', { name: 'x', count: 100001, target_url: 'https://a.example' }),
      400, 'invalid_argument', 'count');
    const batch = expectOk(
      await post('/api/v1/wecom/item-code-batches', { name: 'Tea box', count: 3, target_url: 'https://shop.example/tea' }),
      CREATED,
    );
    const codes = expectOk(await get(`/api/v1/wecom/item-code-batches/${batch.id}/codes`)).data;
    assert.equal(codes.length, 3);
    assert.equal(new Set(codes.map((c) => c.code)).size, 3);
    for (const c of codes) assert.match(c.code, /^[0-9A-Za-z]{12}$/);
    const code = codes[0].code;
    const first = await api(srv.baseUrl, 'GET', `/s/${code}`);
    assert.equal(first.status, 302);
    assert.equal(first.headers.get('location'), 'https://shop.example/tea');
    assert.equal(first.headers.get('x-siyu-first-scan'), 'true');
    const second = await api(srv.baseUrl, 'GET', `/s/${code}`);
    assert.equal(second.headers.get('x-siyu-first-scan'), 'false');
    assert.equal((await api(srv.baseUrl, 'GET', '/s/doesnotexist')).status, 404);
    const b = expectOk(await get(`/api/v1/wecom/item-code-batches/${batch.id}`));
    assert.equal(b.used_codes, 1);
    assert.equal(b.scans, 2);
    const listed = expectOk(await get(`/api/v1/wecom/item-code-batches/${batch.id}/codes`)).data.find((c) => c.code === code);
    assert.equal(listed.used, true);
    assert.equal(listed.scans, 2);
    assert.ok(listed.first_scanned_at);

    const fetchBytes = async (p) => {
      const r = await fetch(srv.baseUrl + p, { headers: { cookie: owner.cookie } });
      return { status: r.status, type: r.headers.get('content-type'), bytes: Buffer.from(await r.arrayBuffer()) };
    };
    const png = await fetchBytes(`/api/v1/wecom/item-code-batches/${batch.id}/codes/${code}/qr.png`);
    assert.equal(png.status, 200);
    assert.equal(png.type, 'image/png');
    assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // Every chunk's CRC holds and the image data inflates.
    let at = 8;
    const idat = [];
    while (at < png.bytes.length) {
      const len = png.bytes.readUInt32BE(at);
      const type = png.bytes.subarray(at + 4, at + 8).toString('latin1');
      const crc = png.bytes.readUInt32BE(at + 8 + len);
      assert.equal(zlib.crc32(png.bytes.subarray(at + 4, at + 8 + len)), crc, `${type} CRC`);
      if (type === 'IDAT') idat.push(png.bytes.subarray(at + 8, at + 8 + len));
      at += 12 + len;
    }
    assert.ok(zlib.inflateSync(Buffer.concat(idat)).length > 0);
    const svg = await fetchBytes(`/api/v1/wecom/item-code-batches/${batch.id}/codes/${code}/qr.svg`);
    assert.equal(svg.type, 'image/svg+xml');
    assert.match(svg.bytes.toString('utf8'), /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*<path/s);
    const csv = (await fetchBytes(`/api/v1/wecom/item-code-batches/${batch.id}/export.csv`)).bytes.toString('utf8');
    const rows = csv.trim().split('\n');
    assert.equal(rows[0], 'code,url');
    assert.equal(rows.length, 4);
    assert.ok(rows.some((r) => r === `${code},${srv.baseUrl}/s/${code}`) || rows.some((r) => r.startsWith(`${code},`)));
    const zip = await fetchBytes(`/api/v1/wecom/item-code-batches/${batch.id}/export.zip`);
    assert.equal(zip.type, 'application/zip');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-zip-'));
    const file = path.join(dir, 'codes.zip');
    fs.writeFileSync(file, zip.bytes);
    const unzip = spawnSync('unzip', ['-t', file], { encoding: 'utf8' });
    if (unzip.error?.code !== 'ENOENT') {
      assert.equal(unzip.status, 0, unzip.stdout + unzip.stderr);
      assert.match(unzip.stdout, /No errors detected/);
      const list = spawnSync('unzip', ['-Z1', file], { encoding: 'utf8' }).stdout.trim().split('\n');
      assert.equal(list.length, 4);
      assert.ok(list.includes('codes.csv'));
      assert.ok(list.includes(`svg/${code}.svg`));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a channel live code as a QR image, and per-item codes that lead to its landing', async () => {
    const staff = expectOk(await get('/api/v1/wecom/staff?limit=50')).data.find((x) => x.userid === 'zhang');
    const live = expectOk(await post('/api/v1/wecom/live-codes', { name: '包装码', channel: 'package', staff_ids: [staff.id] }), CREATED);
    const svg = await fetch(`${srv.baseUrl}/api/v1/wecom/live-codes/${live.id}/qr.svg`, { headers: { cookie: owner.cookie } });
    assert.equal(svg.status, 200);
    assert.equal(svg.headers.get('x-encoded-url'), `${srv.baseUrl}/c/${live.key}`);
    assert.match(await svg.text(), /<svg/);
    const png = await fetch(`${srv.baseUrl}/api/v1/wecom/live-codes/${live.id}/qr.png`, { headers: { cookie: owner.cookie } });
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.equal((await get('/api/v1/wecom/live-codes/999999/qr.png')).status, 404);
    const batch = expectOk(await post('/api/v1/wecom/item-code-batches', { name: 'Cans', count: 2, live_code_id: live.id }), CREATED);
    assert.equal(batch.target_type, 'live_code');
    assert.equal(batch.target_url, `${srv.baseUrl}/c/${live.key}`);
    const code = expectOk(await get(`/api/v1/wecom/item-code-batches/${batch.id}/codes`)).data[0].code;
    const scan = await api(srv.baseUrl, 'GET', `/s/${code}`);
    assert.equal(scan.status, 302);
    assert.equal(scan.headers.get('location'), `${srv.baseUrl}/c/${live.key}?item=${code}`);
    expectError(await post('/api/v1/wecom/item-code-batches', { name: 'x', count: 1, live_code_id: 999999 }), 400,
      'invalid_argument', 'live_code_id');
  });

  test('a store manager sees their stores\' groups and transfers only between their staff', async () => {
    const hq = expectOk(await post('/api/v1/stores', { code: 'HQ-G', name: 'HQ', kind: 'hq' }), CREATED);
    const storeA = expectOk(await post('/api/v1/stores', { code: 'A-G', name: 'A', kind: 'store', parent_id: hq.id }), CREATED);
    const storeB = expectOk(await post('/api/v1/stores', { code: 'B-G', name: 'B', kind: 'store', parent_id: hq.id }), CREATED);
    const staff = expectOk(await get('/api/v1/wecom/staff?limit=50')).data;
    const id = (userid) => staff.find((x) => x.userid === userid).id;
    expectOk(await api(srv.baseUrl, 'PATCH', `/api/v1/wecom/staff/${id('zhang')}`, { ...owner, body: { store_id: storeA.id } }));
    expectOk(await api(srv.baseUrl, 'PATCH', `/api/v1/wecom/staff/${id('li')}`, { ...owner, body: { store_id: storeB.id } }));
    const password = 'Manager-pass-123';
    const email = `manager-${Date.now()}@example.com`;
    expectOk(await post('/api/v1/users', { email, name: 'Manager A', role: 'store_manager', password, store_ids: [storeA.id] }), CREATED);
    const manager = { cookie: await loginOk(srv.baseUrl, email, password) };
    // Groups owned by zhang (store A) are visible, li's (store B) are not.
    const liChat = (await simPost('/sim/groups', { owner: 'li', name: '李四群' })).chat_id;
    await settled();
    const liGroup = await groupByChat(liChat);
    const groups = expectOk(await api(srv.baseUrl, 'GET', '/api/v1/wecom/groups', manager)).data;
    assert.ok(groups.length > 0);
    assert.ok(groups.every((g) => g.owner_userid === 'zhang'));
    expectOk(await api(srv.baseUrl, 'GET', `/api/v1/wecom/groups/${groupId}`, manager));
    assert.equal((await api(srv.baseUrl, 'GET', `/api/v1/wecom/groups/${liGroup.id}`, manager)).status, 404);
    const denied = await api(srv.baseUrl, 'POST', '/api/v1/wecom/transfers', {
      ...manager,
      body: { kind: 'on_job', handover_userid: 'zhang', takeover_userid: 'li', external_userids: [ext.a] },
    });
    expectError(denied, 403, 'forbidden');
    assert.equal(expectOk(await get('/api/v1/wecom/transfers')).data.length, 0);
    const noMassSend = await api(srv.baseUrl, 'POST', '/api/v1/wecom/mass-sends', {
      ...manager,
      body: { name: 'x', segment_id: 1, text: 'x' },
    });
    expectError(noMassSend, 403, 'forbidden');
  });

  test('an on-the-job transfer: one customer accepts, one refuses, and the refusal is not retried', async () => {
    expectError(await post('/api/v1/wecom/transfers', { kind: 'sideways', handover_userid: 'zhang', takeover_userid: 'li', external_userids: [ext.a] }),
      400, 'invalid_argument', 'kind');
    const created = expectOk(
      await post('/api/v1/wecom/transfers', {
        kind: 'on_job',
        handover_userid: 'zhang',
        takeover_userid: 'li',
        external_userids: [ext.a, ext.b],
        transfer_msg: '您好，接下来由李四为您服务',
      }),
      CREATED,
    );
    const waiting = await eventually('the transfer to be submitted', async () => {
      const t = expectOk(await get(`/api/v1/wecom/transfers/${created.id}`));
      return t.counts.waiting === 2 ? t : null;
    });
    assert.equal(waiting.status, 'running');
    await simPost('/sim/transfers/complete', { external_userid: ext.a, handover_userid: 'zhang', status: 1 });
    await simPost('/sim/transfers/complete', { external_userid: ext.b, handover_userid: 'zhang', status: 3 });
    await settled();
    const refreshed = expectOk(await post(`/api/v1/wecom/transfers/${created.id}/refresh`, {}));
    const byExt = Object.fromEntries(refreshed.customers.map((c) => [c.external_userid, c]));
    assert.equal(byExt[ext.a].status, 'accepted');
    assert.equal(byExt[ext.b].status, 'refused');
    assert.equal(byExt[ext.b].retryable, false);
    assert.equal(refreshed.status, 'finished');
    const a = await customerOf(ext.a);
    const owners = expectOk(await get(`/api/v1/customers/${a.id}/owners`));
    const rows = owners.data ?? owners;
    assert.ok(rows.some((o) => (o.userid ?? o.staff?.userid ?? o.staff_userid) === 'li' && o.status === 'active'),
      JSON.stringify(rows));
    expectError(await post(`/api/v1/wecom/transfers/${created.id}/retry`, {}), 409, 'failed_precondition');
  });

  test('a resigned inheritance with groups: the limit case is retried and then accepted', async () => {
    await simPost('/sim/staff/zhang/resign', {});
    const created = expectOk(
      await post('/api/v1/wecom/transfers', {
        kind: 'resigned',
        handover_userid: 'zhang',
        takeover_userid: 'li',
        external_userids: [ext.c, ext.d],
        include_groups: true,
      }),
      CREATED,
    );
    assert.ok(created.groups.some((g) => g.chat_id === chatId));
    const submitted = await eventually('the inheritance to be submitted', async () => {
      const t = expectOk(await get(`/api/v1/wecom/transfers/${created.id}`));
      return t.counts.waiting === 2 && t.groups.every((g) => g.status !== 'submitting') ? t : null;
    });
    assert.ok(submitted.groups.every((g) => g.status === 'done'), JSON.stringify(submitted.groups));
    await settled();
    assert.equal((await groupByChat(chatId)).owner_userid, 'li');
    await simPost('/sim/transfers/complete', { external_userid: ext.c, handover_userid: 'zhang', status: 4 });
    await simPost('/sim/transfers/complete', { external_userid: ext.d, handover_userid: 'zhang', status: 1 });
    await settled();
    const after = expectOk(await post(`/api/v1/wecom/transfers/${created.id}/refresh`, {}));
    const byExt = Object.fromEntries(after.customers.map((c) => [c.external_userid, c]));
    assert.equal(byExt[ext.c].status, 'limit');
    assert.equal(byExt[ext.c].retryable, true);
    assert.equal(byExt[ext.d].status, 'accepted');
    const retried = expectOk(await post(`/api/v1/wecom/transfers/${created.id}/retry`, {}));
    assert.equal(retried.status, 'running');
    await eventually('the retry to be submitted', async () => {
      const t = expectOk(await get(`/api/v1/wecom/transfers/${created.id}`));
      return t.customers.find((c) => c.external_userid === ext.c).status === 'waiting' ? t : null;
    });
    await simPost('/sim/transfers/complete', { external_userid: ext.c, handover_userid: 'zhang', status: 1 });
    const done = expectOk(await post(`/api/v1/wecom/transfers/${created.id}/refresh`, {}));
    const c = done.customers.find((x) => x.external_userid === ext.c);
    assert.equal(c.status, 'accepted');
    assert.equal(c.submissions, 2);
    assert.equal(done.status, 'finished');
  });
});
