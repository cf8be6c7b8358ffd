// The WeCom simulator on its own: `siyu wecom-sim` against a small callback receiver that checks
// signatures and decrypts exactly as WXBizMsgCrypt prescribes, with the node:crypto implementation
// of lib/wecom.mjs, independently of siyu's C++ implementation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { api } from './lib/server.mjs';
import { startSimulator, wxDecrypt, wxSign } from './lib/wecom.mjs';

const TOKEN = 'e2etoken';
const AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const CORP = 'wwe2e0000000000001';
const SECRET = 'contact-secret-e2e';

let sim;
let simUrl;
let receiver;
let receiverUrl;
const received = [];

function cdata(xml, tag) {
  const m = new RegExp(`<${tag}><!\\[CDATA\\[([\\s\\S]*?)\\]\\]></${tag}>`).exec(xml);
  return m ? m[1] : null;
}

function plain(xml, tag) {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m ? m[1] : null;
}

const signature = (timestamp, nonce, encrypt) => wxSign(TOKEN, timestamp, nonce, encrypt);
const decrypt = (encrypt) => wxDecrypt(AES_KEY, encrypt);

before(async () => {
  receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://x');
      const body = Buffer.concat(chunks).toString('utf8');
      const encrypt = cdata(body, 'Encrypt');
      const q = Object.fromEntries(url.searchParams);
      const ok = encrypt && signature(q.timestamp, q.nonce, encrypt) === q.msg_signature;
      received.push({ method: req.method, path: url.pathname, query: q, body, signatureOk: ok });
      res.writeHead(ok ? 200 : 403, { 'content-type': 'text/plain' });
      res.end(ok ? 'success' : 'bad signature');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}/wecom/callback/7`;

  sim = await startSimulator({
    callbackUrl: receiverUrl,
    args: ['--corp-id', CORP, '--contact-secret', SECRET, '--token', TOKEN, '--aes-key', AES_KEY],
  });
  simUrl = sim.url;
});

after(async () => {
  if (sim) await sim.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

async function token() {
  const r = await api(simUrl, 'GET', `/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${SECRET}`);
  assert.equal(r.body.errcode, 0, JSON.stringify(r.body));
  return r.body.access_token;
}

async function wecom(path, body) {
  const t = await token();
  return (await api(simUrl, 'POST', `/cgi-bin/${path}?access_token=${t}`, { body })).body;
}

// The control API's full answer (some tests look at refusals).
const sim_ = (path, body = {}) => sim.request('POST', path, body);

test('gettoken checks the secret; tokens expire; calls without a token are refused', async () => {
  const bad = await api(simUrl, 'GET', `/cgi-bin/gettoken?corpid=${CORP}&corpsecret=wrong`);
  assert.equal(bad.status, 200);
  assert.equal(bad.body.errcode, 40001);
  assert.match(bad.body.errmsg, /invalid credential/);
  const t = await token();
  assert.equal((await api(simUrl, 'GET', `/cgi-bin/department/list?access_token=${t}`)).body.errcode, 0);
  assert.equal((await api(simUrl, 'GET', '/cgi-bin/department/list')).body.errcode, 41001);
  assert.equal((await api(simUrl, 'GET', '/cgi-bin/department/list?access_token=forged')).body.errcode, 40014);
  assert.equal((await sim_('/sim/tokens/expire')).status, 200);
  assert.equal((await api(simUrl, 'GET', `/cgi-bin/department/list?access_token=${t}`)).body.errcode, 42001);
  const fresh = await token();
  assert.notEqual(fresh, t);
  assert.equal((await api(simUrl, 'GET', `/cgi-bin/department/list?access_token=${fresh}`)).body.errcode, 0);
});

test('injected faults answer the next calls to a path, then the real answer returns', async () => {
  const f = await sim_('/sim/faults', { path: 'externalcontact/get', errcode: -1, times: 2 });
  assert.equal(f.status, 200);
  const t = await token();
  const get = () => api(simUrl, 'GET', `/cgi-bin/externalcontact/get?access_token=${t}&external_userid=wmnobody`);
  assert.equal((await get()).body.errcode, -1);
  assert.equal((await get()).body.errcode, -1);
  assert.equal((await get()).body.errcode, 40096);
  const bad = await sim_('/sim/faults', { path: 'externalcontact/get' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.field, 'errcode');
});

test('a scan delivers add_external_contact encrypted and signed as WeCom does', async () => {
  assert.equal((await sim_('/sim/staff', { userid: 'zhangsan', name: '张三', mobile: '13800000000' })).status, 200);
  const way = await wecom('externalcontact/add_contact_way', { type: 1, scene: 2, state: 'lc-7', user: ['zhangsan'] });
  assert.equal(way.errcode, 0, JSON.stringify(way));
  assert.match(way.qr_code, /\/qr\//);
  const before = received.length;
  const scan = await sim_('/sim/scan', { config_id: way.config_id, name: '李四', unionid: 'oUnion-e2e-1' });
  assert.equal(scan.status, 200, JSON.stringify(scan.body));
  assert.equal(scan.body.callback.status, 200);
  assert.equal(scan.body.callback.body, 'success');
  assert.equal(received.length, before + 1);

  const cb = received.at(-1);
  assert.equal(cb.method, 'POST');
  assert.equal(cb.path, '/wecom/callback/7');
  assert.ok(cb.signatureOk, 'msg_signature is SHA-1 over sorted token, timestamp, nonce, Encrypt');
  assert.equal(cdata(cb.body, 'ToUserName'), CORP);
  assert.ok(cdata(cb.body, 'AgentID'));
  const { message, receiveId } = decrypt(cdata(cb.body, 'Encrypt'));
  assert.equal(receiveId, CORP);
  assert.equal(cdata(message, 'ToUserName'), CORP);
  assert.equal(cdata(message, 'FromUserName'), 'sys');
  assert.equal(cdata(message, 'MsgType'), 'event');
  assert.equal(cdata(message, 'Event'), 'change_external_contact');
  assert.equal(cdata(message, 'ChangeType'), 'add_external_contact');
  assert.equal(cdata(message, 'UserID'), 'zhangsan');
  assert.equal(cdata(message, 'ExternalUserID'), scan.body.external_userid);
  assert.match(scan.body.external_userid, /^wm/);
  assert.equal(cdata(message, 'State'), 'lc-7');
  assert.equal(cdata(message, 'WelcomeCode'), scan.body.welcome_code);
  assert.equal(plain(message, 'CreateTime'), cb.query.timestamp);

  const t = await token();
  const got = await api(simUrl, 'GET', `/cgi-bin/externalcontact/get?access_token=${t}&external_userid=${scan.body.external_userid}`);
  assert.equal(got.body.errcode, 0);
  assert.equal(got.body.external_contact.name, '李四');
  assert.equal(got.body.external_contact.unionid, 'oUnion-e2e-1');
  assert.equal(got.body.follow_user[0].state, 'lc-7');

  const welcome = await wecom('externalcontact/send_welcome_msg', { welcome_code: scan.body.welcome_code, text: { content: '欢迎' } });
  assert.equal(welcome.errcode, 0);
  const twice = await wecom('externalcontact/send_welcome_msg', { welcome_code: scan.body.welcome_code, text: { content: '欢迎' } });
  assert.equal(twice.errcode, 41051);
});

test('a recorded callback is delivered again byte for byte, and a tampered signature is refused', async () => {
  await sim_('/sim/staff', { userid: 'wangwu' });
  const added = await sim_('/sim/add-contact', { userid: 'wangwu', name: '赵六' });
  assert.equal(added.status, 200);
  const original = received.at(-1);
  const again = await sim_(`/sim/callbacks/${added.body.callback.id}/resend`);
  assert.equal(again.body.status, 200);
  assert.equal(received.at(-1).body, original.body);
  assert.deepEqual(received.at(-1).query, original.query);
  const tampered = await sim_(`/sim/callbacks/${added.body.callback.id}/resend`, { tamper_signature: true });
  assert.equal(tampered.body.status, 403);
  assert.equal(received.at(-1).signatureOk, false);
});

test('group joins carry WeCom\'s JoinScene and member change list', async () => {
  await sim_('/sim/staff', { userid: 'owner1' });
  const customer = (await sim_('/sim/add-contact', { userid: 'owner1' })).body.external_userid;
  const group = await sim_('/sim/groups', { owner: 'owner1', name: '福利群' });
  assert.equal(group.status, 200);
  const join = await sim_(`/sim/groups/${group.body.chat_id}/join`, { external_userid: customer, join_scene: 2 });
  assert.equal(join.body.callback.status, 200);
  const { message } = decrypt(cdata(received.at(-1).body, 'Encrypt'));
  assert.equal(cdata(message, 'Event'), 'change_external_chat');
  assert.equal(cdata(message, 'ChangeType'), 'update');
  assert.equal(cdata(message, 'ChatId'), group.body.chat_id);
  assert.equal(cdata(message, 'UpdateDetail'), 'add_member');
  assert.equal(plain(message, 'JoinScene'), '0');
  assert.equal(plain(message, 'MemChangeCnt'), '1');
  assert.match(message, new RegExp(`<MemChangeList><Item><!\\[CDATA\\[${customer}\\]\\]></Item></MemChangeList>`));
  assert.ok(cdata(message, 'LastMemVer'));
  assert.notEqual(cdata(message, 'LastMemVer'), cdata(message, 'CurMemVer'));
});

test('the load mode sends distinct add callbacks on schedule and reports what was answered', async () => {
  await sim_('/sim/staff', { userid: 'loader' });
  const before = received.length;
  const r = await sim_('/sim/load', { rate: 200, seconds: 1, connections: 4, userid: 'loader' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.sent, 200);
  assert.equal(r.body.answered, 200);
  assert.equal(r.body.errors, 0);
  assert.equal(r.body.non_2xx, 0);
  for (const k of ['p50', 'p95', 'p99', 'max']) assert.equal(typeof r.body.latency_ms[k], 'number');
  const batch = received.slice(before);
  assert.equal(batch.length, 200);
  assert.ok(batch.every((c) => c.signatureOk));
  const ids = new Set(batch.map((c) => cdata(decrypt(cdata(c.body, 'Encrypt')).message, 'ExternalUserID')));
  assert.equal(ids.size, 200);
  const codes = new Set(batch.map((c) => cdata(decrypt(cdata(c.body, 'Encrypt')).message, 'WelcomeCode')));
  assert.equal(codes.size, 200);
  const state = await api(simUrl, 'GET', '/sim/state?full=0');
  assert.ok(state.body.contact_count >= 200);
});
