// Shared by the Blnk suite's tests: where the server is, raw HTTP, and the
// exact balance bookkeeping both tests assert against.
import assert from 'node:assert/strict';

export const BASE = `${must('WL_BASE_URL').replace(/\/+$/, '')}/blnk`;
export const KEY = must('WL_API_KEY');

function must(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run this suite through scripts/e2e.sh blnk)`);
  return value;
}

export const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
export const idPattern = (prefix) => new RegExp(`^${prefix}_${UUID}$`);

/** A request with node's fetch; `body` is sent as is when it is a string. */
export async function raw(method, path, body, headers = {}) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { 'X-Blnk-Key': KEY, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    assert.fail(`${method} ${path}: ${res.status} with a body that is not JSON: ${text}`);
  }
  return { status: res.status, json, text };
}

/** The amount fields of a balance, as Blnk answers them. */
export const AMOUNT_FIELDS = [
  'balance',
  'credit_balance',
  'debit_balance',
  'inflight_balance',
  'inflight_credit_balance',
  'inflight_debit_balance',
];

export function amounts(balance) {
  return Object.fromEntries(AMOUNT_FIELDS.map((f) => [f, balance?.[f]]));
}

/**
 * What a balance must hold, in minor units, kept by applying each
 * transaction the way Blnk does (source debited, destination credited;
 * inflight in the inflight_* counters until committed or voided).
 */
export class Book {
  constructor() {
    this.wallets = new Map();
  }
  wallet(name, start = {}) {
    this.wallets.set(name, {
      credit_balance: 0,
      debit_balance: 0,
      inflight_credit_balance: 0,
      inflight_debit_balance: 0,
      ...start,
    });
  }
  expected(name) {
    const w = this.wallets.get(name);
    assert.ok(w, `no wallet ${name} in the book`);
    return {
      balance: w.credit_balance - w.debit_balance,
      credit_balance: w.credit_balance,
      debit_balance: w.debit_balance,
      inflight_balance: w.inflight_credit_balance - w.inflight_debit_balance,
      inflight_credit_balance: w.inflight_credit_balance,
      inflight_debit_balance: w.inflight_debit_balance,
    };
  }
  applied(from, to, units) {
    this.wallets.get(from).debit_balance += units;
    this.wallets.get(to).credit_balance += units;
  }
  held(from, to, units) {
    this.wallets.get(from).inflight_debit_balance += units;
    this.wallets.get(to).inflight_credit_balance += units;
  }
  committed(from, to, units) {
    this.released(from, to, units);
    this.applied(from, to, units);
  }
  released(from, to, units) {
    this.wallets.get(from).inflight_debit_balance -= units;
    this.wallets.get(to).inflight_credit_balance -= units;
  }
}
