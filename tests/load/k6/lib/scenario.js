// Turns a scenario file (tests/load/scenarios/*.json) into k6 options, the
// same way `platform load` reads it (internal/load/scenario), so the k6 run
// and the Go harness judge the same thresholds. Pure functions: no k6
// import, so the repository's Go test can evaluate it with node.

// parseDuration reads a Go duration string ("250ms", "1m30s", "2h") into
// milliseconds.
export function parseDuration(s) {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  let total = 0;
  let consumed = 0;
  let m;
  while ((m = re.exec(s)) !== null) {
    total += parseFloat(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== s.length) {
    throw new Error(`not a duration: ${JSON.stringify(s)}`);
  }
  return total;
}

// isClosed: a stage with clients and orders is a closed loop.
function isClosed(st) {
  return (st.clients || 0) > 0 || (st.orders || 0) > 0;
}

// offeredRate is the average orders per second over all stages (a closed
// stage counts its orders over its duration, the lowest rate it can offer).
export function offeredRate(scenario) {
  let orders = 0;
  let seconds = 0;
  for (const st of scenario.stages) {
    const secs = parseDuration(st.duration) / 1000;
    orders += isClosed(st) ? st.orders : Math.floor(st.rate * secs);
    seconds += secs;
  }
  return orders / seconds;
}

// arrivalRate expresses a rate per second as k6's integer rate per timeUnit.
function arrivalRate(perSecond) {
  if (Number.isInteger(perSecond)) {
    return { rate: perSecond, timeUnit: '1s' };
  }
  return { rate: Math.round(perSecond * 1000), timeUnit: '1000s' };
}

// k6Options maps each open stage to a constant-arrival-rate scenario and
// each closed stage (clients, orders) to a shared-iterations one (clients
// VUs share the orders, each starting its next iteration when the previous
// one ends; duration is its maxDuration), each starting where the previous
// one ends at the latest (k6 cannot chain a scenario to another's end), and
// each threshold to a k6 threshold over the whole run:
//   http_p95 / http_p99      -> http_req_duration{name:place_order} p(95) / p(99)
//   placed_to_delivered_p99  -> placed_to_delivered p(99) (sampled orders followed to DELIVERED)
//   max_error_rate           -> order_errors rate, and dropped_iterations per second
//                               at most max_error_rate of the offered rate
//   min_throughput           -> http_reqs{name:place_order,expected_response:true} rate
export function k6Options(scenario) {
  const scenarios = {};
  let start = 0;
  for (const st of scenario.stages) {
    const ms = parseDuration(st.duration);
    if (isClosed(st)) {
      scenarios[st.name] = {
        executor: 'shared-iterations',
        vus: st.clients,
        iterations: st.orders,
        maxDuration: `${ms}ms`,
        startTime: `${start}ms`,
        gracefulStop: `${parseDuration(scenario.delivery_timeout)}ms`,
      };
      start += ms;
      continue;
    }
    const { rate, timeUnit } = arrivalRate(st.rate);
    scenarios[st.name] = {
      executor: 'constant-arrival-rate',
      rate,
      timeUnit,
      duration: `${ms}ms`,
      startTime: `${start}ms`,
      preAllocatedVUs: Math.min(scenario.max_in_flight, Math.max(1, Math.ceil(st.rate))),
      maxVUs: scenario.max_in_flight,
      gracefulStop: `${parseDuration(scenario.delivery_timeout)}ms`,
    };
    start += ms;
  }
  const t = scenario.thresholds;
  const maxDroppedPerSecond = +(t.max_error_rate * offeredRate(scenario)).toFixed(6);
  return {
    scenarios,
    thresholds: {
      'http_req_duration{name:place_order}': [
        `p(95)<=${parseDuration(t.http_p95)}`,
        `p(99)<=${parseDuration(t.http_p99)}`,
      ],
      placed_to_delivered: [`p(99)<=${parseDuration(t.placed_to_delivered_p99)}`],
      order_errors: [`rate<=${t.max_error_rate}`],
      dropped_iterations: [`rate<=${maxDroppedPerSecond}`],
      'http_reqs{name:place_order,expected_response:true}': [`rate>=${t.min_throughput}`],
    },
    summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
  };
}

// mulberry32 is a tiny seeded PRNG, so the order mix is reproducible.
function mulberry32(a) {
  return function () {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// orderFor builds the body of POST /v1/orders for arrival n, drawn from the
// scenario's weighted order mix and stores. The customer is not in the body:
// the order API takes it from the bearer token (lib/auth.js).
export function orderFor(scenario, n) {
  const rnd = mulberry32((scenario.seed * 1000003 + n) | 0);
  const total = scenario.order_mix.reduce((s, k) => s + k.weight, 0);
  let pick = Math.floor(rnd() * total);
  let kind = scenario.order_mix[scenario.order_mix.length - 1];
  for (const k of scenario.order_mix) {
    if (pick < k.weight) {
      kind = k;
      break;
    }
    pick -= k.weight;
  }
  const street = 1 + Math.floor(rnd() * 200);
  return {
    kind: kind.name,
    body: {
      store_id: `store-${1 + Math.floor(rnd() * scenario.stores)}`,
      items: kind.items.map((it) => ({ sku: it.sku, quantity: it.quantity })),
      address: { street: `${street} Main St`, city: 'Springfield', postcode: String(10000 + street).padStart(5, '0') },
    },
  };
}
