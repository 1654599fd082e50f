// The iteration every scenario script runs: place one order through the
// order API, check the answer, and for a sample of orders follow the order
// until DELIVERED to measure placed -> delivered.
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Rate, Trend } from 'k6/metrics';
import { orderFor, parseDuration } from './scenario.js';
import { authHeaders } from './auth.js';

const placedToDelivered = new Trend('placed_to_delivered', true);
const orderErrors = new Rate('order_errors');
// change_errors: cancels and revisions answered otherwise than taken (200,
// 202) or refused by the saga (409: picked up, cancelled, the store
// accepted first).
const changeErrors = new Rate('change_errors');

// BASE_URL is the order API of the environment under test.
const baseURL = (__ENV.BASE_URL || 'http://localhost:8080').replace(/\/$/, '');
// DELIVERY_SAMPLE is the fraction of orders followed to DELIVERED. Following
// holds a VU for the whole delivery, so it is sampled.
const deliverySample = parseFloat(__ENV.DELIVERY_SAMPLE || '0.05');
const pollInterval = 0.25; // seconds between status polls
// The scenario's change_every (CHANGE_EVERY overrides it): of each
// change_every iterations, one cancels its order right after placing it and
// one revises its quantities (docs/CONTRACTS.md, "Cancel", "Revise"); 0 or
// absent, none.
const changeEveryOf = (scenario) => parseInt(__ENV.CHANGE_EVERY || String(scenario.change_every || 0), 10);

export function placeOrder(scenario) {
  const n = exec.scenario.iterationInTest;
  const { kind, body } = orderFor(scenario, n);
  const key = `k6-${exec.vu.idInTest}-${exec.scenario.name}-${n}-${Date.now()}`;
  const res = http.post(`${baseURL}/v1/orders`, JSON.stringify(body), {
    headers: { ...authHeaders(), 'Content-Type': 'application/json', 'Idempotency-Key': key },
    tags: { name: 'place_order', kind },
  });
  const placedAt = Date.now();
  const ok = check(res, {
    'order created (201)': (r) => r.status === 201,
    'order is PLACED with an id': (r) => {
      try {
        const o = r.json();
        return typeof o.id === 'string' && o.id !== '' && o.status === 'PLACED';
      } catch (e) {
        return false;
      }
    },
  });
  orderErrors.add(!ok);
  const changeEvery = changeEveryOf(scenario);
  if (ok && changeEvery > 0) {
    change(res.json().id, body, key, n % changeEvery, changeEvery);
  }
  if (!ok || Math.random() >= deliverySample) {
    return;
  }
  followToDelivered(res.json().id, placedAt, parseDuration(scenario.delivery_timeout));
}

// followToDelivered polls GET /v1/orders/{id} until a terminal status.
// Only DELIVERED orders enter placed_to_delivered; an order still not
// terminal after delivery_timeout is recorded at the timeout, so it counts
// against the p99 threshold instead of vanishing.
function followToDelivered(id, placedAt, timeoutMs) {
  while (Date.now() - placedAt < timeoutMs) {
    sleep(pollInterval);
    const r = http.get(`${baseURL}/v1/orders/${id}`, { headers: authHeaders(), tags: { name: 'get_order' } });
    if (r.status !== 200) {
      continue;
    }
    const status = r.json('status');
    if (status === 'DELIVERED') {
      placedToDelivered.add(Date.now() - placedAt);
      return;
    }
    if (status === 'CANCELLED') {
      return;
    }
  }
  placedToDelivered.add(timeoutMs);
}

// change cancels (slot 1) or revises (slot 1 + changeEvery/2) the order just
// placed, with a key derived from the order's.
function change(id, body, key, slot, changeEvery) {
  let res;
  if (slot === 1) {
    res = http.post(`${baseURL}/v1/orders/${id}/cancel`, JSON.stringify({ reason: 'k6' }), {
      headers: { ...authHeaders(), 'Content-Type': 'application/json', 'Idempotency-Key': `${key}-cancel` },
      tags: { name: 'cancel_order' },
    });
    changeErrors.add(!check(res, { 'cancel answered (200 or 409)': (r) => r.status === 200 || r.status === 409 }));
  } else if (slot === 1 + Math.floor(changeEvery / 2)) {
    // Each SKU once, one more of it.
    const items = [];
    for (const it of body.items) {
      if (!items.some((x) => x.sku === it.sku)) {
        items.push({ sku: it.sku, quantity: Math.min(it.quantity + 1, 99) });
      }
    }
    res = http.post(`${baseURL}/v1/orders/${id}/revise`, JSON.stringify({ items }), {
      headers: { ...authHeaders(), 'Content-Type': 'application/json', 'Idempotency-Key': `${key}-revise` },
      tags: { name: 'revise_order' },
    });
    changeErrors.add(!check(res, { 'revision answered (202 or 409)': (r) => r.status === 202 || r.status === 409 }));
  }
}
