// k6 run -e BASE_URL=https://api.<env>.bloody-sweet.example.com tests/load/k6/overload.js
// Stages and thresholds come from tests/load/scenarios/overload.json, the file
// `platform load --scenario` reads too.
import { k6Options } from './lib/scenario.js';
import { placeOrder } from './lib/orders.js';

const scenario = JSON.parse(open('../scenarios/overload.json'));

export const options = k6Options(scenario);

export default function () {
  placeOrder(scenario);
}
