// k6 run -e BASE_URL=https://api.<env>.bloody-sweet.example.com tests/load/k6/demo.js
// The demo's closed loop (tests/load/scenarios/demo.json, which `make demo`
// runs on the embedded stack) against a deployed environment.
import { k6Options } from './lib/scenario.js';
import { placeOrder } from './lib/orders.js';

const scenario = JSON.parse(open('../scenarios/demo.json'));

export const options = k6Options(scenario);

export default function () {
  placeOrder(scenario);
}
