// Tags: groups and tags, customer tagging with history, rule tags, bulk tagging (at once and
// as a job), questionnaires that tag by answers, permissions and tenant isolation.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  loginOk,
  api,
  expectError,
  expectOk,
  listAll,
  cliValue,
  randomPassword,
  sleep,
  uniq,
  CREATED,
  DELETED,
  TIMESTAMP_RE,
} from './lib/server.mjs';

// Spent at least ¥1000 in the last 365 days (docs/segments.md).
const HIGH_VALUE_RULE = {
  event: 'Order Completed',
  window: { last_days: 365 },
  aggregate: { sum: 'revenue', op: 'gte', value: 1000 },
};

describe('tags', () => {
  let srv;
  let owner;
  let storeA;
  let storeB;
  let custA;
  let custB;
  let guide;
  let analyst;
  let operatorKey;

  const as = (auth) => ({
    get: (p) => api(srv.baseUrl, 'GET', p, auth),
    post: (p, body) => api(srv.baseUrl, 'POST', p, { ...auth, body }),
    patch: (p, body) => api(srv.baseUrl, 'PATCH', p, { ...auth, body }),
    del: (p, body) => api(srv.baseUrl, 'DELETE', p, { ...auth, body }),
    raw: (method, p, rawBody) => api(srv.baseUrl, method, p, { ...auth, rawBody }),
  });
  const o = () => as(owner);

  async function group(name = uniq('组')) {
    return expectOk(await o().post('/api/v1/tag-groups', { name, color: '#3366FF' }), CREATED);
  }

  async function tag(groupId, name = uniq('标签'), extra = {}) {
    return expectOk(await o().post('/api/v1/tags', { group_id: groupId, name, ...extra }), CREATED);
  }

  async function customer(body = {}) {
    return expectOk(await o().post('/api/v1/customers', { name: uniq('顾客'), ...body }), CREATED);
  }

  const tagIdsOf = async (id, auth = owner) => {
    const res = await as(auth).get(`/api/v1/customers/${id}/tags`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data.map((t) => t.tag_id).sort((a, b) => a - b);
  };

  async function waitForJob(id) {
    for (let i = 0; i < 300; i++) {
      const res = await o().get(`/api/v1/tags/bulk/${id}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      if (res.body.status === 'succeeded' || res.body.status === 'failed') return res.body;
      await sleep(50);
    }
    throw new Error(`bulk job ${id} did not finish`);
  }

  async function userWith(role, storeIds) {
    const password = randomPassword(14);
    const email = `${role}-${uniq()}@example.com`;
    const body = { email, name: `The ${role}`, role, password };
    if (storeIds) body.store_ids = storeIds;
    expectOk(await o().post('/api/v1/users', body), CREATED);
    return { cookie: await loginOk(srv.baseUrl, email, password) };
  }

  before(async () => {
    srv = await startServer();
    owner = { cookie: await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword) };
    const hq = expectOk(await o().post('/api/v1/stores', { code: uniq('HQ-'), name: 'HQ', kind: 'hq' }), CREATED);
    storeA = expectOk(await o().post('/api/v1/stores', { code: uniq('A-'), name: 'A', kind: 'store', parent_id: hq.id }), CREATED);
    storeB = expectOk(await o().post('/api/v1/stores', { code: uniq('B-'), name: 'B', kind: 'store', parent_id: hq.id }), CREATED);
    custA = await customer({ store_id: storeA.id });
    custB = await customer({ store_id: storeB.id });
    guide = await userWith('guide', [storeA.id]);
    analyst = await userWith('analyst');
    const k = expectOk(await o().post('/api/v1/api-keys', { name: 'mini program', kind: 'secret', role: 'operator' }), CREATED);
    operatorKey = { token: k.key };
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  test('groups and tags: create, read, list, change; names unique within a group', async () => {
    const g = await group('兴趣爱好');
    assert.equal(g.name, '兴趣爱好');
    assert.equal(g.color, '#3366FF');
    assert.equal(g.tag_count, 0);
    assert.match(g.created_at, TIMESTAMP_RE);
    const yoga = await tag(g.id, '瑜伽', { color: '#00AA00', sort_order: 2, wecom_tag_id: 'et_yoga' });
    const run = await tag(g.id, '跑步', { sort_order: 1 });
    assert.equal(yoga.kind, 'manual');
    assert.equal(yoga.rule, null);
    assert.equal(yoga.wecom_tag_id, 'et_yoga');

    const read = expectOk(await o().get(`/api/v1/tag-groups/${g.id}`));
    assert.equal(read.tag_count, 2);
    assert.deepEqual(read.tags.map((t) => t.name), ['跑步', '瑜伽']);
    const inGroup = expectOk(await o().get(`/api/v1/tags?group_id=${g.id}`));
    assert.deepEqual(inGroup.data.map((t) => t.id), [run.id, yoga.id]);
    assert.deepEqual(expectOk(await o().get('/api/v1/tags?q=瑜')).data.map((t) => t.id), [yoga.id]);
    assert.ok(expectOk(await o().get('/api/v1/tag-groups')).data.some((x) => x.id === g.id));

    expectError(await o().post('/api/v1/tags', { group_id: g.id, name: '瑜伽' }), 409, 'already_exists', 'name');
    expectError(await o().post('/api/v1/tag-groups', { name: '兴趣爱好' }), 409, 'already_exists', 'name');
    const other = await group();
    expectOk(await o().post('/api/v1/tags', { group_id: other.id, name: '瑜伽' }), CREATED);

    const renamed = expectOk(await o().patch(`/api/v1/tags/${run.id}`, { name: '长跑', color: null }));
    assert.equal(renamed.name, '长跑');
    assert.equal(renamed.color, null);
    expectOk(await o().patch(`/api/v1/tag-groups/${g.id}`, { sort_order: -5 }));
    assert.equal(expectOk(await o().get(`/api/v1/tags/${run.id}`)).name, '长跑');

    expectError(await o().post('/api/v1/tag-groups', { name: 'x', color: 'green' }), 400, 'invalid_argument', 'color');
    expectError(await o().post('/api/v1/tags', { group_id: g.id }), 400, 'invalid_argument', 'name');
    expectError(await o().post('/api/v1/tags', { name: 'x' }), 400, 'invalid_argument', 'group_id');
    expectError(await o().post('/api/v1/tags', { group_id: 987654, name: 'x' }), 400, 'invalid_argument', 'group_id');
    expectError(await o().post('/api/v1/tags', { group_id: g.id, name: 'x', colour: '#000000' }), 400, 'unknown_field', 'colour');
    expectError(await o().post('/api/v1/tags', { group_id: g.id, name: 'x'.repeat(51) }), 400, 'invalid_argument', 'name');
    expectError(await o().raw('POST', '/api/v1/tags', '{"group_id": 1, "name": '), 400, 'invalid_json');
    expectError(await o().raw('POST', '/api/v1/tag-groups', '[1, 2]'), 400, 'invalid_json');
    expectError(await o().get('/api/v1/tags?kind=smart'), 400, 'invalid_argument', 'kind');
    expectError(await o().get('/api/v1/tags/987654'), 404, 'not_found');
  });

  test('tagging a customer records source, actor and time; the history pages with a cursor', async () => {
    const g = await group();
    const a = await tag(g.id);
    const b = await tag(g.id);
    const c = await tag(g.id);
    const cu = await customer();

    const added = expectOk(await o().post(`/api/v1/customers/${cu.id}/tags`, { tag_ids: [a.id, b.id, a.id] }));
    assert.equal(added.customer_id, cu.id);
    assert.equal(added.changed, 2);
    const held = added.data.find((t) => t.tag_id === a.id);
    assert.equal(held.source, 'manual');
    assert.equal(held.kind, 'manual');
    assert.equal(held.applied_by.type, 'user');
    assert.match(held.applied_at, TIMESTAMP_RE);
    assert.equal(held.customer_id, cu.id);

    const byKey = expectOk(await as(operatorKey).post(`/api/v1/customers/${cu.id}/tags`, { tag_ids: [c.id, a.id] }));
    assert.equal(byKey.changed, 1);
    assert.equal(byKey.unchanged, 1);
    assert.equal(byKey.data.find((t) => t.tag_id === c.id).source, 'api');
    assert.equal(byKey.data.find((t) => t.tag_id === c.id).applied_by.name, 'mini program');

    expectOk(await o().del(`/api/v1/customers/${cu.id}/tags/${a.id}`));
    expectOk(await o().del(`/api/v1/customers/${cu.id}/tags?tag_ids=${b.id}`));
    expectOk(await o().del(`/api/v1/customers/${cu.id}/tags`, { tag_ids: [c.id] }));
    assert.deepEqual(await tagIdsOf(cu.id), []);

    const history = await listAll(srv.baseUrl, `/api/v1/customers/${cu.id}/tag-history`, owner, 2);
    assert.equal(history.length, 6);
    assert.deepEqual(history.map((h) => h.action), ['removed', 'removed', 'removed', 'added', 'added', 'added']);
    assert.ok(history.every((h) => TIMESTAMP_RE.test(h.at)));
    const apiEntry = history.find((h) => h.tag_id === c.id && h.action === 'added');
    assert.equal(apiEntry.source, 'api');
    assert.equal(apiEntry.actor.type, 'api_key');
    assert.equal(history.find((h) => h.tag_id === a.id && h.action === 'added').tag_name, a.name);
    const firstPage = expectOk(await o().get(`/api/v1/customers/${cu.id}/tag-history?limit=4`));
    assert.equal(firstPage.data.length, 4);
    assert.equal(typeof firstPage.next_cursor, 'string');
    expectError(await o().get(`/api/v1/customers/${cu.id}/tag-history?cursor=nonsense`), 400, 'invalid_argument', 'cursor');

    expectError(await o().post(`/api/v1/customers/${cu.id}/tags`, { tag_ids: [] }), 400, 'invalid_argument', 'tag_ids');
    expectError(await o().post(`/api/v1/customers/${cu.id}/tags`, { tag_ids: [a.id, 'x'] }), 400, 'invalid_argument', 'tag_ids[1]');
    expectError(await o().post(`/api/v1/customers/${cu.id}/tags`, { tag_ids: [987654] }), 400, 'invalid_argument', 'tag_ids[0]');
    expectError(await o().post(`/api/v1/customers/${cu.id}/tags`, { tag_ids: Array.from({ length: 101 }, (_, i) => i + 1) }), 400, 'invalid_argument', 'tag_ids');
    expectError(await o().post('/api/v1/customers/987654/tags', { tag_ids: [a.id] }), 404, 'not_found');
    expectError(await o().raw('POST', `/api/v1/customers/${cu.id}/tags`, '{"tag_ids": [1,'), 400, 'invalid_json');
    expectError(await o().del(`/api/v1/customers/${cu.id}/tags`), 400, 'invalid_argument', 'tag_ids');
  });

  test('deleting a tag removes it from customers with history; a group with tags needs force', async () => {
    const g = await group();
    const t = await tag(g.id);
    const keep = await tag(g.id);
    const cu = await customer();
    expectOk(await o().post(`/api/v1/customers/${cu.id}/tags`, { tag_ids: [t.id, keep.id] }));
    expectOk(await o().del(`/api/v1/tags/${t.id}`), DELETED);
    expectError(await o().get(`/api/v1/tags/${t.id}`), 404, 'not_found');
    assert.deepEqual(await tagIdsOf(cu.id), [keep.id]);
    const history = expectOk(await o().get(`/api/v1/customers/${cu.id}/tag-history`)).data;
    assert.equal(history[0].action, 'removed');
    assert.equal(history[0].tag_id, t.id);
    assert.equal(history[0].source, 'manual');
    expectError(await o().post(`/api/v1/customers/${cu.id}/tags`, { tag_ids: [t.id] }), 400, 'invalid_argument', 'tag_ids[0]');

    expectError(await o().del(`/api/v1/tag-groups/${g.id}`), 409, 'failed_precondition');
    expectError(await o().del(`/api/v1/tag-groups/${g.id}?force=maybe`), 400, 'invalid_argument', 'force');
    expectOk(await o().get(`/api/v1/tag-groups/${g.id}`));
    expectOk(await o().del(`/api/v1/tag-groups/${g.id}?force=true`), DELETED);
    expectError(await o().get(`/api/v1/tag-groups/${g.id}`), 404, 'not_found');
    expectError(await o().get(`/api/v1/tags/${keep.id}`), 404, 'not_found');
    assert.deepEqual(await tagIdsOf(cu.id), []);
    const empty = await group();
    expectOk(await o().del(`/api/v1/tag-groups/${empty.id}`), DELETED);
  });

  test('rule tags: the rule is stored, validated with its field path, and cannot be applied by hand', async () => {
    const g = await group('价值');
    const high = await tag(g.id, '高价值', { rule: HIGH_VALUE_RULE });
    assert.equal(high.kind, 'rule');
    assert.deepEqual(high.rule, HIGH_VALUE_RULE);
    const rules = expectOk(await o().get('/api/v1/tags?kind=rule')).data;
    assert.ok(rules.some((t) => t.id === high.id));
    assert.ok(!expectOk(await o().get('/api/v1/tags?kind=manual')).data.some((t) => t.id === high.id));

    const before = expectOk(await o().get(`/api/v1/tags?group_id=${g.id}`)).data.length;
    const bad = expectError(
      await o().post('/api/v1/tags', {
        group_id: g.id,
        name: uniq('bad'),
        rule: { and: [HIGH_VALUE_RULE, { event: 'Order Completed', window: { last_days: -3 } }] },
      }),
      400,
      'invalid_argument',
    );
    assert.match(bad.field, /^rule\.and\[1\]\.window/);
    assert.ok(bad.message.startsWith(bad.field), bad.message);
    expectError(
      await o().post('/api/v1/tags', { group_id: g.id, name: uniq('bad'), rule: { and: [{ trait: 'city', op: 'eq', value: '上海', colour: 'red' }] } }),
      400,
      'unknown_field',
      'rule.and[0].colour',
    );
    expectError(await o().post('/api/v1/tags', { group_id: g.id, name: uniq('bad'), rule: 'spent > 1000' }), 400, 'invalid_argument', 'rule');
    expectError(await o().post('/api/v1/tags', { group_id: g.id, name: uniq('bad'), rule: { tag: 'has', id: 987654 } }), 400, 'invalid_argument', 'rule');
    expectError(await o().patch(`/api/v1/tags/${high.id}`, { rule: { tag: 'has', id: high.id } }), 400, 'invalid_argument', 'rule');
    assert.equal(expectOk(await o().get(`/api/v1/tags?group_id=${g.id}`)).data.length, before);
    assert.deepEqual(expectOk(await o().get(`/api/v1/tags/${high.id}`)).rule, HIGH_VALUE_RULE);

    const err = expectError(await o().post(`/api/v1/customers/${custA.id}/tags`, { tag_ids: [high.id] }), 409, 'failed_precondition', 'tag_ids[0]');
    assert.match(err.message, /rule tag/);
    expectError(await o().del(`/api/v1/customers/${custA.id}/tags/${high.id}`), 409, 'failed_precondition');
    expectError(await o().post('/api/v1/tags/bulk', { action: 'add', tag_ids: [high.id], customer_ids: [custA.id] }), 409, 'failed_precondition', 'tag_ids[0]');

    // A manual tag someone holds cannot turn into a rule tag; a rule tag can become manual.
    const plain = await tag(g.id);
    expectOk(await o().post(`/api/v1/customers/${custA.id}/tags`, { tag_ids: [plain.id] }));
    expectError(await o().patch(`/api/v1/tags/${plain.id}`, { rule: HIGH_VALUE_RULE }), 409, 'failed_precondition', 'rule');
    const manual = expectOk(await o().patch(`/api/v1/tags/${high.id}`, { rule: null }));
    assert.equal(manual.kind, 'manual');
  });

  test('bulk: at once up to 1,000 customers, as a job above that with progress; oversized lists are refused', async () => {
    const g = await group();
    const t = await tag(g.id);
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push((await customer()).id);

    const now = expectOk(await o().post('/api/v1/tags/bulk', { action: 'add', tag_ids: [t.id], customer_ids: [...mine, mine[0]] }));
    assert.equal(now.customers, 3);
    assert.equal(now.changed, 3);
    for (const id of mine) assert.deepEqual(await tagIdsOf(id), [t.id]);

    expectError(await o().post('/api/v1/tags/bulk', { action: 'remove', tag_ids: [t.id], customer_ids: [mine[0], 987654] }), 404, 'not_found');
    assert.deepEqual(await tagIdsOf(mine[0]), [t.id], 'a failed bulk request changed something');

    // 1,000 unknown ids and our three: a job, which skips what it cannot find.
    const unknown = Array.from({ length: 1000 }, (_, i) => 900000 + i);
    const started = await o().post('/api/v1/tags/bulk', { action: 'remove', tag_ids: [t.id], customer_ids: [...unknown, ...mine] });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.headers.get('location'), `/api/v1/tags/bulk/${started.body.id}`);
    assert.equal(started.body.progress.total, 1003);
    assert.ok(['queued', 'running', 'succeeded'].includes(started.body.status));
    const done = await waitForJob(started.body.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.deepEqual(done.progress, { total: 1003, processed: 1003, changed: 3, skipped: 1000, percent: 100 });
    assert.match(done.finished_at, TIMESTAMP_RE);
    for (const id of mine) assert.deepEqual(await tagIdsOf(id), []);
    const history = expectOk(await o().get(`/api/v1/customers/${mine[1]}/tag-history`)).data;
    assert.equal(history[0].job_id, done.id);

    expectError(await o().post('/api/v1/tags/bulk', { action: 'add', tag_ids: [t.id], customer_ids: Array.from({ length: 100001 }, (_, i) => i + 1) }), 400, 'invalid_argument', 'customer_ids');
    expectError(await o().post('/api/v1/tags/bulk', { action: 'add', tag_ids: Array.from({ length: 101 }, (_, i) => i + 1), customer_ids: mine }), 400, 'invalid_argument', 'tag_ids');
    expectError(await o().post('/api/v1/tags/bulk', { action: 'tag', tag_ids: [t.id], customer_ids: mine }), 400, 'invalid_argument', 'action');
    expectError(await o().post('/api/v1/tags/bulk', { action: 'add', tag_ids: [t.id] }), 400, 'invalid_argument', 'customer_ids');
    expectError(await o().post('/api/v1/tags/bulk', { action: 'add', tag_ids: [t.id], customer_ids: mine, segment_id: 1 }), 400, 'invalid_argument', 'customer_ids');
    expectError(await o().post('/api/v1/tags/bulk', { action: 'add', tag_ids: [t.id], customer_ids: [1, -2] }), 400, 'invalid_argument', 'customer_ids[1]');
    expectError(await o().raw('POST', '/api/v1/tags/bulk', 'action=add'), 400, 'invalid_json');
    expectError(await o().get('/api/v1/tags/bulk/987654'), 404, 'not_found');

    // A segment's members, when segments are available: a job over the members at request time.
    const probe = await o().post('/api/v1/tags/bulk', { action: 'add', tag_ids: [t.id], segment_id: 987654 });
    if (probe.status === 503) {
      expectError(probe, 503, 'unavailable');
    } else {
      expectError(probe, 404, 'not_found');
      const cohort = uniq('cohort');
      const members = [(await customer({ traits: { cohort } })).id, (await customer({ traits: { cohort } })).id];
      const segment = expectOk(await o().post('/api/v1/segments', { name: cohort, rule: { trait: 'cohort', op: 'eq', value: cohort } }), CREATED);
      for (let i = 0; i < 200 && expectOk(await o().get(`/api/v1/segments/${segment.id}`)).size !== 2; i++) await sleep(50);
      const bySegment = await o().post('/api/v1/tags/bulk', { action: 'add', tag_ids: [t.id], segment_id: segment.id });
      assert.equal(bySegment.status, 202, JSON.stringify(bySegment.body));
      assert.equal(bySegment.body.segment_id, segment.id);
      const finished = await waitForJob(bySegment.body.id);
      assert.equal(finished.status, 'succeeded', JSON.stringify(finished));
      assert.equal(finished.progress.changed, 2);
      for (const id of members) assert.deepEqual(await tagIdsOf(id), [t.id]);
    }

    const audit = expectOk(await o().get('/api/v1/audit-log?action=tag.bulk')).data;
    assert.ok(audit.length >= 2, JSON.stringify(audit));
  });

  test('questionnaires: answers apply the mapped tags at once and are listed on the profile', async () => {
    const g = await group('肤质');
    const dry = await tag(g.id, '干性');
    const oily = await tag(g.id, '油性');
    const sensitive = await tag(g.id, '敏感肌');
    const q = expectOk(
      await o().post('/api/v1/questionnaires', {
        name: '肤质测试',
        questions: [
          {
            id: 'skin',
            title: '您的肤质是？',
            required: true,
            choices: [
              { id: 'dry', label: '干性', tag_ids: [dry.id], codes: ['skin:dry'] },
              { id: 'oily', label: '油性', tag_ids: [oily.id] },
            ],
          },
          {
            title: '您关心哪些问题？',
            type: 'multiple',
            choices: [{ label: '敏感', tag_ids: [sensitive.id] }, { label: '暗沉', codes: ['concern:dull'] }],
          },
        ],
      }),
      CREATED,
    );
    assert.equal(q.questions[1].id, 'q2');
    assert.equal(q.questions[1].choices[0].id, 'c1');
    assert.equal(q.questions[0].type, 'single');
    assert.ok(expectOk(await o().get('/api/v1/questionnaires')).data.some((x) => x.id === q.id));

    const cu = await customer({ store_id: storeA.id });
    const answered = await as(operatorKey).post(`/api/v1/questionnaires/${q.id}/answers`, {
      customer_id: cu.id,
      answers: [
        { question_id: 'skin', choice_ids: ['dry'] },
        { question_id: 'q2', choice_ids: ['c1', 'c2'] },
      ],
    });
    const a = expectOk(answered, CREATED);
    assert.deepEqual(a.tag_ids, [dry.id, sensitive.id]);
    assert.deepEqual(a.codes, ['skin:dry', 'concern:dull']);
    assert.equal(a.submitted_by.name, 'mini program');
    const held = expectOk(await o().get(`/api/v1/customers/${cu.id}/tags`)).data;
    assert.deepEqual(held.map((t) => t.tag_id).sort((x, y) => x - y), [dry.id, sensitive.id].sort((x, y) => x - y));
    assert.ok(held.every((t) => t.source === 'questionnaire'));
    const history = expectOk(await o().get(`/api/v1/customers/${cu.id}/tag-history`)).data;
    assert.ok(history.length === 2 && history.every((h) => h.source === 'questionnaire'));
    const onProfile = expectOk(await o().get(`/api/v1/customers/${cu.id}/questionnaire-answers`)).data;
    assert.equal(onProfile.length, 1);
    assert.equal(onProfile[0].questionnaire_name, '肤质测试');
    assert.deepEqual(onProfile[0].answers[1].choices, ['敏感', '暗沉']);
    assert.equal(expectOk(await o().get(`/api/v1/questionnaires/${q.id}/answers`)).data.length, 1);

    const post = (body) => o().post(`/api/v1/questionnaires/${q.id}/answers`, { customer_id: cu.id, ...body });
    const skinDry = { question_id: 'skin', choice_ids: ['dry'] };
    expectError(await post({ answers: [{ question_id: 'skin', choice_ids: ['dry', 'oily'] }] }), 400, 'invalid_argument', 'answers[0].choice_ids');
    expectError(await post({ answers: [{ question_id: 'age', choice_ids: ['x'] }] }), 400, 'invalid_argument', 'answers[0].question_id');
    expectError(await post({ answers: [skinDry, { question_id: 'q2', choice_ids: ['c9'] }] }), 400, 'invalid_argument', 'answers[1].choice_ids[0]');
    expectError(await post({ answers: [{ question_id: 'q2', choice_ids: ['c1'] }] }), 400, 'invalid_argument', 'answers');
    expectError(await post({ answers: [{ question_id: 'skin', choices: ['dry'] }] }), 400, 'unknown_field', 'answers[0].choices');
    expectError(await o().post(`/api/v1/questionnaires/${q.id}/answers`, { answers: [skinDry] }), 400, 'invalid_argument', 'customer_id');
    expectError(await o().post(`/api/v1/questionnaires/${q.id}/answers`, { customer_id: 987654, answers: [skinDry] }), 404, 'not_found');
    expectError(await o().post('/api/v1/questionnaires/987654/answers', { customer_id: cu.id, answers: [skinDry] }), 404, 'not_found');
    expectError(await o().raw('POST', `/api/v1/questionnaires/${q.id}/answers`, '{"customer_id":'), 400, 'invalid_json');
    assert.equal(expectOk(await o().get(`/api/v1/customers/${cu.id}/questionnaire-answers`)).data.length, 1);

    const badDef = { name: 'x', questions: [{ title: 't', choices: [{ label: 'a', tag_ids: [987654] }] }] };
    expectError(await o().post('/api/v1/questionnaires', badDef), 400, 'invalid_argument', 'questions[0].choices[0].tag_ids[0]');
    expectError(await o().post('/api/v1/questionnaires', { name: 'x', questions: [{ title: 't', type: 'text', choices: [{ label: 'a' }] }] }), 400, 'invalid_argument', 'questions[0].type');
    expectError(await o().post('/api/v1/questionnaires', { name: 'x' }), 400, 'invalid_argument', 'questions');

    const renamed = expectOk(await o().patch(`/api/v1/questionnaires/${q.id}`, { name: '肤质测试 v2' }));
    assert.equal(renamed.questions.length, 2);
    expectOk(await o().del(`/api/v1/questionnaires/${q.id}`), DELETED);
    expectError(await o().get(`/api/v1/questionnaires/${q.id}`), 404, 'not_found');
    assert.equal(expectOk(await o().get(`/api/v1/customers/${cu.id}/questionnaire-answers`)).data.length, 1);

    for (const action of ['tag_group.create', 'tag.create', 'tag.delete', 'questionnaire.create', 'questionnaire.delete']) {
      const entries = expectOk(await o().get(`/api/v1/audit-log?action=${action}`)).data;
      assert.ok(entries.length > 0, `${action} not audited`);
    }
  });

  test('permissions: a guide tags its own customers only and cannot manage tags; an analyst only reads', async () => {
    const g = await group();
    const t = await tag(g.id);
    const gd = as(guide);
    expectError(await gd.post('/api/v1/tag-groups', { name: uniq('x') }), 403, 'forbidden');
    expectError(await gd.post('/api/v1/tags', { group_id: g.id, name: uniq('x') }), 403, 'forbidden');
    expectError(await gd.patch(`/api/v1/tags/${t.id}`, { name: 'guide was here' }), 403, 'forbidden');
    expectError(await gd.del(`/api/v1/tags/${t.id}`), 403, 'forbidden');
    expectError(await gd.post('/api/v1/questionnaires', { name: 'x', questions: [] }), 403, 'forbidden');
    assert.equal(expectOk(await o().get(`/api/v1/tags/${t.id}`)).name, t.name);
    assert.ok(expectOk(await gd.get('/api/v1/tags')).data.some((x) => x.id === t.id));

    expectOk(await gd.post(`/api/v1/customers/${custA.id}/tags`, { tag_ids: [t.id] }));
    assert.ok((await tagIdsOf(custA.id, guide)).includes(t.id));
    expectError(await gd.post(`/api/v1/customers/${custB.id}/tags`, { tag_ids: [t.id] }), 404, 'not_found');
    expectError(await gd.get(`/api/v1/customers/${custB.id}/tags`), 404, 'not_found');
    expectError(await gd.get(`/api/v1/customers/${custB.id}/tag-history`), 404, 'not_found');
    expectError(await gd.post('/api/v1/tags/bulk', { action: 'add', tag_ids: [t.id], customer_ids: [custA.id, custB.id] }), 404, 'not_found');
    assert.ok(!(await tagIdsOf(custB.id)).includes(t.id));

    const an = as(analyst);
    expectOk(await an.get(`/api/v1/customers/${custB.id}/tags`));
    expectError(await an.post(`/api/v1/customers/${custB.id}/tags`, { tag_ids: [t.id] }), 403, 'forbidden');
    expectError(await an.post('/api/v1/tags/bulk', { action: 'add', tag_ids: [t.id], customer_ids: [custB.id] }), 403, 'forbidden');
  });

  test("another tenant's ids are not found", async () => {
    const g = await group();
    const t = await tag(g.id);
    const q = expectOk(await o().post('/api/v1/questionnaires', { name: 'q', questions: [{ title: 't', choices: [{ label: 'a', tag_ids: [t.id] }] }] }), CREATED);
    const added = srv.cli(['tenant', 'add', '--name', uniq('Tenant Two ')]);
    assert.equal(added.code, 0, added.stderr);
    const t2 = cliValue(added.stdout, 'tenant_id');
    const email = `${uniq('two')}@example.com`;
    const password = randomPassword(16);
    const u = srv.cli(['user', 'add', '--tenant-id', t2, '--email', email, '--name', 'Owner Two', '--role', 'owner', '--password', password]);
    assert.equal(u.code, 0, u.stderr);
    const two = as({ cookie: await loginOk(srv.baseUrl, email, password) });
    const theirCustomer = expectOk(await two.post('/api/v1/customers', { name: 'theirs' }), CREATED);

    expectError(await two.get(`/api/v1/tag-groups/${g.id}`), 404, 'not_found');
    expectError(await two.patch(`/api/v1/tag-groups/${g.id}`, { name: 'hijacked' }), 404, 'not_found');
    expectError(await two.del(`/api/v1/tags/${t.id}`), 404, 'not_found');
    expectError(await two.get(`/api/v1/questionnaires/${q.id}`), 404, 'not_found');
    expectError(await two.post(`/api/v1/questionnaires/${q.id}/answers`, { customer_id: theirCustomer.id, answers: [{ question_id: 'q1', choice_ids: ['c1'] }] }), 404, 'not_found');
    expectError(await two.get(`/api/v1/customers/${custA.id}/tags`), 404, 'not_found');
    expectError(await two.post(`/api/v1/customers/${theirCustomer.id}/tags`, { tag_ids: [t.id] }), 400, 'invalid_argument', 'tag_ids[0]');
    assert.deepEqual(expectOk(await two.get('/api/v1/tags')).data, []);
    assert.deepEqual(expectOk(await two.get('/api/v1/tag-groups')).data, []);
    assert.equal(expectOk(await o().get(`/api/v1/tag-groups/${g.id}`)).name, g.name);
  });
});
