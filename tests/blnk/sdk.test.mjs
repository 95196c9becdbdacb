// Blnk's own TypeScript SDK (@blnkfinance/blnk-typescript, pinned in
// package.json) against the Blnk dialect under $WL_BASE_URL/blnk.
//
// 1. Every step of Blnk's wallet tutorial (/work/shared/seeds/
//    blnk-wallet-management-tutorial.txt), with each balance read back exactly.
// 2. Inflight holds: committed in two parts, and committed in part then voided.
// 3. Refusals, each checked to have written nothing.
// 4. Amounts read exactly from the JSON number's text.
//
// The SDK never throws: it answers {status, message, data, error?}. Balances
// are checked against a model of every transaction (helpers.mjs Book), so the
// whole of each balance is asserted, not just `balance`. @WorldUSD is shared
// with the tutorial's curl test (same database), so it is checked by how much
// this test moved it. References carry a per-run suffix so the test can run
// again on the same database and in any order with the curl test.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BlnkInit } from '@blnkfinance/blnk-typescript';
import { BASE, KEY, idPattern, raw, amounts, Book } from './helpers.mjs';

const quiet = { info() {}, error() {}, debug() {} };
const connect = (key) => BlnkInit(key, { baseUrl: BASE, logger: quiet });
const blnk = connect(KEY);

const run = randomUUID().slice(0, 8);
const ref = (name) => `${name}-${run}`;

const WORLD = '@WorldUSD';
const book = new Book();
const ids = {}; // wallet name -> balance_id
const txns = {}; // name -> transaction as created
let worldAtStart = 0; // @WorldUSD's balance before this test

/** A short description of an SDK answer, for assertion messages. */
const show = (res) => `${res.status} ${res.message} ${JSON.stringify(res.data)}`;

function expectStatus(res, status, what) {
  assert.equal(res.status, status, `${what}: expected ${status}, got ${show(res)}`);
}

function expectRefusal(res, status, code, what) {
  assert.equal(res.status, status, `${what}: expected ${status} ${code}, got ${show(res)}`);
  assert.equal(res.error?.code, code, `${what}: error.code, got ${show(res)}`);
  assert.equal(typeof res.message, 'string');
  assert.ok(res.message.length > 0, `${what}: the SDK's message is empty`);
}

async function readBalance(name) {
  const res =
    name === WORLD ? await blnk.LedgerBalances.getByIndicator(WORLD, 'USD') : await blnk.LedgerBalances.get(ids[name]);
  expectStatus(res, 200, `read ${name}`);
  return res.data;
}

/** Every wallet of the book, read back with the SDK, exactly as modelled. */
async function checkBalances(when) {
  for (const name of book.wallets.keys()) {
    const data = await readBalance(name);
    assert.deepEqual(amounts(data), book.expected(name), `${name} ${when}`);
  }
}

/** Reads a transaction back by id and by reference; both must match `created`. */
async function readBack(created) {
  const fields = [
    'transaction_id',
    'amount',
    'precise_amount',
    'precision',
    'source',
    'destination',
    'reference',
    'currency',
    'description',
    'status',
    'meta_data',
    'parent_transaction',
  ];
  const pick = (t) => Object.fromEntries(fields.map((f) => [f, t?.[f]]));
  const byId = await blnk.Transactions.get(created.transaction_id);
  expectStatus(byId, 200, `Transactions.get(${created.reference})`);
  assert.deepEqual(pick(byId.data), pick(created), 'Transactions.get answers the transaction as created');
  const byRef = await blnk.Transactions.getByReference(created.reference);
  expectStatus(byRef, 200, `Transactions.getByReference(${created.reference})`);
  assert.deepEqual(pick(byRef.data), pick(created), 'getByReference answers the transaction as created');
}

/** A transaction through the SDK that must be applied (201, APPLIED). */
async function transfer(name, request, from, to) {
  const res = await blnk.Transactions.create(request);
  expectStatus(res, 201, name);
  const t = res.data;
  assert.match(t.transaction_id, idPattern('txn'));
  assert.equal(t.status, 'APPLIED', `${name}: a 201 is final here, never QUEUED`);
  assert.equal(t.reference, request.reference);
  assert.equal(t.currency, request.currency);
  assert.equal(t.description, request.description);
  assert.equal(t.source, ids[from], `${name}: source is ${from}'s balance id`);
  assert.equal(t.destination, ids[to], `${name}: destination is ${to}'s balance id`);
  assert.deepEqual(t.meta_data ?? null, request.meta_data ?? null, `${name}: meta_data`);
  txns[name] = t;
  return t;
}

describe('Blnk TypeScript SDK 1.3.0: the wallet tutorial', () => {
  before(async () => {
    // @WorldUSD may already exist (the curl test, an earlier run): start from what it holds
    const world = await blnk.LedgerBalances.getByIndicator(WORLD, 'USD');
    if (world.status === 404) {
      assert.equal(world.error?.code, 'BAL_NOT_FOUND');
      book.wallet(WORLD);
    } else {
      expectStatus(world, 200, 'read @WorldUSD');
      const { credit_balance, debit_balance, inflight_credit_balance, inflight_debit_balance } = world.data;
      book.wallet(WORLD, { credit_balance, debit_balance, inflight_credit_balance, inflight_debit_balance });
      worldAtStart = world.data.balance;
    }
  });

  it('creates the customer ledger (Ledgers.create, Ledgers.get)', async () => {
    const request = {
      name: 'Customer Wallets Ledger',
      meta_data: { description: 'Ledger for managing customer wallets', application: 'Wallet Management System' },
    };
    const res = await blnk.Ledgers.create(request);
    expectStatus(res, 201, 'Ledgers.create');
    assert.match(res.data.ledger_id, idPattern('ldg'));
    assert.equal(res.data.name, request.name);
    assert.deepEqual(res.data.meta_data, request.meta_data);
    assert.ok(!Number.isNaN(Date.parse(res.data.created_at)), `created_at ${res.data.created_at}`);
    ids.ledger = res.data.ledger_id;

    const got = await blnk.Ledgers.get(ids.ledger);
    expectStatus(got, 200, 'Ledgers.get');
    assert.deepEqual(got.data, res.data);
  });

  it('creates the customer identity (Identity.create, Identity.get)', async () => {
    const request = {
      identity_type: 'individual',
      first_name: 'Alice',
      last_name: 'Johnson',
      email_address: 'alice@example.com',
      phone_number: '+1234567890',
      meta_data: { customer_id: 'CUST-001', registration_date: new Date().toISOString() },
    };
    const res = await blnk.Identity.create(request);
    expectStatus(res, 201, 'Identity.create');
    assert.match(res.data.identity_id, idPattern('idt'));
    for (const f of ['identity_type', 'first_name', 'last_name', 'email_address', 'phone_number']) {
      assert.equal(res.data[f], request[f], f);
    }
    assert.deepEqual(res.data.meta_data, request.meta_data);
    ids.identity = res.data.identity_id;

    const got = await blnk.Identity.get(ids.identity);
    expectStatus(got, 200, 'Identity.get');
    assert.deepEqual(got.data, res.data);
  });

  it('creates the main wallet, linked to the identity (LedgerBalances.create, get)', async () => {
    const meta_data = { wallet_type: 'main', purpose: 'general', status: 'active' };
    const res = await blnk.LedgerBalances.create({
      ledger_id: ids.ledger,
      identity_id: ids.identity,
      currency: 'USD',
      meta_data,
    });
    expectStatus(res, 201, 'LedgerBalances.create (main)');
    assert.match(res.data.balance_id, idPattern('bln'));
    assert.equal(res.data.ledger_id, ids.ledger);
    assert.equal(res.data.identity_id, ids.identity);
    assert.equal(res.data.currency, 'USD');
    assert.deepEqual(res.data.meta_data, meta_data);
    ids.main = res.data.balance_id;
    book.wallet('main');
    assert.deepEqual(amounts(res.data), book.expected('main'));

    const got = await blnk.LedgerBalances.get(ids.main);
    expectStatus(got, 200, 'LedgerBalances.get (main)');
    assert.equal(got.data.balance_id, ids.main);
    assert.equal(got.data.identity_id, ids.identity);
    assert.deepEqual(got.data.meta_data, meta_data);
  });

  it('deposits 1000.00 from @WorldUSD (precise_amount 100000, precision 100, allow_overdraft)', async () => {
    const request = {
      precise_amount: 100000,
      precision: 100,
      reference: ref('DEP-20250225-103000'),
      description: 'Initial deposit',
      currency: 'USD',
      source: WORLD,
      destination: ids.main,
      allow_overdraft: true,
      meta_data: { transaction_type: 'deposit', channel: 'bank_transfer' },
    };
    const res = await blnk.Transactions.create(request);
    expectStatus(res, 201, 'deposit');
    const world = await readBalance(WORLD);
    assert.equal(world.indicator, WORLD);
    assert.equal(world.ledger_id, 'general_ledger_id');
    assert.match(world.balance_id, idPattern('bln'));
    ids[WORLD] = world.balance_id;
    book.applied(WORLD, 'main', 100000);

    // the checks of transfer(), on the answer already had
    const t = res.data;
    assert.equal(t.status, 'APPLIED');
    assert.equal(t.precise_amount, 100000);
    assert.equal(t.amount, 1000);
    assert.equal(t.precision, 100);
    assert.equal(t.source, ids[WORLD], 'source is @WorldUSD resolved to its balance id');
    assert.equal(t.destination, ids.main);
    assert.equal(t.reference, request.reference);
    assert.deepEqual(t.meta_data, request.meta_data);
    txns.deposit = t;
    await readBack(t);
    await checkBalances('after the deposit');
    assert.equal(book.expected('main').balance, 100000);
  });

  it('withdraws 100.00 to @WorldUSD', async () => {
    const t = await transfer(
      'withdrawal',
      {
        precise_amount: 10000,
        precision: 100,
        reference: ref('WDR-20250225-104500'),
        description: 'Wallet withdrawal',
        currency: 'USD',
        source: ids.main,
        destination: WORLD,
        meta_data: { transaction_type: 'withdrawal', channel: 'atm' },
      },
      'main',
      WORLD,
    );
    assert.equal(t.precise_amount, 10000);
    assert.equal(t.amount, 100);
    book.applied('main', WORLD, 10000);
    await readBack(t);
    await checkBalances('after the withdrawal');
  });

  it('creates the card wallet, its card_details metadata round-tripping', async () => {
    const meta_data = {
      wallet_type: 'card',
      purpose: 'card_payments',
      status: 'active',
      card_details: { masked_number: 'xxxx-xxxx-xxxx-1234', expiry: '12/25', type: 'virtual' },
    };
    const res = await blnk.LedgerBalances.create({
      ledger_id: ids.ledger,
      identity_id: ids.identity,
      currency: 'USD',
      meta_data,
    });
    expectStatus(res, 201, 'LedgerBalances.create (card)');
    assert.match(res.data.balance_id, idPattern('bln'));
    assert.notEqual(res.data.balance_id, ids.main);
    assert.deepEqual(res.data.meta_data, meta_data);
    ids.card = res.data.balance_id;
    book.wallet('card');

    const got = await blnk.LedgerBalances.get(ids.card);
    expectStatus(got, 200, 'LedgerBalances.get (card)');
    assert.equal(got.data.meta_data?.card_details?.masked_number, 'xxxx-xxxx-xxxx-1234');
    assert.deepEqual(got.data.meta_data, meta_data);
    assert.equal(got.data.identity_id, ids.identity);
    assert.equal(got.data.ledger_id, ids.ledger);
  });

  it('funds the card from the main wallet (200.00): main 70000, card 20000, @WorldUSD -90000', async () => {
    const t = await transfer(
      'transfer',
      {
        precise_amount: 20000,
        precision: 100,
        reference: ref('TRF-20250225-110000'),
        description: 'Transfer to card wallet',
        currency: 'USD',
        source: ids.main,
        destination: ids.card,
        meta_data: { transaction_type: 'internal_transfer', purpose: 'fund_card' },
      },
      'main',
      'card',
    );
    assert.equal(t.precise_amount, 20000);
    book.applied('main', 'card', 20000);
    await readBack(t);
    await checkBalances('after the tutorial');

    // the tutorial's outcome, spelled out
    const main = await readBalance('main');
    assert.deepEqual([main.balance, main.credit_balance, main.debit_balance], [70000, 100000, 30000]);
    const card = await readBalance('card');
    assert.deepEqual([card.balance, card.credit_balance, card.debit_balance], [20000, 20000, 0]);
    const world = await readBalance(WORLD);
    assert.equal(world.balance - worldAtStart, -90000, '@WorldUSD moved by -90000');
  });
});

describe('Blnk TypeScript SDK 1.3.0: inflight holds', () => {
  const hold = {};

  it('holds 100.00 main -> card (inflight): INFLIGHT, only inflight_* counters move', async () => {
    const res = await blnk.Transactions.create({
      precise_amount: 10000,
      precision: 100,
      reference: ref('HOLD-1'),
      description: 'Card authorisation',
      currency: 'USD',
      source: ids.main,
      destination: ids.card,
      inflight: true,
      meta_data: { transaction_type: 'card_hold' },
    });
    expectStatus(res, 201, 'inflight create');
    assert.equal(res.data.status, 'INFLIGHT');
    assert.equal(res.data.inflight, true);
    assert.equal(res.data.precise_amount, 10000);
    hold.first = res.data;
    book.held('main', 'card', 10000);
    await readBack(res.data);
    await checkBalances('after the hold');
    const main = await readBalance('main');
    assert.equal(main.inflight_debit_balance, 10000);
    assert.equal(main.balance, 70000, 'balance unchanged by a hold');
  });

  it('refuses to commit more than is held (400 TXN_COMMIT_AMOUNT_EXCEEDED), writing nothing', async () => {
    const res = await blnk.Transactions.updateStatus(hold.first.transaction_id, {
      status: 'commit',
      precise_amount: 10001,
    });
    expectRefusal(res, 400, 'TXN_COMMIT_AMOUNT_EXCEEDED', 'commit 10001 of 10000');
    await checkBalances('after the refused commit');
  });

  it('commits 40.00 of it: 200, a new APPLIED transaction whose parent is the hold', async () => {
    const res = await blnk.Transactions.updateStatus(hold.first.transaction_id, {
      status: 'commit',
      precise_amount: 4000,
    });
    expectStatus(res, 200, 'commit 4000');
    const part = res.data;
    assert.equal(part.status, 'APPLIED');
    assert.equal(part.precise_amount, 4000);
    assert.equal(part.amount, 40);
    assert.equal(part.parent_transaction, hold.first.transaction_id);
    assert.match(part.transaction_id, idPattern('txn'));
    assert.notEqual(part.transaction_id, hold.first.transaction_id);
    assert.equal(part.source, ids.main);
    assert.equal(part.destination, ids.card);
    assert.equal(part.currency, 'USD');
    book.committed('main', 'card', 4000);
    await checkBalances('after committing 4000');

    const got = await blnk.Transactions.get(part.transaction_id);
    expectStatus(got, 200, 'Transactions.get (committed part)');
    assert.equal(got.data.status, 'APPLIED');
    assert.equal(got.data.precise_amount, 4000);
    assert.equal(got.data.parent_transaction, hold.first.transaction_id);
  });

  it('still answers the partly committed hold as INFLIGHT (Blnk never rewrites a transaction)', async () => {
    const got = await blnk.Transactions.get(hold.first.transaction_id);
    expectStatus(got, 200, 'Transactions.get (the hold)');
    assert.equal(
      got.data.status,
      'INFLIGHT',
      `60.00 of the hold is still held, yet GET /transactions/{hold} answers ${got.data.status}`,
    );
    assert.equal(got.data.precise_amount, 10000);
  });

  it('commits the rest ({status: "commit"}): 6000, then a second commit or a void is 409 TXN_ALREADY_COMMITTED', async () => {
    const res = await blnk.Transactions.updateStatus(hold.first.transaction_id, { status: 'commit' });
    expectStatus(res, 200, 'commit the rest');
    assert.equal(res.data.status, 'APPLIED');
    assert.equal(res.data.precise_amount, 6000);
    assert.equal(res.data.parent_transaction, hold.first.transaction_id);
    book.committed('main', 'card', 6000);
    await checkBalances('after committing the rest');

    const again = await blnk.Transactions.updateStatus(hold.first.transaction_id, { status: 'commit' });
    expectRefusal(again, 409, 'TXN_ALREADY_COMMITTED', 'commit of a committed hold');
    const voided = await blnk.Transactions.updateStatus(hold.first.transaction_id, { status: 'void' });
    expectRefusal(voided, 409, 'TXN_ALREADY_COMMITTED', 'void of a committed hold');
    await checkBalances('after the refused commit and void');
  });

  it('does not answer the fully committed hold as VOID', async () => {
    const got = await blnk.Transactions.get(hold.first.transaction_id);
    expectStatus(got, 200, 'Transactions.get (the committed hold)');
    assert.notEqual(got.data.status, 'VOID', 'GET /transactions/{hold} answers VOID for a hold committed in full (nothing was voided; Blnk answers INFLIGHT)');
  });

  it('holds 50.00, commits 10.00, voids the rest: VOID of 4000, the hold released', async () => {
    const res = await blnk.Transactions.create({
      precise_amount: 5000,
      precision: 100,
      reference: ref('HOLD-2'),
      description: 'Second authorisation',
      currency: 'USD',
      source: ids.main,
      destination: ids.card,
      inflight: true,
    });
    expectStatus(res, 201, 'second hold');
    assert.equal(res.data.status, 'INFLIGHT');
    hold.second = res.data;
    book.held('main', 'card', 5000);
    await checkBalances('after the second hold');

    const part = await blnk.Transactions.updateStatus(hold.second.transaction_id, {
      status: 'commit',
      precise_amount: 1000,
    });
    expectStatus(part, 200, 'commit 1000');
    assert.equal(part.data.status, 'APPLIED');
    assert.equal(part.data.precise_amount, 1000);
    assert.equal(part.data.parent_transaction, hold.second.transaction_id);
    book.committed('main', 'card', 1000);
    await checkBalances('after committing 1000 of the second hold');

    const voided = await blnk.Transactions.updateStatus(hold.second.transaction_id, { status: 'void' });
    expectStatus(voided, 200, 'void');
    assert.equal(voided.data.status, 'VOID');
    assert.equal(voided.data.precise_amount, 4000, 'the void releases what is still held');
    assert.equal(voided.data.parent_transaction, hold.second.transaction_id);
    book.released('main', 'card', 4000);
    await checkBalances('after the void');
    const main = await readBalance('main');
    assert.equal(main.inflight_debit_balance, 0);
  });

  it('refuses a commit or a void of the voided hold (409 TXN_ALREADY_VOIDED), writing nothing', async () => {
    const commit = await blnk.Transactions.updateStatus(hold.second.transaction_id, { status: 'commit' });
    expectRefusal(commit, 409, 'TXN_ALREADY_VOIDED', 'commit of a voided hold');
    const partial = await blnk.Transactions.updateStatus(hold.second.transaction_id, {
      status: 'commit',
      precise_amount: 100,
    });
    expectRefusal(partial, 409, 'TXN_ALREADY_VOIDED', 'partial commit of a voided hold');
    const again = await blnk.Transactions.updateStatus(hold.second.transaction_id, { status: 'void' });
    expectRefusal(again, 409, 'TXN_ALREADY_VOIDED', 'void of a voided hold');
    await checkBalances('after the refused actions on the voided hold');
  });

  it('voids a hold outright: 200, the hold itself answered VOID with the whole amount', async () => {
    const res = await blnk.Transactions.create({
      precise_amount: 3000,
      precision: 100,
      reference: ref('HOLD-3'),
      description: 'Cancelled authorisation',
      currency: 'USD',
      source: ids.main,
      destination: ids.card,
      inflight: true,
    });
    expectStatus(res, 201, 'third hold');
    hold.third = res.data;
    book.held('main', 'card', 3000);
    await checkBalances('after the third hold');

    const voided = await blnk.Transactions.updateStatus(hold.third.transaction_id, { status: 'void' });
    expectStatus(voided, 200, 'void');
    book.released('main', 'card', 3000);
    await checkBalances('after voiding the third hold');
    assert.equal(voided.data.status, 'VOID');
    assert.equal(voided.data.precise_amount, 3000);
    expectRefusal(
      await blnk.Transactions.updateStatus(hold.third.transaction_id, { status: 'commit' }),
      409,
      'TXN_ALREADY_VOIDED',
      'commit of the voided hold',
    );
    await checkBalances('after the refused commit of the third hold');
    // A deliberate difference (crates/ledger-blnk docs): Blnk answers a void with
    // a new child record; our journal archives the hold itself, so a hold voided
    // outright is its own VOID record — read back as such.
    assert.equal(voided.data.transaction_id, hold.third.transaction_id, 'the hold itself is the VOID record');
    const back = await blnk.Transactions.get(hold.third.transaction_id);
    expectStatus(back, 200, 'read the voided hold');
    assert.equal(back.data.status, 'VOID');
  });
});

describe('Blnk TypeScript SDK 1.3.0: refusals write nothing', () => {
  it('refuses an overdraft without allow_overdraft (400 TXN_INSUFFICIENT_FUNDS)', async () => {
    const available = book.expected('main').balance - book.expected('main').inflight_debit_balance;
    const reference = ref('OVERDRAFT');
    const res = await blnk.Transactions.create({
      precise_amount: available + 1,
      precision: 100,
      reference,
      description: 'More than the wallet holds',
      currency: 'USD',
      source: ids.main,
      destination: ids.card,
    });
    expectRefusal(res, 400, 'TXN_INSUFFICIENT_FUNDS', 'overdraft');
    await checkBalances('after the refused overdraft');
    const lookup = await blnk.Transactions.getByReference(reference);
    expectRefusal(lookup, 404, 'TXN_NOT_FOUND', 'the refused transaction by its reference');

    // exactly what the wallet holds is fine
    const all = await transfer(
      'everything',
      {
        precise_amount: available,
        precision: 100,
        reference: ref('ALL'),
        description: 'All of it',
        currency: 'USD',
        source: ids.main,
        destination: ids.card,
      },
      'main',
      'card',
    );
    book.applied('main', 'card', available);
    await checkBalances('after moving everything');
    // and back, for the following steps
    const back = await transfer(
      'back',
      {
        precise_amount: available,
        precision: 100,
        reference: ref('BACK'),
        description: 'Back again',
        currency: 'USD',
        source: ids.card,
        destination: ids.main,
      },
      'card',
      'main',
    );
    book.applied('card', 'main', available);
    assert.equal(all.precise_amount, back.precise_amount);
    await checkBalances('after moving it back');
  });

  it('refuses a duplicate reference (409 TXN_DUPLICATE_REFERENCE)', async () => {
    const res = await blnk.Transactions.create({
      precise_amount: 100,
      precision: 100,
      reference: txns.deposit.reference,
      description: 'Reusing the deposit reference',
      currency: 'USD',
      source: ids.main,
      destination: ids.card,
    });
    expectRefusal(res, 409, 'TXN_DUPLICATE_REFERENCE', 'duplicate reference');
    await checkBalances('after the refused duplicate');
    await readBack(txns.deposit); // the reference still names the deposit
  });

  it('refunds once: 201 with source and destination swapped, balances restored; a second refund is 409', async () => {
    const t = await transfer(
      'to refund',
      {
        precise_amount: 2500,
        precision: 100,
        reference: ref('CARD-PAYMENT'),
        description: 'Card top-up to refund',
        currency: 'USD',
        source: ids.main,
        destination: ids.card,
        meta_data: { order: 'ORD-1' },
      },
      'main',
      'card',
    );
    book.applied('main', 'card', 2500);
    await checkBalances('after the transaction to refund');

    const res = await blnk.Transactions.refund(t.transaction_id);
    expectStatus(res, 201, 'Transactions.refund');
    const refund = res.data;
    assert.equal(refund.status, 'APPLIED');
    assert.match(refund.transaction_id, idPattern('txn'));
    assert.notEqual(refund.transaction_id, t.transaction_id);
    assert.equal(refund.source, ids.card, 'refund source is the original destination');
    assert.equal(refund.destination, ids.main, 'refund destination is the original source');
    assert.equal(refund.precise_amount, 2500);
    assert.equal(refund.currency, 'USD');
    assert.equal(refund.parent_transaction, t.transaction_id);
    assert.equal(refund.reference, `${t.transaction_id}_refund`, "Blnk's refund reference");
    book.applied('card', 'main', 2500);
    await checkBalances('after the refund');

    const got = await blnk.Transactions.get(refund.transaction_id);
    expectStatus(got, 200, 'Transactions.get (refund)');
    assert.equal(got.data.status, 'APPLIED');
    assert.equal(got.data.source, ids.card);
    assert.equal(got.data.destination, ids.main);

    const second = await blnk.Transactions.refund(t.transaction_id);
    expectRefusal(second, 409, 'GEN_CONFLICT', 'second refund');
    const withOptions = await blnk.Transactions.refund(t.transaction_id, { skip_queue: true });
    expectRefusal(withOptions, 409, 'GEN_CONFLICT', 'second refund with options');
    await checkBalances('after the refused second refund');
  });

  it('answers 404 for unknown ids (BAL_NOT_FOUND, TXN_NOT_FOUND), and writes nothing for an unknown destination', async () => {
    const unknownBalance = `bln_${randomUUID()}`;
    expectRefusal(await blnk.LedgerBalances.get(unknownBalance), 404, 'BAL_NOT_FOUND', 'unknown balance');
    expectRefusal(await blnk.Transactions.get(`txn_${randomUUID()}`), 404, 'TXN_NOT_FOUND', 'unknown transaction');
    expectRefusal(
      await blnk.Transactions.getByReference(ref('NO-SUCH-REFERENCE')),
      404,
      'TXN_NOT_FOUND',
      'unknown reference',
    );
    expectRefusal(await blnk.Ledgers.get(`ldg_${randomUUID()}`), 404, 'LGR_NOT_FOUND', 'unknown ledger');
    expectRefusal(await blnk.Identity.get(`idt_${randomUUID()}`), 404, 'IDT_NOT_FOUND', 'unknown identity');

    const reference = ref('TO-NOWHERE');
    const res = await blnk.Transactions.create({
      precise_amount: 100,
      precision: 100,
      reference,
      description: 'To a balance that does not exist',
      currency: 'USD',
      source: ids.main,
      destination: unknownBalance,
    });
    assert.equal(res.status, 404, `transaction to an unknown balance: ${show(res)}`);
    await checkBalances('after the transaction to an unknown balance');
    expectRefusal(await blnk.Transactions.getByReference(reference), 404, 'TXN_NOT_FOUND', 'its reference');
  });

  it('answers 401 without a key or with a wrong one', async () => {
    const request = {
      precise_amount: 100,
      precision: 100,
      reference: ref('NO-KEY'),
      description: 'Unauthenticated',
      currency: 'USD',
      source: ids.main,
      destination: ids.card,
    };
    const anonymous = connect('');
    expectRefusal(await anonymous.LedgerBalances.get(ids.main), 401, 'AUTH_MISSING_API_KEY', 'no key, read');
    expectRefusal(await anonymous.Transactions.create(request), 401, 'AUTH_MISSING_API_KEY', 'no key, write');
    const stranger = connect(`wlk_${randomUUID().replaceAll('-', '')}`);
    expectRefusal(await stranger.LedgerBalances.get(ids.main), 401, 'AUTH_INVALID_API_KEY', 'wrong key, read');
    expectRefusal(await stranger.Transactions.create(request), 401, 'AUTH_INVALID_API_KEY', 'wrong key, write');
    await checkBalances('after the unauthenticated attempts');
    expectRefusal(await blnk.Transactions.getByReference(request.reference), 404, 'TXN_NOT_FOUND', 'its reference');
  });
});

describe('Blnk dialect: amounts are exact', () => {
  before(async () => {
    const res = await blnk.LedgerBalances.create({ ledger_id: ids.ledger, currency: 'USD' });
    expectStatus(res, 201, 'LedgerBalances.create (exact)');
    ids.exact = res.data.balance_id;
    book.wallet('exact');
  });

  const deposit = (reference, amountText) =>
    `{"amount": ${amountText}, "precision": 100, "reference": "${reference}", "description": "exact amount",` +
    ` "currency": "USD", "source": "${WORLD}", "destination": "${ids.exact}", "allow_overdraft": true}`;

  it('reads `"amount": 1e2` as 10000 minor units', async () => {
    const reference = ref('EXACT-1E2');
    const res = await raw('POST', '/transactions', deposit(reference, '1e2'));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.status, 'APPLIED');
    assert.equal(res.json.precise_amount, 10000);
    assert.equal(res.json.amount, 100);
    assert.match(res.text, /"precise_amount":\s*10000[,}]/, 'precise_amount is the JSON integer 10000');
    book.applied(WORLD, 'exact', 10000);
    await checkBalances('after 1e2');
  });

  it('reads `"amount": 100.5` as 10050 minor units', async () => {
    const reference = ref('EXACT-100.5');
    const res = await raw('POST', '/transactions', deposit(reference, '100.5'));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.precise_amount, 10050);
    assert.equal(res.json.amount, 100.5);
    book.applied(WORLD, 'exact', 10050);
    await checkBalances('after 100.5');
    const back = await blnk.Transactions.getByReference(reference);
    expectStatus(back, 200, 'getByReference');
    assert.equal(back.data.precise_amount, 10050);
  });

  it('takes the same amounts through the SDK (JSON.stringify) exactly: 100.5, 0.29, 1e2', async () => {
    for (const [amount, units] of [
      [100.5, 10050],
      [0.29, 29], // 0.29 * 100 is 28.999999999999996 in floating point
      [1e2, 10000],
    ]) {
      const t = await transfer(
        `sdk amount ${amount}`,
        {
          amount,
          precision: 100,
          reference: ref(`EXACT-SDK-${amount}`),
          description: 'exact amount',
          currency: 'USD',
          source: WORLD,
          destination: ids.exact,
          allow_overdraft: true,
        },
        WORLD,
        'exact',
      );
      assert.equal(t.precise_amount, units, `amount ${amount}`);
      assert.equal(t.amount, amount);
      book.applied(WORLD, 'exact', units);
    }
    await checkBalances('after the SDK amounts');
  });

  it('refuses precise_amount 12345 at precision 1000 in USD (12.345: 400, not rounded), writing nothing', async () => {
    const reference = ref('EXACT-12345');
    const res = await blnk.Transactions.create({
      precise_amount: 12345,
      precision: 1000,
      reference,
      description: 'a tenth of a cent',
      currency: 'USD',
      source: WORLD,
      destination: ids.exact,
      allow_overdraft: true,
    });
    assert.equal(res.status, 400, show(res));
    assert.ok(res.error?.code, `a Blnk error code: ${show(res)}`);
    await checkBalances('after the refused 12.345');
    expectRefusal(await blnk.Transactions.getByReference(reference), 404, 'TXN_NOT_FOUND', 'its reference');

    // 12340 at precision 1000 is 12.34: fine
    const t = await transfer(
      'precise 12340/1000',
      {
        precise_amount: 12340,
        precision: 1000,
        reference: ref('EXACT-12340'),
        description: 'twelve thirty-four',
        currency: 'USD',
        source: WORLD,
        destination: ids.exact,
        allow_overdraft: true,
      },
      WORLD,
      'exact',
    );
    assert.equal(t.amount, 12.34);
    book.applied(WORLD, 'exact', 1234);
    await checkBalances('after 12340/1000');
  });
});
