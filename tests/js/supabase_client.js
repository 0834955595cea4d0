// supabase-js 2.x, unchanged, against the stack's Supabase-compatible
// prefixes (/auth/v1, /rest/v1, /storage/v1), as an app would use it:
// createClient(FB_ROOT, ANON_KEY) for users and createClient(FB_ROOT,
// SERVICE_KEY) for the admin.  Every call's `error` must be null where
// the call should succeed and carry Supabase's shape where it should fail
// (AuthApiError with status and code, PostgrestError with code and
// message, StorageApiError with statusCode).
//
// Environment: FB_ROOT (nginx's root URL, no /api/v1), ANON_KEY,
// SERVICE_KEY, FB_STACK_DIR (the stack: its fluxbase.conf is switched
// for the confirmation checks, as the C tests' stack_set does, and its
// mail/ directory is where the mail sink writes each message as .eml).
// Prints `ok <what>` per check; the first mismatch exits non-zero with
// the call, what was expected and what came back (FB_JS_CONTINUE=1 goes
// on past mismatches, a section past an exception, lists them all at the
// end and exits non-zero).
//
// Each client sends an X-Forwarded-For of its own (the stack trusts that
// header), so the per-address rate limits of sign-in and links are not
// what these checks meet.  Node 20 has no WebSocket unless run with
// --experimental-websocket (realtime-js needs one at createClient; no
// realtime call is made).
'use strict';
const fs = require('fs');
const path = require('path');
const { createClient } = require('@supabase/supabase-js');

const ROOT = process.env.FB_ROOT;
const ANON = process.env.ANON_KEY;
const SERVICE = process.env.SERVICE_KEY;
const STACK_DIR = process.env.FB_STACK_DIR;
const MAIL_DIR = process.env.FB_MAIL_DIR || path.join(STACK_DIR || '.', 'mail');
const CONTINUE = !!process.env.FB_JS_CONTINUE;
const TAG = Date.now().toString(36) + process.pid.toString(36);
const PASSWORD = 'correct horse 1';
const failures = [];

function check(what, cond, detail) {
  if (cond) {
    console.log('ok ' + what);
    return;
  }
  const msg = 'supabase-js: ' + what + ' failed: ' + show(detail);
  console.error(msg);
  if (!CONTINUE)
    process.exit(1);
  failures.push(what);
}

// A result without its Response objects and with the error's class and
// fields (an Error's own properties do not show in JSON).
function show(x) {
  const seen = new WeakSet();
  return JSON.stringify(x, (k, v) => {
    if (v instanceof Error)
      return Object.assign({ name: v.name, message: v.message }, v);
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v))
        return '[seen]';
      seen.add(v);
    }
    return v;
  });
}

let addresses = 0;
function client(key, extra) {
  addresses++;
  const headers = Object.assign({ 'X-Forwarded-For': `10.253.${process.pid % 250}.${addresses % 250 + 1}` },
    extra || {});
  return createClient(ROOT, key || ANON, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { headers },
  });
}
// A client that presents this access token on every API.
function bearer(token) {
  return client(ANON, { Authorization: 'Bearer ' + token });
}
const email = (who) => `js-${who}-${TAG}@example.com`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const isAuthApiError = (e, status, code) =>
  !!e && e.name === 'AuthApiError' && e.__isAuthError === true &&
  (status === undefined || e.status === status) && (code === undefined || e.code === code);
const isStorageApiError = (e, statusCode) =>
  !!e && e.name === 'StorageApiError' && typeof e.statusCode === 'string' &&
  (statusCode === undefined || e.statusCode === statusCode);
const isPostgrestError = (e, code) =>
  !!e && typeof e.code === 'string' && typeof e.message === 'string' && (code === undefined || e.code === code);

// --- the stack: its config and its mail -----------------------------------

// [section] name = value in the stack's config, then a reload (SIGHUP to
// the pool's master), as tests/integration/client.c's stack_set does.
async function setConf(section, name, value) {
  const conf = path.join(STACK_DIR, 'fluxbase.conf');
  const lines = fs.readFileSync(conf, 'utf8').split('\n').filter((l) => !l.startsWith(name + ' = '));
  fs.writeFileSync(conf, lines.join('\n').replace(/\n*$/, '\n') + `[${section}]\n${name} = ${value}\n`);
  const pid = parseInt(fs.readFileSync(path.join(STACK_DIR, 'run', 'fluxbase.pid'), 'utf8'), 10);
  if (!(pid > 1))
    throw new Error('no pool pid');
  process.kill(pid, 'SIGHUP');
  await sleep(1500);
}

const mailFiles = () => new Set(fs.readdirSync(MAIL_DIR).filter((f) => f.endsWith('.eml')));

// The mail to `to` that arrived since `before` (a mailFiles() snapshot):
// its link and code, read from the text part.
async function mailTo(to, before, what) {
  for (let i = 0; i < 30; i++) {
    const fresh = [...mailFiles()].filter((f) => !before.has(f)).sort();
    for (const f of fresh.reverse()) {
      const text = fs.readFileSync(path.join(MAIL_DIR, f), 'utf8');
      if (!text.includes(`To: <${to}>`))
        continue;
      const link = (text.match(/^(https?:\/\/\S+)\r?$/m) || [])[1];
      const code = (text.match(/enter this code: (\d+)/) || [])[1];
      const subject = (text.match(/^Subject: (.*?)\r?$/m) || [])[1];
      return { link, code, subject, file: f };
    }
    await sleep(100);
  }
  check(what + ': a mail to ' + to, false, { dir: MAIL_DIR });
  return null;
}

// --- auth -------------------------------------------------------------------

async function signedIn(address, password) {
  const c = client();
  const r = await c.auth.signInWithPassword({ email: address, password: password || PASSWORD });
  check('signInWithPassword ' + address.split('-')[1], !r.error && r.data.session && r.data.user.email === address, r);
  return { c, session: r.data.session, user: r.data.user };
}

async function authBasics(ctx) {
  const a = email('a');
  const c = client();
  let r = await c.auth.signUp({ email: a, password: PASSWORD, options: { data: { name: 'Ann' } } });
  check('signUp (confirmation off) answers a session', !r.error && r.data.session &&
    typeof r.data.session.access_token === 'string' && typeof r.data.session.refresh_token === 'string' &&
    r.data.session.token_type === 'bearer' && r.data.session.expires_in > 0 && r.data.session.expires_at > Date.now() / 1000, r);
  const u = r.data.user;
  check('signUp answers GoTrue\'s user', u && u.email === a && u.aud === 'authenticated' &&
    u.role === 'authenticated' && /^[0-9a-f-]{36}$/.test(u.id) && u.user_metadata.name === 'Ann' &&
    u.app_metadata.provider === 'email' && Array.isArray(u.identities) && typeof u.created_at === 'string', r);
  ctx.a = { email: a, id: u.id };

  r = await client().auth.signUp({ email: a, password: PASSWORD });
  check('signUp of a taken address: AuthApiError 422 user_already_exists',
    isAuthApiError(r.error, 422, 'user_already_exists') && !r.data.session, r);

  r = await client().auth.signUp({ email: 'not an address', password: PASSWORD });
  check('signUp of a malformed address: AuthApiError 400 validation_failed',
    isAuthApiError(r.error, 400, 'validation_failed'), r);

  r = await client().auth.signInWithPassword({ email: a, password: 'wrong password 1' });
  check('signInWithPassword, wrong password: AuthApiError 400 invalid_credentials',
    isAuthApiError(r.error, 400, 'invalid_credentials') && r.data.session === null, r);

  const s = await signedIn(a);
  r = await s.c.auth.getUser();
  check('getUser', !r.error && r.data.user.id === ctx.a.id && r.data.user.email === a &&
    r.data.user.user_metadata.name === 'Ann', r);
  r = await s.c.auth.getUser('not.a.token');
  check('getUser with a bad token: AuthApiError 401 or 403', isAuthApiError(r.error) &&
    [401, 403].includes(r.error.status) && r.data.user === null, r);

  r = await s.c.auth.updateUser({ data: { theme: 'dark' } });
  check('updateUser (metadata) merges', !r.error && r.data.user.user_metadata.theme === 'dark' &&
    r.data.user.user_metadata.name === 'Ann', r);
  r = await s.c.auth.getUser();
  check('getUser sees the new metadata', !r.error && r.data.user.user_metadata.theme === 'dark', r);

  const old = s.session;
  r = await s.c.auth.refreshSession();
  check('refreshSession rotates both tokens', !r.error && r.data.session &&
    r.data.session.refresh_token !== old.refresh_token && r.data.user.id === ctx.a.id, r);
  r = await s.c.auth.getUser(r.data.session.access_token);
  check('the refreshed access token works', !r.error && r.data.user.id === ctx.a.id, r);

  r = await s.c.auth.updateUser({ password: 'a new password 2' });
  check('updateUser (password)', !r.error && r.data.user.id === ctx.a.id, r);
  r = await client().auth.signInWithPassword({ email: a, password: PASSWORD });
  check('the old password is refused', isAuthApiError(r.error, 400, 'invalid_credentials'), r);
  await signedIn(a, 'a new password 2');
  ctx.a.password = 'a new password 2';

  r = await client().auth.updateUser({ data: { x: 1 } });
  check('updateUser without a session: AuthSessionMissingError', r.error && r.error.name === 'AuthSessionMissingError', r);
}

// The token is refused on /auth/v1/user, /rest/v1 and /storage/v1.
async function refusedEverywhere(what, token) {
  const b = bearer(token);
  let r = await b.auth.getUser(token);
  check(what + ': /auth/v1/user refuses the token', r.error && r.error.__isAuthError &&
    (r.error.name === 'AuthSessionMissingError' || [401, 403].includes(r.error.status)) && r.data.user === null, r);
  r = await b.from('notes').select('id');
  check(what + ': /rest/v1 refuses the token', r.error && r.status === 401 && isPostgrestError(r.error), r);
  r = await b.storage.listBuckets();
  check(what + ': /storage/v1 refuses the token', isStorageApiError(r.error) &&
    [400, 401, 403].includes(r.error.status), r);
}

async function accepted(what, token) {
  const r = await client().auth.getUser(token);
  check(what, !r.error && r.data.user, r);
}

async function authSignOut(ctx) {
  const b = email('b');
  let r = await client().auth.signUp({ email: b, password: PASSWORD });
  check('signUp b', !r.error && r.data.session, r);
  const s1 = await signedIn(b), s2 = await signedIn(b);

  r = await s1.c.auth.signOut({ scope: 'local' });
  check('signOut (local)', !r.error, r);
  r = await s1.c.auth.getSession();
  check('signOut (local) forgets the session', !r.error && r.data.session === null, r);
  await refusedEverywhere('after signOut (local), its token', s1.session.access_token);
  await accepted('after signOut (local), the other session still works', s2.session.access_token);

  const s3 = await signedIn(b);
  r = await s3.c.auth.signOut({ scope: 'others' });
  check('signOut (others)', !r.error, r);
  await accepted('after signOut (others), its own session still works', s3.session.access_token);
  await refusedEverywhere('after signOut (others), another session\'s token', s2.session.access_token);

  const s4 = await signedIn(b);
  r = await s4.c.auth.signOut();
  check('signOut (global)', !r.error, r);
  await refusedEverywhere('after signOut (global), its token', s4.session.access_token);
  await refusedEverywhere('after signOut (global), another session\'s token', s3.session.access_token);
  r = await s4.c.auth.refreshSession({ refresh_token: s3.session.refresh_token });
  check('after signOut (global), a refresh token is refused', isAuthApiError(r.error) &&
    [400, 401].includes(r.error.status) && r.data.session === null, r);
}

async function authConfirm() {
  const c = email('c');
  await setConf('auth', 'confirm_email', 'on');
  try {
    const before = mailFiles();
    let r = await client().auth.signUp({ email: c, password: PASSWORD, options: { data: { k: 'v' } } });
    check('signUp (confirmation on) answers the user without a session', !r.error && r.data.session === null &&
      r.data.user && r.data.user.email === c && !r.data.user.email_confirmed_at, r);
    const mail = await mailTo(c, before, 'signUp (confirmation on)');
    check('the confirmation mail has a link and a code', mail.link && /^\d{6}$/.test(mail.code), mail);

    r = await client().auth.signInWithPassword({ email: c, password: PASSWORD });
    check('signInWithPassword before confirming: AuthApiError 400 email_not_confirmed',
      isAuthApiError(r.error, 400, 'email_not_confirmed'), r);

    const v = client();
    r = await v.auth.verifyOtp({ email: c, token: mail.code, type: 'signup' });
    check('verifyOtp (signup code) confirms and signs in', !r.error && r.data.session &&
      r.data.user.email === c && typeof r.data.user.email_confirmed_at === 'string', r);
    r = await v.auth.getUser();
    check('the confirmed user', !r.error && r.data.user.email === c && r.data.user.user_metadata.k === 'v', r);
    await signedIn(c);
  } finally {
    await setConf('auth', 'confirm_email', 'off');
  }
}

async function authOtp(ctx) {
  const d = email('d');
  let before = mailFiles();
  let r = await client().auth.signInWithOtp({ email: d });
  check('signInWithOtp (creates the user)', !r.error && r.data.user === null && r.data.session === null, r);
  let mail = await mailTo(d, before, 'signInWithOtp');
  check('the magic link mail has a link and a code', mail.link && /^\d{6}$/.test(mail.code), mail);

  r = await client().auth.verifyOtp({ email: d, token: '000000' === mail.code ? '111111' : '000000', type: 'email' });
  check('verifyOtp with a wrong code: AuthApiError 403 otp_expired', isAuthApiError(r.error, 403, 'otp_expired') &&
    r.data.session === null, r);

  const v = client();
  r = await v.auth.verifyOtp({ email: d, token: mail.code, type: 'email' });
  check('verifyOtp (email code) signs in', !r.error && r.data.session && r.data.user.email === d, r);
  r = await v.auth.getUser();
  check('getUser after verifyOtp', !r.error && r.data.user.email === d, r);
  r = await client().auth.verifyOtp({ email: d, token: mail.code, type: 'email' });
  check('a code works once', isAuthApiError(r.error, 403, 'otp_expired'), r);

  // GoTrue answers 422 otp_disabled; answering as for a known address
  // (no account, no mail) tells nobody which addresses exist: either will do.
  const nobody = email('nobody');
  before = mailFiles();
  r = await client().auth.signInWithOtp({ email: nobody, options: { shouldCreateUser: false } });
  await sleep(300);
  const sent = [...mailFiles()].filter((f) => !before.has(f))
    .some((f) => fs.readFileSync(path.join(MAIL_DIR, f), 'utf8').includes(`To: <${nobody}>`));
  check('signInWithOtp (create_user false) for an unknown address creates nobody',
    (isAuthApiError(r.error, 422, 'otp_disabled') || !r.error) && !sent, { r, sent });

  // The link followed without any header (a mail client sends no apikey),
  // and another link's token given to verifyOtp as token_hash.
  const e = email('e');
  before = mailFiles();
  r = await client().auth.signInWithOtp({ email: e });
  check('signInWithOtp e', !r.error, r);
  mail = await mailTo(e, before, 'signInWithOtp e');
  const res = await fetch(mail.link, { redirect: 'manual', headers: { 'X-Forwarded-For': '10.254.0.1' } });
  const to = res.headers.get('location') || '';
  check('the mailed link, followed without an apikey, signs in', res.status === 200 ||
    ([302, 303].includes(res.status) && to.includes('access_token=')), { status: res.status, to, link: mail.link });
  const e2 = email('e2');
  before = mailFiles();
  r = await client().auth.signInWithOtp({ email: e2 });
  check('signInWithOtp e2', !r.error, r);
  mail = await mailTo(e2, before, 'signInWithOtp e2');
  const token = new URL(mail.link).searchParams.get('token');
  check('the link carries a token', typeof token === 'string' && token.length > 10, mail);
  r = await client().auth.verifyOtp({ token_hash: token, type: 'magiclink' });
  check('verifyOtp (token_hash from the link) signs in', !r.error && r.data.session && r.data.user.email === e2, r);

  // Recovery, on a's account (its sessions may end: it comes last for a).
  const a = ctx.a.email;
  before = mailFiles();
  r = await client().auth.resetPasswordForEmail(a);
  check('resetPasswordForEmail', !r.error, r);
  r = await client().auth.resetPasswordForEmail(email('unknown'));
  check('resetPasswordForEmail of an unknown address answers the same', !r.error, r);
  mail = await mailTo(a, before, 'resetPasswordForEmail');
  const rc = client();
  r = await rc.auth.verifyOtp({ email: a, token: mail.code, type: 'recovery' });
  check('verifyOtp (recovery) signs in', !r.error && r.data.session && r.data.user.id === ctx.a.id, r);
  r = await rc.auth.updateUser({ password: 'recovered pass 3' });
  check('updateUser (password) in the recovery session', !r.error && r.data.user.id === ctx.a.id, r);
  await signedIn(a, 'recovered pass 3');
}

async function authAdmin() {
  const admin = client(SERVICE);
  const g = email('g');
  let r = await admin.auth.admin.createUser({ email: g, password: PASSWORD, email_confirm: true, user_metadata: { k: 1 } });
  check('admin.createUser', !r.error && r.data.user.email === g && typeof r.data.user.email_confirmed_at === 'string' &&
    r.data.user.user_metadata.k === 1 && r.data.user.aud === 'authenticated', r);
  const id = r.data.user.id;
  r = await admin.auth.admin.createUser({ email: g, password: PASSWORD });
  check('admin.createUser of a taken address: AuthApiError 422 email_exists', isAuthApiError(r.error, 422, 'email_exists'), r);
  await signedIn(g);

  r = await admin.auth.admin.listUsers();
  check('admin.listUsers', !r.error && Array.isArray(r.data.users) && r.data.users.length > 1 &&
    r.data.users.every((u) => typeof u.id === 'string' && typeof u.email === 'string'), r);
  r = await admin.auth.admin.listUsers({ perPage: 1000 });
  check('admin.listUsers with perPage finds the new user', !r.error && r.data.users.some((u) => u.id === id), r);
  r = await admin.auth.admin.listUsers({ page: 1, perPage: 1 });
  check('admin.listUsers with page and perPage', !r.error && r.data.users.length === 1 && r.data.total > 1 &&
    r.data.nextPage === 2, r);
  r = await admin.auth.admin.getUserById(id);
  check('admin.getUserById', !r.error && r.data.user.id === id && r.data.user.email === g, r);
  r = await admin.auth.admin.updateUserById(id, { user_metadata: { k: 2 }, password: 'admin set pass 4' });
  check('admin.updateUserById', !r.error && r.data.user.id === id && r.data.user.user_metadata.k === 2, r);
  await signedIn(g, 'admin set pass 4');

  r = await admin.auth.admin.generateLink({ type: 'magiclink', email: g });
  const p = r.data && r.data.properties;
  check('admin.generateLink (magiclink)', !r.error && p && /^https?:\/\//.test(p.action_link) &&
    /^\d{6}$/.test(p.email_otp) && typeof p.hashed_token === 'string' && p.verification_type === 'magiclink' &&
    r.data.user.email === g, r);
  r = await client().auth.verifyOtp({ token_hash: p.hashed_token, type: 'magiclink' });
  check('verifyOtp of a generated link\'s hashed_token', !r.error && r.data.session && r.data.user.id === id, r);

  const h = email('h');
  const before = mailFiles();
  r = await admin.auth.admin.inviteUserByEmail(h, { data: { invited: true } });
  check('admin.inviteUserByEmail', !r.error && r.data.user.email === h && r.data.user.user_metadata.invited === true, r);
  const mail = await mailTo(h, before, 'inviteUserByEmail');
  r = await client().auth.verifyOtp({ email: h, token: mail.code, type: 'invite' });
  check('verifyOtp (invite) signs in', !r.error && r.data.session && r.data.user.email === h, r);

  r = await admin.auth.admin.deleteUser(id);
  check('admin.deleteUser', !r.error, r);
  r = await admin.auth.admin.getUserById(id);
  check('admin.getUserById of a deleted user: AuthApiError 404 user_not_found', isAuthApiError(r.error, 404, 'user_not_found'), r);

  r = await client().auth.admin.listUsers();
  check('admin.listUsers with the anon key: AuthApiError 403 not_admin', isAuthApiError(r.error, 403, 'not_admin'), r);
  r = await client('not-a-key').auth.signInWithPassword({ email: g, password: PASSWORD });
  check('an unknown apikey on /auth/v1: AuthApiError 401', isAuthApiError(r.error, 401), r);
}

// --- /rest/v1 ---------------------------------------------------------------

const ids = (rows) => rows.map((x) => x.id).join();

async function restReads() {
  const anon = client(), admin = client(SERVICE);
  let r = await anon.from('posts').select('id,title').order('id');
  check('from().select as anon: policies hide the draft', !r.error && r.status === 200 && ids(r.data) === '1,2,3,4', r);
  r = await anon.from('posts').select('id').gte('id', 2).lt('id', 4).order('id', { ascending: false });
  check('filters (gte, lt) and a descending order', !r.error && ids(r.data) === '3,2', r);
  r = await anon.from('posts').select('id').in('id', [1, 3, 5]).or('title.eq.Hello,title.eq.Draft').order('id');
  check('in and or', !r.error && ids(r.data) === '1', r);
  r = await anon.from('posts').select('id', { count: 'exact' }).order('id').range(1, 2);
  check('range with an exact count', !r.error && ids(r.data) === '2,3' && r.count === 4, r);
  r = await anon.from('posts').select('id, title, author:users!author_id(name), comments(id, body)')
    .eq('id', 1).order('id', { referencedTable: 'comments' });
  check('embedding (anon sees the approved comments only)', !r.error && r.data.length === 1 &&
    r.data[0].author.name === 'Alice' && ids(r.data[0].comments) === '1,3', r);
  r = await admin.from('posts').select('id, comments(id)').eq('id', 1).order('id', { referencedTable: 'comments' });
  check('embedding with the service key sees every comment', !r.error && ids(r.data[0].comments) === '1,2,3', r);
  r = await anon.from('posts').select('id, author:users!author_id(name)').eq('id', 4).single();
  check('single, its embed hidden by a policy', !r.error && r.data.id === 4 && r.data.author === null, r);
  r = await anon.from('posts').select('id').eq('id', 999).maybeSingle();
  check('maybeSingle of no row', !r.error && r.data === null, r);
  r = await anon.from('posts').select('id').eq('id', 2).maybeSingle();
  check('maybeSingle of one row', !r.error && r.data.id === 2, r);
  r = await anon.from('posts').select('id').eq('id', 999).single();
  check('single of no row: PostgrestError PGRST116 (406)', isPostgrestError(r.error, 'PGRST116') && r.status === 406, r);
  r = await admin.from('posts').select('id').order('id');
  check('the service key bypasses the policies', !r.error && ids(r.data) === '1,2,3,4,5', r);
  r = await admin.schema('extra').from('thing').select('id,v');
  check('schema() (Accept-Profile)', !r.error && r.data.length >= 1 && r.data[0].v === 'elsewhere', r);
  r = await anon.from('no_such_table').select();
  check('unknown table: PostgrestError (404)', isPostgrestError(r.error) && r.status === 404, r);
  r = await anon.from('posts').select('nope');
  check('unknown column: PostgrestError (400)', isPostgrestError(r.error) && r.status === 400, r);

  r = await anon.rpc('add', { a: 1, b: 2 });
  check('rpc', !r.error && r.data === 3, r);
  r = await anon.rpc('posts_by', { author: 1 }).select('id, title').order('id');
  check('rpc returning rows, with select and order', !r.error && ids(r.data) === '1,2' && r.data[0].title === 'Hello', r);
  r = await anon.rpc('no_such_function', { a: 1 });
  check('rpc of an unknown function: PostgrestError PGRST202 (404)', isPostgrestError(r.error, 'PGRST202') && r.status === 404, r);

  r = await client('not-a-key').from('posts').select('id');
  check('an unknown apikey on /rest/v1: 401 with a message', r.error && r.status === 401 &&
    typeof r.error.message === 'string', r);
}

// Two users under RLS: the fixture's notes (owner = auth.uid()).
async function restWrites() {
  const A = client(), B = client(), anon = client();
  let r = await A.auth.signUp({ email: email('ra'), password: PASSWORD });
  check('signUp ra', !r.error && r.data.session, r);
  const aid = r.data.user.id;
  r = await B.auth.signUp({ email: email('rb'), password: PASSWORD });
  check('signUp rb', !r.error && r.data.session, r);
  const bid = r.data.user.id;

  r = await A.from('notes').insert([{ body: 'a1' }, { body: 'a2' }]).select();
  check('insert with .select() (owner from the session)', !r.error && r.status === 201 && r.data.length === 2 &&
    r.data.every((n) => n.owner === aid), r);
  const [a1, a2] = r.data;
  r = await B.from('notes').insert({ body: 'b1' }).select().single();
  check('insert with .select().single()', !r.error && r.data.owner === bid && r.data.body === 'b1', r);
  r = await A.from('notes').insert({ body: 'plain' });
  check('insert without .select()', !r.error && r.status === 201 && r.data === null, r);
  r = await A.from('notes').select('id, body').order('id');
  check('a user reads only their rows', !r.error && r.data.length === 3 && r.data[0].id === a1.id &&
    r.data.every((n) => n.body !== 'b1'), r);
  r = await B.from('notes').update({ body: 'hacked' }).eq('id', a1.id).select();
  check('update of another user\'s row touches nothing', !r.error && r.data.length === 0, r);
  r = await B.from('notes').delete().eq('id', a1.id).select();
  check('delete of another user\'s row touches nothing', !r.error && r.data.length === 0, r);
  r = await A.from('notes').update({ body: 'a1 edited' }).eq('id', a1.id).select();
  check('update with .select()', !r.error && r.data.length === 1 && r.data[0].body === 'a1 edited', r);
  r = await A.from('notes').upsert({ id: a2.id, body: 'a2 upserted' }).select();
  check('upsert with .select()', !r.error && r.data.length === 1 && r.data[0].body === 'a2 upserted' &&
    r.data[0].owner === aid, r);
  r = await B.from('notes').upsert({ id: a2.id, body: 'stolen' }).select();
  check('upsert over another user\'s row: PostgrestError 42501 (403)', isPostgrestError(r.error, '42501') && r.status === 403, r);
  r = await A.from('notes').insert({ body: 'forged', owner: bid }).select();
  check('insert of a row owned by another: PostgrestError 42501 (403)', isPostgrestError(r.error, '42501') && r.status === 403, r);
  r = await A.from('notes').delete().eq('id', a1.id).select();
  check('delete with .select()', !r.error && r.data.length === 1 && r.data[0].id === a1.id, r);
  r = await A.from('notes').select('*', { count: 'exact', head: true });
  check('a head count counts the user\'s rows only', !r.error && r.count === 2, r);
  r = await B.from('notes').select('body');
  check('the other user still reads only theirs', !r.error && r.data.length === 1 && r.data[0].body === 'b1', r);
  r = await anon.from('notes').select('id');
  check('anon may not read notes: PostgrestError 42501 (401)', isPostgrestError(r.error, '42501') && r.status === 401, r);
}

// --- /storage/v1 ------------------------------------------------------------

// Buckets of this run (a stack may serve several runs).
const PRIV = 'js-private-' + TAG, PUB = 'js-public-' + TAG;

async function text(r) {
  return r.error || !r.data ? null : await r.data.text();
}

async function storageBuckets(ctx) {
  const admin = client(SERVICE);
  let r = await admin.storage.createBucket(PRIV, { public: false });
  check('createBucket', !r.error && r.data.name === PRIV, r);
  r = await admin.storage.createBucket(PUB, { public: true, fileSizeLimit: 1024 * 1024 });
  check('createBucket (public)', !r.error && r.data.name === PUB, r);
  r = await admin.storage.createBucket(PRIV);
  check('createBucket of an existing bucket: StorageApiError 409', isStorageApiError(r.error, '409'), r);
  r = await client().storage.createBucket('js-anon');
  check('createBucket with the anon key: StorageApiError 403', isStorageApiError(r.error, '403'), r);
  r = await admin.storage.getBucket(PUB);
  check('getBucket', !r.error && r.data.id === PUB && r.data.name === PUB && r.data.public === true &&
    r.data.file_size_limit === 1024 * 1024 && typeof r.data.created_at === 'string', r);
  r = await admin.storage.listBuckets();
  check('listBuckets', !r.error && [PRIV, PUB].every((b) => r.data.some((x) => x.id === b)), r);

  const U = client(), V = client();
  r = await U.auth.signUp({ email: email('su'), password: PASSWORD });
  check('signUp su', !r.error && r.data.session, r);
  r = await V.auth.signUp({ email: email('sv'), password: PASSWORD });
  check('signUp sv', !r.error && r.data.session, r);
  ctx.U = U;
  ctx.V = V;
}

async function storageObjects(ctx) {
  const bucket = ctx.U.storage.from(PRIV);
  let r = await bucket.upload('dir/a.txt', 'hello', { contentType: 'text/plain' });
  check('upload (a string)', !r.error && r.data.path === 'dir/a.txt' && r.data.fullPath === PRIV + '/dir/a.txt' &&
    typeof r.data.id === 'string', r);
  r = await bucket.upload('dir/b.bin', Buffer.from([0, 1, 2, 255]), { contentType: 'application/octet-stream' });
  check('upload (a Buffer)', !r.error && r.data.path === 'dir/b.bin', r);
  r = await bucket.upload('dir/c.json', new Blob(['{"x":1}'], { type: 'application/json' }));
  check('upload (a Blob, multipart)', !r.error && r.data.path === 'dir/c.json' && r.data.fullPath === PRIV + '/dir/c.json', r);
  r = await bucket.upload('dir/d.txt', new File(['from a file'], 'd.txt', { type: 'text/plain' }), { cacheControl: '60' });
  check('upload (a File, multipart)', !r.error && r.data.path === 'dir/d.txt', r);
  r = await bucket.upload('dir/a.txt', 'again', { contentType: 'text/plain' });
  check('upload over an existing object: StorageApiError 409', isStorageApiError(r.error, '409'), r);
  r = await bucket.upload('dir/a.txt', 'hello again', { contentType: 'text/plain', upsert: true });
  check('upload with upsert replaces', !r.error && r.data.path === 'dir/a.txt', r);
  r = await bucket.update('dir/a.txt', 'hello', { contentType: 'text/plain' });
  check('update', !r.error && r.data.path === 'dir/a.txt', r);
  r = await client().storage.from(PRIV).upload('anon.txt', 'x');
  check('upload with the anon key: StorageApiError 403', isStorageApiError(r.error, '403'), r);

  r = await bucket.download('dir/a.txt');
  let t = await text(r);
  check('download', t === 'hello', { r, t });
  r = await bucket.download('dir/b.bin');
  const bytes = r.error ? null : [...Buffer.from(await r.data.arrayBuffer())];
  check('download of bytes', bytes && bytes.join() === '0,1,2,255', { r, bytes });
  r = await bucket.download('dir/c.json');
  t = await text(r);
  check('download of the multipart upload', t === '{"x":1}' && r.data.type.startsWith('application/json'), { r, t });
  r = await bucket.download('dir/nope.txt');
  check('download of a missing object: StorageApiError 404', isStorageApiError(r.error, '404') && r.data === null, r);
  r = await ctx.V.storage.from(PRIV).download('dir/a.txt');
  check('another user cannot download it: StorageApiError 404', isStorageApiError(r.error, '404'), r);
  r = await bucket.exists('dir/a.txt');
  check('exists (HEAD)', !r.error && r.data === true, r);

  r = await bucket.list('dir');
  check('list', !r.error && r.data.map((o) => o.name).join() === 'a.txt,b.bin,c.json,d.txt' &&
    r.data.every((o) => typeof o.id === 'string' && typeof o.created_at === 'string'), r);
  const a = r.data && r.data[0], d = r.data && r.data[3];
  check('list: metadata', a.metadata.size === 5 && a.metadata.mimetype === 'text/plain' &&
    d.metadata.cacheControl === 'max-age=60', r);
  r = await bucket.list('');
  check('list at the root shows the folder', !r.error && r.data.some((o) => o.name === 'dir' && o.id === null), r);
  r = await bucket.list('dir', { limit: 2, offset: 1, sortBy: { column: 'name', order: 'desc' } });
  check('list with limit, offset and sortBy', !r.error && r.data.map((o) => o.name).join() === 'c.json,b.bin', r);
  r = await bucket.list('dir', { search: 'b.' });
  check('list with search', !r.error && r.data.map((o) => o.name).join() === 'b.bin', r);

  r = await bucket.move('dir/a.txt', 'moved/a.txt');
  check('move', !r.error && typeof r.data.message === 'string', r);
  r = await bucket.download('moved/a.txt');
  t = await text(r);
  check('the moved object', t === 'hello', { r, t });
  r = await bucket.download('dir/a.txt');
  check('the old key is gone', isStorageApiError(r.error, '404'), r);
  r = await bucket.copy('dir/b.bin', 'copy/b.bin');
  check('copy', !r.error && r.data.path === PRIV + '/copy/b.bin', r);
  r = await bucket.download('copy/b.bin');
  check('the copy', !r.error && [...Buffer.from(await r.data.arrayBuffer())].join() === '0,1,2,255', r);
}

async function storageUrls(ctx) {
  const bucket = ctx.U.storage.from(PRIV);
  let r = await bucket.createSignedUrl('moved/a.txt', 60);
  check('createSignedUrl', !r.error &&
    r.data.signedUrl.startsWith(ROOT + `/storage/v1/object/sign/${PRIV}/moved/a.txt?token=`), r);
  const signed = r.data.signedUrl;
  let res = await fetch(signed);
  check('the signed URL answers without any header', res.status === 200 && (await res.text()) === 'hello', res.status);
  r = await bucket.createSignedUrls(['moved/a.txt', 'dir/c.json', 'dir/none.txt'], 60);
  check('createSignedUrls', !r.error && r.data.length === 3 && r.data[0].path === 'moved/a.txt' &&
    r.data[0].signedUrl && r.data[1].signedUrl && r.data[2].signedUrl === null && r.data[2].error, r);
  res = await fetch(r.data[1].signedUrl);
  check('a batch-signed URL answers', res.status === 200 && (await res.text()) === '{"x":1}', res.status);
  r = await bucket.createSignedUrl('dir/none.txt', 60);
  check('createSignedUrl of a missing object: StorageApiError 404', isStorageApiError(r.error, '404'), r);

  r = await bucket.remove(['moved/a.txt', 'copy/b.bin']);
  check('remove', !r.error && Array.isArray(r.data) &&
    r.data.map((o) => o.name).sort().join() === 'copy/b.bin,moved/a.txt', r);
  r = await bucket.download('moved/a.txt');
  check('a removed object is gone', isStorageApiError(r.error, '404'), r);
  res = await fetch(signed);
  check('a removed object\'s signed URL is dead', res.status >= 400, res.status);

  r = await bucket.createSignedUploadUrl('up/e.txt');
  check('createSignedUploadUrl', !r.error && r.data.path === 'up/e.txt' && typeof r.data.token === 'string' &&
    r.data.signedUrl.startsWith(ROOT + `/storage/v1/object/upload/sign/${PRIV}/up/e.txt?token=`), r);
  const token = r.data.token;
  const other = client().storage.from(PRIV);
  r = await other.uploadToSignedUrl('up/e.txt', token, 'signed upload', { contentType: 'text/plain' });
  check('uploadToSignedUrl (anon key and the token)', !r.error && r.data.path === 'up/e.txt' &&
    r.data.fullPath === PRIV + '/up/e.txt', r);
  r = await bucket.download('up/e.txt');
  const t = await text(r);
  check('the object uploaded with the token is its signer\'s', t === 'signed upload', { r, t });
  r = await other.uploadToSignedUrl('up/f.txt', token, 'elsewhere');
  check('the token opens its own path only: StorageApiError', isStorageApiError(r.error), r);

  const admin = client(SERVICE), pub = admin.storage.from(PUB);
  r = await pub.upload('pub/hello.txt', 'hi public', { contentType: 'text/plain' });
  check('upload to the public bucket', !r.error, r);
  const url = pub.getPublicUrl('pub/hello.txt').data.publicUrl;
  check('getPublicUrl', url === ROOT + `/storage/v1/object/public/${PUB}/pub/hello.txt`, url);
  res = await fetch(url);
  check('the public URL answers without any header', res.status === 200 && (await res.text()) === 'hi public', res.status);
  res = await fetch(ROOT + `/storage/v1/object/public/${PRIV}/dir/c.json`);
  check('a private bucket has no public URL', res.status >= 400, res.status);

  r = await admin.storage.deleteBucket(PUB);
  check('deleteBucket of a bucket with objects: StorageApiError 409', isStorageApiError(r.error, '409'), r);
  r = await admin.storage.emptyBucket(PUB);
  check('emptyBucket', !r.error && typeof r.data.message === 'string', r);
  r = await admin.storage.deleteBucket(PUB);
  check('deleteBucket', !r.error && typeof r.data.message === 'string', r);
  r = await admin.storage.getBucket(PUB);
  check('getBucket of a deleted bucket: StorageApiError 404', isStorageApiError(r.error, '404'), r);
}

async function main() {
  for (const v of ['FB_ROOT', 'ANON_KEY', 'SERVICE_KEY', 'FB_STACK_DIR'])
    if (!process.env[v])
      throw new Error(v + ' is not set');
  const ctx = {};
  const sections = [authBasics, authSignOut, authConfirm, authOtp, authAdmin, restReads, restWrites,
    storageBuckets, storageObjects, storageUrls];
  for (const section of sections) {
    try {
      await section(ctx);
    } catch (e) {
      if (!CONTINUE)
        throw e;
      console.error(`supabase-js: ${section.name}: ${e.stack}`);
      failures.push(section.name + ' threw');
    }
  }
  if (failures.length) {
    console.error(`supabase-js: ${failures.length} mismatches: ${failures.join('; ')}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error('supabase-js: ' + e.stack);
  process.exit(1);
});
