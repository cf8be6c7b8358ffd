// WeCom black-box helpers: WXBizMsgCrypt written here with node:crypto, `siyu wecom-sim` on a free
// port with a client for its /sim/* control API, a tenant's WeCom settings pointed at the
// simulator, and a poller for what siyu does asynchronously (the inbox, the outbox, segments).
// Uses node built-ins and ./server.mjs only.
//
// The WXBizMsgCrypt functions are written from the protocol description (docs/wecom.md and
// WeCom's 加解密方案说明) and share nothing with siyu's C++ implementation: they are how the tests
// check the server, so do not replace them with calls into siyu (`siyu wecom encrypt` included).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import readline from 'node:readline';
import assert from 'node:assert/strict';
import { siyuBin, repoRoot, api, expectOk, sleep, within, CREATED } from './server.mjs';

const SIM_READY_TIMEOUT_MS = 30_000;
const SIM_STOP_TIMEOUT_MS = 10_000;
const STDERR_TAIL_BYTES = 8192;

/**
 * The simulator's defaults (docs/wecom-simulator.md, "Flags"): a tenant configured with these
 * and the simulator's address talks to a simulator started without corp or secret flags.
 */
export const SIM_DEFAULTS = Object.freeze({
  corpId: 'wwsim000000000001',
  contactSecret: 'sim-contact-secret',
  agentSecret: 'sim-agent-secret',
  agentId: 1000002,
  token: 'simtoken',
  aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
});

// ---------------------------------------------------------------------------------------------
// WXBizMsgCrypt
//
// Key: base64(EncodingAESKey + '=') is 32 bytes; AES-256-CBC with the key's first 16 bytes as the
// IV and no cipher padding of its own. Plaintext: 16 random bytes, the message's length (4 bytes,
// network order), the message, the receive id (the CorpID), then PKCS#7 padding to a multiple of
// 32 bytes. Signature: SHA-1 (hex) of token, timestamp, nonce and the ciphertext, sorted as
// strings and concatenated.
// ---------------------------------------------------------------------------------------------

/** The 32-byte AES key of a 43-character EncodingAESKey; throws for any other length. */
export function wxAesKey(encodingAesKey) {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (encodingAesKey.length !== 43 || key.length !== 32) {
    throw new Error(`EncodingAESKey must be 43 base64 characters (32 bytes), got ${encodingAesKey.length}`);
  }
  return key;
}

/** Encrypts `message` for `receiveId` (the CorpID); answers the base64 ciphertext (`Encrypt`). */
export function wxEncrypt(encodingAesKey, receiveId, message) {
  const key = wxAesKey(encodingAesKey);
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  let plain = Buffer.concat([crypto.randomBytes(16), length, body, Buffer.from(receiveId, 'utf8')]);
  const pad = 32 - (plain.length % 32);
  plain = Buffer.concat([plain, Buffer.alloc(pad, pad)]);
  const cipher = crypto.createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

/** Decrypts a base64 ciphertext; answers {message, receiveId}. Throws on bad padding. */
export function wxDecrypt(encodingAesKey, encrypted) {
  const key = wxAesKey(encodingAesKey);
  const decipher = crypto.createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
  const pad = padded[padded.length - 1];
  if (!(pad >= 1 && pad <= 32)) throw new Error(`WXBizMsgCrypt: bad padding ${pad}`);
  const content = padded.subarray(16, padded.length - pad);
  const length = content.readUInt32BE(0);
  return {
    message: content.subarray(4, 4 + length).toString('utf8'),
    receiveId: content.subarray(4 + length).toString('utf8'),
  };
}

/** `msg_signature`: SHA-1 hex of the sorted token, timestamp, nonce and ciphertext. */
export function wxSign(token, timestamp, nonce, encrypted) {
  return crypto.createHash('sha1').update([token, timestamp, nonce, encrypted].sort().join('')).digest('hex');
}

/** The XML body WeCom POSTs: ToUserName, Encrypt and, when `agentId` is given, AgentID. */
export function callbackBody(corpId, encrypted, agentId) {
  const agent = agentId === undefined ? '' : `<AgentID><![CDATA[${agentId}]]></AgentID>`;
  return `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt>${agent}</xml>`;
}

/** `k=v&...` with every value URL-encoded. */
export function queryString(params) {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
}

/**
 * A callback as WeCom delivers it: `message` (plaintext XML) encrypted for `receiveId` (default
 * `corpId`) and signed with `signWith` (default `token`) over a fresh timestamp and nonce.
 * Answers {body (the POST body), params ({msg_signature, timestamp, nonce}), encrypted}.
 */
export function signedCallback(message, { token, aesKey, corpId, receiveId = corpId, signWith = token, agentId } = {}) {
  const encrypted = wxEncrypt(aesKey, receiveId, message);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(crypto.randomInt(1e9));
  const params = { msg_signature: wxSign(signWith, timestamp, nonce, encrypted), timestamp, nonce };
  return { body: callbackBody(corpId, encrypted, agentId), params, encrypted };
}

/** POSTs a callback body to siyu's `/wecom/callback/{tenant}` with the query `params`. */
export function deliverCallback(baseUrl, tenant, body, params) {
  return api(baseUrl, 'POST', `/wecom/callback/${tenant}?${queryString(params)}`, {
    rawBody: body,
    headers: { 'content-type': 'text/xml' },
  });
}

// ---------------------------------------------------------------------------------------------
// Polling
// ---------------------------------------------------------------------------------------------

/**
 * Calls `fn` until it answers something truthy and answers that; gives up with an error naming
 * `what` after `tries` calls `pause` ms apart. For work siyu does in the background.
 */
export async function eventually(what, fn, tries = 600, pause = 50) {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v) return v;
    await sleep(pause);
  }
  throw new Error(`gave up waiting for ${what}`);
}

// ---------------------------------------------------------------------------------------------
// The simulator
// ---------------------------------------------------------------------------------------------

/**
 * Starts `siyu wecom-sim --port 0 [--callback-url URL] [args...]` and reads its address from the
 * first stdout line (`wecom-sim listening on http://127.0.0.1:<port>`). Answers:
 *   url              the simulator's base URL (what a tenant's `api_base_url` is set to)
 *   request(m, p, b) one request to the simulator, the full answer as `api` gives it
 *   post(p, b)       POST to the control API; asserts a 2xx and answers the body
 *   state(query)     GET /sim/state[?query], asserted 200, the body
 *   stop()           SIGTERM, waits for the exit
 *   proc, stderrTail()
 */
export async function startSimulator({ callbackUrl, args = [] } = {}) {
  const simArgs = ['wecom-sim', '--port', '0', ...(callbackUrl ? ['--callback-url', callbackUrl] : []), ...args];
  const proc = spawn(siyuBin, simArgs, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderrTail = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const spawnError = new Promise((resolve) => proc.once('error', (err) => resolve(`cannot start ${siyuBin}: ${err.message}`)));
  const lines = readline.createInterface({ input: proc.stdout });
  const firstLine = new Promise((resolve) => {
    lines.once('line', resolve);
    lines.once('close', () => resolve(null));
  });
  const first = await within(Promise.race([firstLine, spawnError.then(() => null)]), SIM_READY_TIMEOUT_MS, null);
  const m = /^wecom-sim listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first ?? '');
  if (!m) {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    throw new Error(`siyu wecom-sim printed ${JSON.stringify(first)}\n--- stderr (tail) ---\n${stderrTail}`);
  }
  const url = m[1];

  const request = (method, p, body) => api(url, method, p, body === undefined ? {} : { body });
  return {
    url,
    proc,
    request,
    async post(p, body = {}) {
      const r = await request('POST', p, body);
      assert.ok(r.status < 300, `${p}: ${r.status} ${r.text}`);
      return r.body;
    },
    async state(query = '') {
      return expectOk(await request('GET', `/sim/state${query ? `?${query}` : ''}`));
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await within(exited, SIM_STOP_TIMEOUT_MS);
      }
    },
    stderrTail: () => stderrTail,
  };
}

/** The tenant id of the signed-in user (GET /api/v1/auth/me). */
export async function tenantIdOf(baseUrl, auth) {
  const me = expectOk(await api(baseUrl, 'GET', '/api/v1/auth/me', auth));
  const tenantId = me.tenant?.id ?? me.tenant_id;
  assert.ok(Number.isInteger(tenantId), `tenant id from /auth/me: ${JSON.stringify(me)}`);
  return tenantId;
}

/**
 * PUT /api/v1/wecom/config with the simulator's defaults and `api_base_url` = `simUrl`;
 * `overrides` are snake_case fields of the request. Answers the saved settings.
 */
export async function configureWecom(baseUrl, auth, simUrl, overrides = {}) {
  const body = {
    corp_id: SIM_DEFAULTS.corpId,
    contact_secret: SIM_DEFAULTS.contactSecret,
    agent_secret: SIM_DEFAULTS.agentSecret,
    agent_id: SIM_DEFAULTS.agentId,
    token: SIM_DEFAULTS.token,
    encoding_aes_key: SIM_DEFAULTS.aesKey,
    api_base_url: simUrl,
    ...overrides,
  };
  return expectOk(await api(baseUrl, 'PUT', '/api/v1/wecom/config', { ...auth, body }), CREATED);
}

/**
 * The usual set-up: a simulator that delivers its callbacks to the signed-in user's tenant on
 * `baseUrl`, and that tenant configured against it. Answers {sim, tenantId}.
 */
export async function connectSimulator(baseUrl, auth) {
  const tenantId = await tenantIdOf(baseUrl, auth);
  const sim = await startSimulator({ callbackUrl: `${baseUrl}/wecom/callback/${tenantId}` });
  try {
    await configureWecom(baseUrl, auth, sim.url);
  } catch (err) {
    await sim.stop();
    throw err;
  }
  return { sim, tenantId };
}

/** Waits until siyu's WeCom inbox has nothing pending; answers the inbox summary. */
export function inboxSettled(baseUrl, auth) {
  return eventually('the inbox to settle', async () => {
    const s = expectOk(await api(baseUrl, 'GET', '/api/v1/wecom/inbox?limit=50', auth));
    return s.pending === 0 ? s : null;
  });
}

/**
 * Adds staff members to the simulated corp (department 1), then has siyu read them
 * (POST /api/v1/wecom/staff/sync). `staff` is [[userid, name], ...]. Answers the sync's result.
 */
export async function syncStaff(baseUrl, auth, sim, staff) {
  for (const [userid, name] of staff) await sim.post('/sim/staff', { userid, name, department: [1] });
  return expectOk(await api(baseUrl, 'POST', '/api/v1/wecom/staff/sync', { ...auth, body: {} }));
}
