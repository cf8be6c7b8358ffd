// WeCom connection and callbacks: settings with secrets that never come back, URL verification
// and event delivery encrypted with node:crypto (lib/wecom.mjs, independently of the server's
// code), the inbox (async processing, duplicates), every rejection, `siyu wecom decrypt|encrypt`.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, runCli, loginOk, api, expectError, expectOk, randomPassword, uniq, CREATED } from './lib/server.mjs';
import {
  wxEncrypt,
  wxDecrypt,
  wxSign,
  callbackBody,
  queryString as query,
  signedCallback,
  deliverCallback,
  eventually,
} from './lib/wecom.mjs';

function probeXml(corpId, marker) {
  return `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>` +
    `<CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
    `<Event><![CDATA[siyu_e2e_probe]]></Event><Marker><![CDATA[${marker}]]></Marker></xml>`;
}

describe('WeCom callbacks', () => {
  let srv;
  let owner;
  let tenantId;
  const token = 'T' + crypto.randomBytes(8).toString('hex');
  const encodingAesKey = crypto.randomBytes(32).toString('base64').slice(0, 43);
  const corpId = 'ww' + crypto.randomBytes(8).toString('hex');
  const contactSecret = 'contact-' + randomPassword(20);
  const agentSecret = 'agent-' + randomPassword(20);

  const get = (p, auth = owner) => api(srv.baseUrl, 'GET', p, auth);
  const put = (p, body, auth = owner) => api(srv.baseUrl, 'PUT', p, { ...auth, body });

  // Sends an encrypted event as WeCom does and answers the response.
  const deliver = (xmlBody, params, tenant = tenantId) => deliverCallback(srv.baseUrl, tenant, xmlBody, params);

  const encryptedDelivery = (message, { receiveId = corpId, signWith = token } = {}) =>
    signedCallback(message, { token, aesKey: encodingAesKey, corpId, receiveId, signWith, agentId: 1000002 });

  async function inbox() {
    return expectOk(await get('/api/v1/wecom/inbox?limit=200'));
  }

  async function stored() {
    const s = await inbox();
    return s.pending + s.done + s.failed;
  }

  function waitForRow(marker) {
    return eventually(`inbox row ${marker} to be processed`, async () => {
      const s = await inbox();
      const row = s.recent.find((r) => r.fields.Marker === marker);
      return row && row.status !== 'pending' ? { row, inbox: s } : null;
    }, 400, 50);
  }

  before(async () => {
    srv = await startServer();
    owner = { cookie: await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword) };
    const me = expectOk(await get('/api/v1/auth/me'));
    tenantId = me.tenant?.id ?? me.tenant_id;
    assert.ok(Number.isInteger(tenantId), `tenant id from /auth/me: ${JSON.stringify(me)}`);
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  test('a callback before WeCom is configured is refused', async () => {
    const res = await api(srv.baseUrl, 'GET', `/wecom/callback/${tenantId}?${query({ msg_signature: 'x', timestamp: '1', nonce: '2', echostr: 'abcd' })}`);
    expectError(res, 409, 'failed_precondition');
    const unset = expectOk(await get('/api/v1/wecom/config'));
    assert.equal(unset.configured, false);
    assert.equal(unset.token_set, false);
    assert.match(unset.callback_url, new RegExp(`/wecom/callback/${tenantId}$`));
  });

  test('settings are stored with secrets that never come back', async () => {
    const saved = expectOk(
      await put('/api/v1/wecom/config', {
        corp_id: corpId,
        contact_secret: contactSecret,
        agent_secret: agentSecret,
        agent_id: 1000002,
        token,
        encoding_aes_key: encodingAesKey,
      }),
    );
    assert.equal(saved.configured, true);
    assert.equal(saved.corp_id, corpId);
    assert.equal(saved.api_base_url, 'https://qyapi.weixin.qq.com');
    assert.match(saved.callback_url, new RegExp(`/wecom/callback/${tenantId}$`));
    const res = await get('/api/v1/wecom/config');
    const got = expectOk(res);
    assert.deepEqual(
      [got.contact_secret_set, got.agent_secret_set, got.token_set, got.encoding_aes_key_set, got.agent_id],
      [true, true, true, true, 1000002],
    );
    for (const secret of [contactSecret, agentSecret, token, encodingAesKey]) {
      assert.ok(!res.text.includes(secret), 'GET must not return a secret');
    }
    assert.ok(!('contact_secret' in got) && !('token' in got) && !('encoding_aes_key' in got));

    // A partial update keeps the omitted secrets.
    const changed = expectOk(await put('/api/v1/wecom/config', { api_base_url: 'http://127.0.0.1:9/' }));
    assert.equal(changed.api_base_url, 'http://127.0.0.1:9');
    assert.equal(changed.contact_secret_set, true);
    assert.equal(changed.token_set, true);

    // The audit log names the change without its values.
    const audit = await get('/api/v1/audit-log?limit=20');
    if (audit.status === 200) {
      const text = JSON.stringify(audit.body);
      assert.ok(text.includes('wecom.config'), 'audit entry for the change');
      for (const secret of [contactSecret, agentSecret, token, encodingAesKey]) assert.ok(!text.includes(secret));
    }
  });

  test('a bad EncodingAESKey or URL is refused naming the field and changes nothing', async () => {
    expectError(await put('/api/v1/wecom/config', { encoding_aes_key: encodingAesKey.slice(1) }), 400, 'invalid_argument', 'encoding_aes_key');
    expectError(await put('/api/v1/wecom/config', { encoding_aes_key: encodingAesKey.slice(1) + '!' }), 400, 'invalid_argument', 'encoding_aes_key');
    expectError(await put('/api/v1/wecom/config', { api_base_url: 'ftp://example.com' }), 400, 'invalid_argument', 'api_base_url');
    expectError(await put('/api/v1/wecom/config', { agent_id: 'x' }), 400, 'invalid_argument', 'agent_id');
    expectError(await put('/api/v1/wecom/config', { secret: 'x' }), 400, 'unknown_field');
    const got = expectOk(await get('/api/v1/wecom/config'));
    assert.equal(got.corp_id, corpId);
    assert.equal(got.api_base_url, 'http://127.0.0.1:9');
  });

  test('URL verification answers the decrypted echostr as plain text', async () => {
    const echo = String(crypto.randomInt(1e12));
    const echostr = wxEncrypt(encodingAesKey, corpId, echo);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = String(crypto.randomInt(1e9));
    const params = { msg_signature: wxSign(token, timestamp, nonce, echostr), timestamp, nonce, echostr };
    const res = await api(srv.baseUrl, 'GET', `/wecom/callback/${tenantId}?${query(params)}`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type'), /^text\/plain/);
    assert.equal(res.text, echo);

    const tampered = { ...params, msg_signature: wxSign(token, timestamp, nonce + '1', echostr) };
    const bad = await api(srv.baseUrl, 'GET', `/wecom/callback/${tenantId}?${query(tampered)}`);
    const err = expectError(bad, 401, 'unauthenticated', 'msg_signature');
    assert.match(err.message, /-40001/);
    const missing = { ...params };
    delete missing.nonce;
    expectError(await api(srv.baseUrl, 'GET', `/wecom/callback/${tenantId}?${query(missing)}`), 400, 'invalid_argument', 'nonce');
  });

  test('an event is stored, answered at once and processed; an unregistered event is done and ignored', async () => {
    const marker = uniq('m');
    const d = encryptedDelivery(probeXml(corpId, marker));
    const res = await deliver(d.body, d.params);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, 'success');
    const { row } = await waitForRow(marker);
    assert.equal(row.status, 'done');
    assert.equal(row.note, 'ignored');
    assert.equal(row.event, 'siyu_e2e_probe');
    assert.equal(row.fields.ToUserName, corpId);
  });

  test('a callback WeCom delivers again is stored once and counted as a duplicate', async () => {
    const marker = uniq('dup');
    const message = probeXml(corpId, marker); // one CreateTime: the very same message each time
    const d = encryptedDelivery(message);
    const before = await inbox();
    for (let i = 0; i < 3; i++) {
      const res = await deliver(d.body, d.params);
      assert.equal(res.text, 'success');
    }
    // A retry with a fresh timestamp, nonce and ciphertext of the same message is the same callback.
    const again = encryptedDelivery(message);
    assert.notEqual(again.encrypted, d.encrypted);
    assert.equal((await deliver(again.body, again.params)).text, 'success');
    const { inbox: after } = await waitForRow(marker);
    assert.equal(after.recent.filter((r) => r.fields.Marker === marker).length, 1);
    assert.equal(after.duplicates - before.duplicates, 3);
    assert.equal(after.pending + after.done + after.failed, before.pending + before.done + before.failed + 1);
  });

  test('rejected callbacks answer 4xx and store nothing', async () => {
    const count = await stored();
    const message = probeXml(corpId, uniq('rej'));

    const tampered = encryptedDelivery(message);
    tampered.params.msg_signature = tampered.params.msg_signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    let err = expectError(await deliver(tampered.body, tampered.params), 401, 'unauthenticated', 'msg_signature');
    assert.match(err.message, /-40001 ValidateSignatureError/);

    const wrongToken = encryptedDelivery(message, { signWith: 'another' });
    expectError(await deliver(wrongToken.body, wrongToken.params), 401, 'unauthenticated');

    const otherCorp = encryptedDelivery(message, { receiveId: 'wwsomeoneelse' });
    err = expectError(await deliver(otherCorp.body, otherCorp.params), 400, 'invalid_argument');
    assert.match(err.message, /-40005/);

    const garbled = encryptedDelivery(message);
    const raw = Buffer.from(garbled.encrypted, 'base64');
    raw[raw.length - 17] ^= 0x40; // flips the last plaintext byte: the padding
    const flipped = raw.toString('base64');
    const ts = garbled.params.timestamp;
    const nonce = garbled.params.nonce;
    err = expectError(
      await deliver(callbackBody(corpId, flipped, 1000002), { msg_signature: wxSign(token, ts, nonce, flipped), timestamp: ts, nonce }),
      400,
      'invalid_argument',
    );
    assert.match(err.message, /-40007/);

    err = expectError(await deliver('<xml><Encrypt>unclosed', tampered.params), 400, 'invalid_argument', 'body');
    assert.match(err.message, /-40002/);
    expectError(await deliver('not xml at all', tampered.params), 400, 'invalid_argument', 'body');

    const notXml = encryptedDelivery('this plaintext is not XML');
    expectError(await deliver(notXml.body, notXml.params), 400, 'invalid_argument');

    const noSig = encryptedDelivery(message);
    delete noSig.params.msg_signature;
    expectError(await deliver(noSig.body, noSig.params), 400, 'invalid_argument', 'msg_signature');

    const good = encryptedDelivery(message);
    expectError(await deliver(good.body, good.params, 987654), 404, 'not_found');
    expectError(await deliver(good.body, good.params, 'abc'), 404, 'not_found');

    assert.equal(await stored(), count, 'nothing was stored');
  });

  test('only failed rows can be retried', async () => {
    const marker = uniq('r');
    const d = encryptedDelivery(probeXml(corpId, marker));
    await deliver(d.body, d.params);
    const { row } = await waitForRow(marker);
    expectError(await api(srv.baseUrl, 'POST', `/api/v1/wecom/inbox/${row.id}/retry`, owner), 409, 'failed_precondition');
    expectError(await api(srv.baseUrl, 'POST', '/api/v1/wecom/inbox/99999999/retry', owner), 404, 'not_found');
  });

  test('a guide may not read or change the WeCom settings', async () => {
    const store = expectOk(
      await api(srv.baseUrl, 'POST', '/api/v1/stores', { ...owner, body: { code: uniq('S-'), name: 'Store', kind: 'store' } }),
      CREATED,
    );
    const email = `${uniq('guide')}@example.com`;
    const password = randomPassword(14);
    expectOk(
      await api(srv.baseUrl, 'POST', '/api/v1/users', {
        ...owner,
        body: { email, name: 'Guide', password, role: 'guide', store_ids: [store.id] },
      }),
      CREATED,
    );
    const guide = { cookie: await loginOk(srv.baseUrl, email, password) };
    expectError(await get('/api/v1/wecom/config', guide), 403, 'forbidden');
    expectError(await put('/api/v1/wecom/config', { corp_id: 'ww-guide' }, guide), 403, 'forbidden');
    expectError(await get('/api/v1/wecom/inbox', guide), 403, 'forbidden');
    assert.equal(expectOk(await get('/api/v1/wecom/config')).corp_id, corpId);
  });
});

describe('siyu wecom decrypt and encrypt', () => {
  // The official WXBizMsgCrypt sample (企业微信 callback library).
  const sample = {
    token: 'QDG6eK',
    aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
    corpId: 'wx5823bf96d3bd56c7',
    signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
    timestamp: '1409659589',
    nonce: '263014780',
    echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
  };
  const base = (s) => [
    'wecom', 'decrypt', '--token', s.token, '--aes-key', s.aesKey, '--corp-id', s.corpId,
    '--signature', s.signature, '--timestamp', s.timestamp, '--nonce', s.nonce,
  ];
  let dir;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-wecom-cli-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('decrypts the official sample URL verification', () => {
    assert.equal(wxSign(sample.token, sample.timestamp, sample.nonce, sample.echostr), sample.signature);
    const expected = wxDecrypt(sample.aesKey, sample.echostr);
    assert.equal(expected.receiveId, sample.corpId);
    const r = runCli([...base(sample), '--echostr', sample.echostr]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), expected.message);
  });

  test('names the official error code and what to check', () => {
    let r = runCli([...base({ ...sample, signature: '0'.repeat(40) }), '--echostr', sample.echostr]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /-40001 ValidateSignatureError/);
    assert.match(r.stderr, /token/i);
    r = runCli([...base({ ...sample, corpId: 'wwother' }), '--echostr', sample.echostr]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /-40005/);
    assert.match(r.stderr, /wx5823bf96d3bd56c7/);
    r = runCli([...base({ ...sample, aesKey: sample.aesKey.slice(1) }), '--echostr', sample.echostr]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /-40004 IllegalAesKey/);
  });

  test('encrypt crafts a callback that decrypt (and an independent decryption) accept', () => {
    const message = `<xml><Event><![CDATA[change_external_contact]]></Event><Content>你好 ${uniq()}</Content></xml>`;
    const file = path.join(dir, 'message.xml');
    fs.writeFileSync(file, message);
    const opts = ['--token', sample.token, '--aes-key', sample.aesKey, '--corp-id', sample.corpId, '--timestamp', '1700000000', '--nonce', '42'];
    const enc = runCli(['wecom', 'encrypt', ...opts, '--xml', file]);
    assert.equal(enc.code, 0, enc.stderr);
    const [xml] = enc.stdout.split('\n');
    const encrypted = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(xml)[1];
    const signature = /<MsgSignature><!\[CDATA\[([0-9a-f]{40})\]\]><\/MsgSignature>/.exec(xml)[1];
    assert.equal(signature, wxSign(sample.token, '1700000000', '42', encrypted));
    assert.match(enc.stdout, new RegExp(`^msg_signature=${signature}$`, 'm'));
    assert.deepEqual(wxDecrypt(sample.aesKey, encrypted), { message, receiveId: sample.corpId });

    const body = path.join(dir, 'body.xml');
    fs.writeFileSync(body, xml);
    const dec = runCli([...base({ ...sample, signature, timestamp: '1700000000', nonce: '42' }), '--xml', body]);
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(dec.stdout.replace(/\n$/, ''), message);
  });
});
