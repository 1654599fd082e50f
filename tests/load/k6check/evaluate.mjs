// Evaluates k6 scripts under node with stand-ins for the k6 modules, so a
// Go test can compare what each script would hand k6 (its options) with
// its scenario file, and check the request one iteration sends.
//
//   node evaluate.mjs SCRIPT...   -> JSON array on stdout, one entry per script
//
// k6 cannot run here (and is AGPL, so it is never linked); node runs the
// same ES module code. Only the k6 built-ins are replaced: 'k6', 'k6/http',
// 'k6/encoding', 'k6/execution', 'k6/metrics', and the init-context globals open/__ENV
// (K6_EXTRA_ENV, a JSON object, adds to __ENV).
import { register } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const stubs = {
  k6: `export const check = (v, sets) => { let ok = true; for (const [n, f] of Object.entries(sets)) { const r = !!f(v); globalThis.__k6.checks.push({ name: n, ok: r }); ok = ok && r; } return ok; };
       export const sleep = (s) => { globalThis.__k6.slept += s; };
       export default { check, sleep };`,
  'k6/http': `const http = {
         post(url, body, params) { globalThis.__k6.requests.push({ method: 'POST', url, body: typeof body === 'string' ? body : JSON.stringify(body), params }); return globalThis.__k6.respond('POST', url); },
         get(url, params) { globalThis.__k6.requests.push({ method: 'GET', url, params }); return globalThis.__k6.respond('GET', url); },
       };
       export default http;`,
  'k6/encoding': `export default { b64encode: (s) => Buffer.from(s).toString('base64') };`,
  'k6/execution': `export default { scenario: { name: 'stub', iterationInTest: 7 }, vu: { idInTest: 1 } };`,
  // Modules are evaluated once per process and shared by the scripts, so a
  // metric records into the current script's entry, not the first one's.
  'k6/metrics': `class Metric { constructor(name, isTime) { this.name = name; } add(v) { (globalThis.__k6.metrics[this.name] ??= []).push(v); } }
       export class Trend extends Metric {} export class Rate extends Metric {} export class Counter extends Metric {} export class Gauge extends Metric {}`,
};

const hooks = `
const stubs = ${JSON.stringify(stubs)};
export async function resolve(specifier, context, next) {
  if (Object.hasOwn(stubs, specifier)) {
    return { url: 'data:text/javascript,' + encodeURIComponent(stubs[specifier]), shortCircuit: true };
  }
  return next(specifier, context);
}`;
register('data:text/javascript,' + encodeURIComponent(hooks), import.meta.url);

function response(status, obj) {
  return { status, body: JSON.stringify(obj), json: (path) => (path ? obj[path] : obj) };
}

const out = [];
for (const script of process.argv.slice(2)) {
  const path = resolve(script);
  const entry = { script, opened: [], options: null, requests: [], checks: [], metrics: {}, error: null };
  globalThis.__k6 = {
    requests: entry.requests, checks: entry.checks, metrics: entry.metrics, slept: 0,
    respond: (method, url) => {
      if (url === globalThis.__ENV.TOKEN_URL) {
        return response(200, { access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600 });
      }
      if (method === 'POST' && url.endsWith('/cancel')) {
        return response(200, { id: 'ord-1', status: 'CANCELLED' });
      }
      if (method === 'POST' && url.endsWith('/revise')) {
        return response(202, { id: 'ord-1', status: 'PLACED', revision: { number: 1, status: 'PENDING' } });
      }
      return method === 'POST'
        ? response(201, { id: 'ord-1', status: 'PLACED' })
        : response(200, { id: 'ord-1', status: 'DELIVERED' });
    },
  };
  // k6 resolves open() in the entry script relative to the script.
  globalThis.open = (p) => {
    const file = resolve(dirname(path), p);
    entry.opened.push(file);
    return readFileSync(file, 'utf8');
  };
  // Follow every order, so one iteration exercises the delivery path too.
  globalThis.__ENV = { BASE_URL: 'http://orders.test/', DELIVERY_SAMPLE: '1', ...JSON.parse(process.env.K6_EXTRA_ENV || '{}') };
  try {
    const mod = await import(pathToFileURL(path).href);
    entry.options = mod.options ?? null;
    if (typeof mod.default !== 'function') {
      throw new Error('no default export function: k6 would have nothing to run');
    }
    mod.default();
  } catch (e) {
    entry.error = String(e && e.stack ? e.stack : e);
  }
  out.push(entry);
}
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
