// A k6 script whose author edited a threshold by hand instead of in the
// scenario file: the test must catch the drift.
import { k6Options } from '../../k6/lib/scenario.js';
import { placeOrder } from '../../k6/lib/orders.js';

const scenario = JSON.parse(open('../../scenarios/smoke.json'));

export const options = k6Options(scenario);
options.thresholds['http_req_duration{name:place_order}'] = ['p(95)<=999', 'p(99)<=500'];
options.scenarios.steady.rate = 25;

export default function () {
  placeOrder(scenario);
}
