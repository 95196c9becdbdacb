// Blnk's wallet tutorial, as a reader would paste it: every ```bash cURL block
// of the seed file (read at test time, never copied here), run by bash with
// the real curl binary, unchanged except
//   http://localhost:5001         -> $WL_BASE_URL/blnk
//   <api-key>                     -> $WL_API_KEY
//   <customer-…-id> placeholders  -> the ids earlier blocks answered.
// Each answer must be 201; then main 70000, card 20000, and @WorldUSD moved by
// -90000 (-90000 outright on a fresh database).
//
// curl's status code is recovered without touching the commands: curl reads
// a .curlrc from $CURL_HOME, and ours only adds --silent --show-error and a
// --write-out line with the status.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE, KEY, idPattern, raw, amounts } from './helpers.mjs';

// The seed document the product was built from: shared/seeds/ beside the
// checkout (as in the workspace and in CI); a clone without it uses the copy in
// tests/blnk/seed/, which must stay identical (checked below when both exist).
const HERE = dirname(fileURLToPath(import.meta.url));
const SHARED = join(HERE, '..', '..', '..', 'shared', 'seeds', 'blnk-wallet-management-tutorial.txt');
const COPY = join(HERE, 'seed', 'blnk-wallet-management-tutorial.txt');
const SEED = process.env.WL_BLNK_TUTORIAL ?? (existsSync(SHARED) ? SHARED : COPY);
if (existsSync(SHARED) && readFileSync(SHARED, 'utf8') !== readFileSync(COPY, 'utf8')) {
  throw new Error(`tests/blnk/seed/ is out of date: copy ${SHARED} over it`);
}
const HOST = 'http://localhost:5001';
const STATUS_MARK = '\n--wl-http-status:';

/** The ```bash cURL blocks of the tutorial, in order, dedented. */
function curlBlocks(text) {
  const blocks = [];
  const fence = /^([ \t]*)```bash cURL[^\n]*\n([\s\S]*?)^[ \t]*```[ \t]*$/gm;
  for (const m of text.matchAll(fence)) {
    const indent = m[1];
    const body = m[2]
      .split('\n')
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join('\n')
      .trimEnd();
    blocks.push(body);
  }
  return blocks;
}

/** The request body of a block (`-d '…'`), only to tell the steps apart. */
function bodyOf(block) {
  const m = block.match(/-d '([\s\S]*?)'/);
  return m ? JSON.parse(m[1]) : null;
}

/** What a block creates: the path it posts to, and for balances which wallet. */
function stepOf(block) {
  const url = block.match(/"(http:\/\/localhost:5001\/[^"]*)"/)?.[1];
  assert.ok(url, `a tutorial block without a quoted ${HOST} URL:\n${block}`);
  const path = url.slice(HOST.length);
  const body = bodyOf(block);
  if (path === '/balances') return { path, wallet: body?.meta_data?.wallet_type };
  return { path };
}

const text = readFileSync(SEED, 'utf8');
const blocks = curlBlocks(text);
const placeholders = {}; // '<customer-…-id>' -> id
const created = []; // {path, answer}

let curlHome;
before(() => {
  curlHome = mkdtempSync(join(tmpdir(), 'wl-blnk-curl-'));
  writeFileSync(
    join(curlHome, '.curlrc'),
    ['silent', 'show-error', 'max-time = 30', `write-out = "${STATUS_MARK.replace('\n', '\\n')}%{http_code}"`, ''].join(
      '\n',
    ),
  );
});
after(() => rmSync(curlHome, { recursive: true, force: true }));

/** A block with the host, the key and the known ids put in. */
function substitute(block) {
  assert.match(KEY, /^[A-Za-z0-9_.-]+$/, 'the key is put into the commands as is');
  let command = block.replaceAll(HOST, `${BASE}`).replaceAll('<api-key>', KEY);
  for (const [placeholder, id] of Object.entries(placeholders)) {
    assert.match(id, /^[a-z]+_[0-9a-f-]+$/);
    command = command.replaceAll(placeholder, id);
  }
  const left = command.match(/<[a-z0-9-]+>/g);
  assert.equal(left, null, `placeholders no earlier block answered: ${left}`);
  return command;
}

/** Runs a block with bash (and so the real curl); its status and parsed answer. */
function runBlock(command) {
  const r = spawnSync('bash', ['-c', command], {
    encoding: 'utf8',
    env: { ...process.env, CURL_HOME: curlHome },
    timeout: 60_000,
  });
  assert.equal(r.error, undefined, `bash: ${r.error}`);
  assert.equal(r.status, 0, `curl failed (exit ${r.status}): ${r.stderr}`);
  assert.equal(r.stderr, '', 'curl wrote to stderr');
  const at = r.stdout.lastIndexOf(STATUS_MARK);
  assert.ok(at >= 0, `no status line in curl's output: ${r.stdout}`);
  const status = Number(r.stdout.slice(at + STATUS_MARK.length).trim());
  const body = r.stdout.slice(0, at);
  let answer;
  try {
    answer = JSON.parse(body);
  } catch {
    assert.fail(`${status} with a body that is not JSON: ${body}`);
  }
  return { status, answer };
}

async function balance(path) {
  const res = await raw('GET', path);
  return res;
}

describe("Blnk's wallet tutorial, its curl commands run as written", () => {
  let worldBefore = null; // null: @WorldUSD did not exist yet

  before(async () => {
    const world = await balance('/balances/indicator/%40WorldUSD/currency/USD');
    if (world.status === 200) worldBefore = world.json;
    else assert.equal(world.status, 404, world.text);
  });

  it('finds the seven curl steps in the tutorial', () => {
    assert.ok(text.includes('```bash cURL'), `${SEED} has no bash cURL blocks`);
    assert.deepEqual(
      blocks.map((b) => {
        const s = stepOf(b);
        return s.wallet ? `${s.path} (${s.wallet})` : s.path;
      }),
      [
        '/ledgers',
        '/identities',
        '/balances (main)',
        '/transactions',
        '/transactions',
        '/balances (card)',
        '/transactions',
      ],
    );
    for (const b of blocks) assert.match(b, /^curl /, 'each block is one curl command');
  });

  it('runs every block: each answers 201', async (t) => {
    for (const [i, block] of blocks.entries()) {
      const step = stepOf(block);
      await t.test(`block ${i + 1}: POST ${step.path}${step.wallet ? ` (${step.wallet} wallet)` : ''}`, () => {
        const { status, answer } = runBlock(substitute(block));
        assert.equal(status, 201, `answer: ${JSON.stringify(answer)}`);
        const body = bodyOf(block);
        switch (step.path) {
          case '/ledgers':
            assert.match(answer.ledger_id, idPattern('ldg'));
            assert.equal(answer.name, body.name);
            assert.deepEqual(answer.meta_data, body.meta_data);
            placeholders['<customer-wallets-ledger-id>'] = answer.ledger_id;
            break;
          case '/identities':
            assert.match(answer.identity_id, idPattern('idt'));
            assert.equal(answer.first_name, body.first_name);
            assert.deepEqual(answer.meta_data, body.meta_data);
            placeholders['<customer-identity-id>'] = answer.identity_id;
            break;
          case '/balances':
            assert.match(answer.balance_id, idPattern('bln'));
            assert.equal(answer.ledger_id, placeholders['<customer-wallets-ledger-id>']);
            assert.equal(answer.identity_id, placeholders['<customer-identity-id>']);
            assert.deepEqual(answer.meta_data, body.meta_data);
            assert.equal(answer.balance, 0);
            placeholders[`<customer-${step.wallet}-balance-id>`] = answer.balance_id;
            break;
          case '/transactions':
            assert.match(answer.transaction_id, idPattern('txn'));
            assert.equal(answer.status, 'APPLIED');
            assert.equal(answer.reference, body.reference);
            assert.equal(answer.precise_amount, body.precise_amount);
            assert.equal(answer.currency, body.currency);
            assert.deepEqual(answer.meta_data, body.meta_data);
            break;
          default:
            assert.fail(`unexpected step ${step.path}`);
        }
        created.push({ step, answer });
      });
    }
  });

  it('leaves main 70000, card 20000, and @WorldUSD 90000 lower', async () => {
    const main = await balance(`/balances/${placeholders['<customer-main-balance-id>']}`);
    assert.equal(main.status, 200, main.text);
    assert.deepEqual(amounts(main.json), {
      balance: 70000,
      credit_balance: 100000,
      debit_balance: 30000,
      inflight_balance: 0,
      inflight_credit_balance: 0,
      inflight_debit_balance: 0,
    });
    assert.equal(main.json.meta_data?.wallet_type, 'main');

    const card = await balance(`/balances/${placeholders['<customer-card-balance-id>']}`);
    assert.equal(card.status, 200, card.text);
    assert.deepEqual(amounts(card.json), {
      balance: 20000,
      credit_balance: 20000,
      debit_balance: 0,
      inflight_balance: 0,
      inflight_credit_balance: 0,
      inflight_debit_balance: 0,
    });
    assert.equal(card.json.meta_data?.card_details?.masked_number, 'xxxx-xxxx-xxxx-1234');

    const world = await balance('/balances/indicator/%40WorldUSD/currency/USD');
    assert.equal(world.status, 200, world.text);
    const start = worldBefore ?? { balance: 0, credit_balance: 0, debit_balance: 0 };
    assert.equal(world.json.balance - start.balance, -90000);
    assert.equal(world.json.debit_balance - start.debit_balance, 100000);
    assert.equal(world.json.credit_balance - start.credit_balance, 10000);
    if (worldBefore === null) assert.equal(world.json.balance, -90000, 'a fresh @WorldUSD');

    // each transaction reads back as answered
    for (const { step, answer } of created.filter((c) => c.step.path === '/transactions')) {
      const byRef = await raw('GET', `/transactions/reference/${encodeURIComponent(answer.reference)}`);
      assert.equal(byRef.status, 200, byRef.text);
      assert.equal(byRef.json.transaction_id, answer.transaction_id, step.path);
      assert.equal(byRef.json.status, 'APPLIED');
    }
  });

  it('refuses a transaction block pasted twice (409 TXN_DUPLICATE_REFERENCE), moving nothing', async () => {
    const deposit = blocks.find((b) => stepOf(b).path === '/transactions');
    const { status, answer } = runBlock(substitute(deposit));
    assert.equal(status, 409, JSON.stringify(answer));
    assert.equal(answer.error_detail?.code, 'TXN_DUPLICATE_REFERENCE');
    const main = await balance(`/balances/${placeholders['<customer-main-balance-id>']}`);
    assert.equal(main.json.balance, 70000);
    assert.equal(main.json.credit_balance, 100000);
  });
});
