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

// BASE_URL is the order API of the environment under test.
const baseURL = (__ENV.BASE_URL || 'http://localhost:8080').replace(/\/$/, '');
// DELIVERY_SAMPLE is the fraction of orders followed to DELIVERED. Following
// holds a VU for the whole delivery, so it is sampled.
const deliverySample = parseFloat(__ENV.DELIVERY_SAMPLE || '0.05');
const pollInterval = 0.25; // seconds between status polls

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
