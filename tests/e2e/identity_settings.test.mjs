// Identity settings: declared custom identifier types, configurable unique types and the
// dormancy window, through the API as an operator and an owner would use them.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, loginOk, api, expectError, cliValue } from './lib/server.mjs';

describe('identity settings', () => {
  let srv;
  let owner;
  let writeKey;

  const track = (body) =>
    fetch(`${srv.baseUrl}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic ' + Buffer.from(`${writeKey}:`).toString('base64') },
      body: JSON.stringify({ batch: body }),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));

  before(async () => {
    srv = await startServer();
    owner = await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword);
    writeKey = cliValue(srv.cli(['apikey', 'create', '--tenant-id', '1', '--name', 'w', '--kind', 'write']).stdout, 'key');
  });
  after(async () => {
    await srv?.stop();
  });

  test('defaults: user_id and phone are unique, 180 days to dormancy, no custom types', async () => {
    const r = await api(srv.baseUrl, 'GET', '/api/v1/identity/settings', { cookie: owner });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { unique_types: ['user_id', 'phone'], dormant_after_days: 180, custom_types: [] });
  });

  test('an undeclared custom type is refused by the customers API until it is declared', async () => {
    const body = { name: '抖音用户', identifiers: [{ type: 'custom:douyin_id', value: 'dy-1' }] };
    expectError(await api(srv.baseUrl, 'POST', '/api/v1/customers', { cookie: owner, body }), 400, 'invalid_argument',
      'identifiers[0].type');
    const put = await api(srv.baseUrl, 'PUT', '/api/v1/identity/settings', {
      cookie: owner, body: { custom_types: [{ type: 'custom:douyin_id', label: '抖音号' }] },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.custom_types, [{ type: 'custom:douyin_id', label: '抖音号' }]);
    const created = await api(srv.baseUrl, 'POST', '/api/v1/customers', { cookie: owner, body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const found = await api(srv.baseUrl, 'GET', '/api/v1/customers/lookup?type=custom:douyin_id&value=dy-1', { cookie: owner });
    assert.equal(found.body.id, created.body.id);
  });

  test('bad settings are refused with the field named and change nothing', async () => {
    const cases = [
      [{ dormant_after_days: 0 }, 'dormant_after_days'],
      [{ dormant_after_days: 'x' }, 'dormant_after_days'],
      [{ unique_types: ['custom:nope'] }, 'unique_types[0]'],
      [{ custom_types: [{ type: 'douyin' }] }, 'custom_types[0].type'],
      [{ colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const r = await api(srv.baseUrl, 'PUT', '/api/v1/identity/settings', { cookie: owner, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.field, field, JSON.stringify(r.body));
    }
    const r = await api(srv.baseUrl, 'GET', '/api/v1/identity/settings', { cookie: owner });
    assert.equal(r.body.dormant_after_days, 180);
  });

  test('making a custom type unique keeps two customers with different values apart', async () => {
    const put = await api(srv.baseUrl, 'PUT', '/api/v1/identity/settings', {
      cookie: owner, body: { unique_types: ['user_id', 'phone', 'custom:douyin_id'] },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const t = Date.now();
    const r = await track([
      { type: 'track', anonymousId: `a-${t}`, event: 'Page Viewed', context: { externalIds: [{ type: 'custom:douyin_id', id: `x-${t}` }] }, messageId: `s1-${t}` },
      { type: 'track', anonymousId: `b-${t}`, event: 'Page Viewed', context: { externalIds: [{ type: 'custom:douyin_id', id: `y-${t}` }] }, messageId: `s2-${t}` },
      { type: 'track', anonymousId: `a-${t}`, event: 'Linked', context: { externalIds: [{ type: 'custom:douyin_id', id: `y-${t}` }] }, messageId: `s3-${t}` },
    ]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.accepted, 3);
    const x = await api(srv.baseUrl, 'GET', `/api/v1/customers/lookup?type=custom:douyin_id&value=x-${t}`, { cookie: owner });
    const y = await api(srv.baseUrl, 'GET', `/api/v1/customers/lookup?type=custom:douyin_id&value=y-${t}`, { cookie: owner });
    assert.notEqual(x.body.id, y.body.id, 'two different unique values were merged');
    const conflicts = await api(srv.baseUrl, 'GET', '/api/v1/identity/conflicts', { cookie: owner });
    assert.ok(conflicts.body.data.some((c) => c.identifier_type === 'custom:douyin_id'), JSON.stringify(conflicts.body));
  });

  test('the dormancy window drives the lifecycle stage', async () => {
    const old = new Date(Date.now() - 40 * 86400000).toISOString();
    const r = await track([{ type: 'track', userId: 'sleepy', event: 'Page Viewed', timestamp: old, messageId: `sleep-${Date.now()}` }]);
    assert.equal(r.body.accepted, 1);
    const before = await api(srv.baseUrl, 'GET', '/api/v1/customers/lookup?type=user_id&value=sleepy', { cookie: owner });
    assert.notEqual(before.body.computed.lifecycle_stage, 'dormant');
    await api(srv.baseUrl, 'PUT', '/api/v1/identity/settings', { cookie: owner, body: { dormant_after_days: 30 } });
    const after = await api(srv.baseUrl, 'GET', '/api/v1/customers/lookup?type=user_id&value=sleepy', { cookie: owner });
    assert.equal(after.body.computed.lifecycle_stage, 'dormant');
  });

  test('only tenant.write may change the settings', async () => {
    srv.cli(['user', 'add', '--tenant-id', '1', '--email', 'analyst@settings.test', '--role', 'analyst', '--password', 'analyst-pass-1']);
    const analyst = await loginOk(srv.baseUrl, 'analyst@settings.test', 'analyst-pass-1');
    assert.equal((await api(srv.baseUrl, 'GET', '/api/v1/identity/settings', { cookie: analyst })).status, 200);
    expectError(await api(srv.baseUrl, 'PUT', '/api/v1/identity/settings', { cookie: analyst, body: { dormant_after_days: 5 } }),
      403, 'forbidden');
  });
});
