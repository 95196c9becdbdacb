// Swagger UI at /docs/ in headless Chromium, used as a person would: authorize
// with the API key, then "Try it out" / "Execute" on a few operations. For each
// one the test checks the request the page really sent (method, path, body,
// Authorization header) and what the page then shows (status code, body).
//
// Needs a running server: WL_BASE_URL (http://127.0.0.1:PORT) and WL_API_KEY
// (an admin key); run.sh and scripts/e2e.sh provide both. CHROMIUM names the
// browser binary (default /usr/bin/chromium), WL_SCREENSHOT where the final
// screenshot goes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.WL_BASE_URL ?? '').replace(/\/+$/, '');
const KEY = process.env.WL_API_KEY ?? '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT = process.env.WL_SCREENSHOT || path.resolve(HERE, '../../target/e2e/swagger.png');
if (!BASE || !KEY) throw new Error('WL_BASE_URL and WL_API_KEY must be set (run through scripts/e2e.sh browser)');
const ORIGIN = new URL(BASE).origin;

const STEP_TIMEOUT_MS = 15_000;

// Everything the page asked for, in order: every request it made (also the
// ones the route below refused), web sockets, console errors, page errors and
// failed responses.
const seen = { requests: [], offsite: [], sockets: [], consoleErrors: [], pageErrors: [], badResponses: [] };

let context;
let page;
let userDataDir;

// What earlier steps learnt, for the later ones.
const state = { authorized: false, ledgerId: null, accountId: null };
const ledgerName = `Browser e2e ledger ${new Date().toISOString()}`;

function isLocal(url) {
    let u;
    try {
        u = new URL(url);
    } catch {
        return false;
    }
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
    return u.origin === ORIGIN && u.hostname === '127.0.0.1';
}

// The page's own assets and spec; everything else it sends is an API call.
function isPageAsset(url) {
    let u;
    try {
        u = new URL(url);
    } catch {
        return false;
    }
    return u.origin === ORIGIN && (u.pathname === '/docs' || u.pathname.startsWith('/docs/') || u.pathname === '/openapi.json');
}

function opblock(operationId) {
    return page.locator(`.opblock[id^="operations-"][id$="-${operationId}"]`);
}

// Opens an operation, presses "Try it out", fills the body and parameters,
// presses "Execute" and returns the one request that sent plus what the page shows.
async function execute(operationId, { method, summaryPath, body, params = {} }) {
    assert.ok(state.authorized, 'needs the Authorize step to have passed');
    const op = opblock(operationId);
    assert.equal(await op.count(), 1, `exactly one opblock for operationId ${operationId}`);
    await op.scrollIntoViewIfNeeded();

    // The summary a person reads before clicking must name the intended operation.
    assert.equal((await op.locator('.opblock-summary-method').first().textContent()).trim(), method,
        `${operationId}: method shown in the summary`);
    assert.equal(await op.locator('.opblock-summary-path').first().getAttribute('data-path'), summaryPath,
        `${operationId}: path shown in the summary`);

    if (!(await op.evaluate((el) => el.classList.contains('is-open')))) {
        await op.locator('.opblock-summary-control').first().click();
    }
    const tryOut = op.locator('.try-out__btn');
    await tryOut.waitFor();
    assert.match((await tryOut.textContent()).trim(), /try it out/i, `${operationId}: the button reads "Try it out"`);
    await tryOut.click();
    await op.locator('.try-out__btn.cancel').waitFor();

    if (body !== undefined) {
        const textarea = op.locator('textarea.body-param__text');
        await textarea.fill(JSON.stringify(body, null, 2));
        assert.deepEqual(JSON.parse(await textarea.inputValue()), body, `${operationId}: the body textarea holds the body`);
    }
    for (const [name, value] of Object.entries(params)) {
        const input = op.locator(`tr[data-param-name="${name}"] input`);
        await input.fill(value);
        assert.equal(await input.inputValue(), value, `${operationId}: parameter ${name} filled`);
    }

    const apiRequestsBefore = seen.requests.filter((r) => !isPageAsset(r.url())).length;
    const sent = page.waitForRequest((r) => !isPageAsset(r.url()), { timeout: STEP_TIMEOUT_MS }).catch(() => null);
    await op.locator('button.execute').click();
    const request = await sent;
    if (!request) {
        const errors = await op.locator('.validation-errors, .invalid').allTextContents().catch(() => []);
        assert.fail(`${operationId}: pressing Execute sent no request within ${STEP_TIMEOUT_MS} ms` +
            (errors.length ? `; the page shows: ${errors.join(' | ')}` : ''));
    }
    const response = await request.response();
    assert.ok(response, `${operationId}: the request got a response (failure: ${request.failure()?.errorText})`);

    // The page shows it: a live response row with a status code.
    const liveRow = op.locator('.responses-wrapper .live-responses-table tbody tr.response');
    try {
        await liveRow.locator('.response-col_status').waitFor({ timeout: STEP_TIMEOUT_MS });
    } catch {
        assert.fail(`${operationId}: no live response shown in its own opblock after Execute ` +
            `(the page sent ${request.method()} ${new URL(request.url()).pathname})`);
    }
    const apiRequests = seen.requests.filter((r) => !isPageAsset(r.url())).slice(apiRequestsBefore);
    assert.deepEqual(apiRequests.map((r) => `${r.method()} ${r.url()}`), [`${request.method()} ${request.url()}`],
        `${operationId}: Execute sent exactly one request`);

    const shownStatus = (await liveRow.locator('.response-col_status').textContent()).trim();
    const shownUrl = (await op.locator('.request-url pre').textContent()).trim();
    const shownBodyText = await liveRow.locator('.response-col_description .highlight-code pre').first().textContent();
    let shownBody;
    try {
        shownBody = JSON.parse(shownBodyText);
    } catch {
        assert.fail(`${operationId}: the response body shown is not JSON: ${shownBodyText.slice(0, 500)}`);
    }
    return { request, response, headers: await request.allHeaders(), shownStatus, shownUrl, shownBody, shownBodyText };
}

// The checks every Execute shares: the page sent exactly the intended request
// with the key, and shows what the server really answered.
async function assertSent(operationId, result, { method, pathname, body, status }) {
    const { request, response, headers, shownStatus, shownUrl, shownBody } = result;
    const url = new URL(request.url());
    assert.equal(`${request.method()} ${url.origin}${url.pathname}`, `${method} ${ORIGIN}${pathname}`,
        `${operationId}: the page must send ${method} ${pathname}`);
    assert.equal(url.search, '', `${operationId}: no query string`);
    assert.equal(headers.authorization, `Bearer ${KEY}`, `${operationId}: Authorization header`);
    if (body !== undefined) {
        assert.match(headers['content-type'] ?? '', /^application\/json/, `${operationId}: Content-Type`);
        assert.deepEqual(JSON.parse(request.postData() ?? 'null'), body, `${operationId}: request body sent`);
    }
    const realBody = await response.json();
    assert.equal(response.status(), status,
        `${operationId}: server answered ${response.status()} ${JSON.stringify(realBody).slice(0, 500)}`);
    assert.equal(shownStatus, String(status), `${operationId}: status code shown on the page`);
    assert.equal(shownUrl, `${ORIGIN}${pathname}`, `${operationId}: "Request URL" shown on the page`);
    assert.deepEqual(shownBody, realBody, `${operationId}: the body shown is the body received`);
    return realBody;
}

describe('Swagger UI at /docs/', () => {
    before(async () => {
        assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (scripts/install-chromium.sh installs it)`);
        userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-browser-e2e-'));
        context = await chromium.launchPersistentContext(userDataDir, {
            executablePath: CHROMIUM,
            headless: true,
            args: [
                '--headless',
                '--no-sandbox',
                '--disable-gpu',
                '--disable-quic',
                '--no-first-run',
                '--disable-background-networking',
                '--disable-component-update',
                '--disable-sync',
            ],
            viewport: { width: 1280, height: 900 },
        });
        context.setDefaultTimeout(STEP_TIMEOUT_MS);
        context.on('request', (r) => {
            seen.requests.push(r);
        });
        context.on('response', (r) => {
            if (isPageAsset(r.url()) && r.status() >= 400) seen.badResponses.push(`${r.status()} ${r.url()}`);
        });
        // Nothing leaves this machine: a request elsewhere is recorded (and
        // fails the last test) and never sent.
        await context.route('**/*', (route) => {
            const url = route.request().url();
            if (isLocal(url)) return route.continue();
            seen.offsite.push(`${route.request().method()} ${url}`);
            return route.abort('blockedbyclient');
        });
        page = context.pages()[0] ?? (await context.newPage());
        page.on('websocket', (ws) => seen.sockets.push(ws.url()));
        page.on('pageerror', (e) => seen.pageErrors.push(String(e)));
        page.on('console', (m) => {
            // A 4xx/5xx API answer is logged too; the tests check those statuses themselves.
            const where = m.location()?.url ?? '';
            if (m.type() === 'error' && (!where || isPageAsset(where))) seen.consoleErrors.push(`${m.text()} (${where})`);
        });
    });

    after(async () => {
        if (page) {
            try {
                // The last operation run, with its live response, where a person would look.
                fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
                await page.setViewportSize({ width: 1280, height: 1800 });
                await page.evaluate(() => {
                    const last = document.querySelector('.opblock[id$="-getAccount"]');
                    if (last) last.scrollIntoView({ block: 'start' });
                });
                await page.screenshot({ path: SCREENSHOT });
                console.log(`# screenshot: ${SCREENSHOT}`);
            } catch (e) {
                console.log(`# screenshot failed: ${e}`);
            }
        }
        await context?.close();
        if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    });

    it('renders the operations from /openapi.json', async () => {
        const specResponse = page.waitForResponse((r) => r.url() === `${ORIGIN}/openapi.json`);
        const nav = await page.goto(`${BASE}/docs/`);
        assert.equal(nav.status(), 200, 'GET /docs/ status');
        assert.equal((await specResponse).status(), 200, 'GET /openapi.json status');
        await page.locator('.swagger-ui .opblock').first().waitFor();
        const ids = await page.locator('.opblock').evaluateAll((els) => els.map((e) => e.id));
        for (const op of ['createLedger', 'listLedgers', 'getLedger', 'createAccount', 'getAccount', 'createDeposit']) {
            assert.equal(ids.filter((id) => id.endsWith(`-${op}`)).length, 1, `one opblock for ${op}; have ${ids.join(', ')}`);
        }
        assert.equal(new Set(ids).size, ids.length, `opblock ids are unique: ${ids.join(', ')}`);
        // The server turned the online validator off; the page knows it.
        const validatorUrl = await page.evaluate(() => window.ui?.getConfigs?.().validatorUrl);
        assert.equal(validatorUrl, 'none', 'Swagger UI config validatorUrl');
    });

    it('authorizes with the API key as bearer token', async () => {
        const authorizeButton = page.locator('.auth-wrapper button.authorize');
        await authorizeButton.click();
        const modal = page.locator('.dialog-ux .modal-ux');
        await modal.waitFor();
        const input = modal.locator('input#auth-bearer-value, .auth-container input[type="text"], .auth-container input[type="password"]').first();
        await input.fill(KEY);
        await modal.locator('.auth-btn-wrapper button.authorize').click();
        await modal.locator('.auth-container h6', { hasText: 'Authorized' }).waitFor();
        assert.equal(await modal.locator('.auth-btn-wrapper button', { hasText: 'Logout' }).count(), 1, 'Logout offered once authorized');
        await modal.locator('.auth-btn-wrapper button.btn-done').click();
        await modal.waitFor({ state: 'detached' });
        assert.match(await authorizeButton.getAttribute('class'), /\blocked\b/, 'the Authorize button shows a closed lock');
        state.authorized = true;
    });

    it('createLedger: POST /v1/ledgers', async () => {
        const body = { name: ledgerName, description: 'made by tests/browser' };
        const result = await execute('createLedger', { method: 'POST', summaryPath: '/v1/ledgers', body });
        const ledger = await assertSent('createLedger', result, { method: 'POST', pathname: '/v1/ledgers', body, status: 201 });
        assert.equal(result.shownBody.name, ledgerName, 'the page shows the ledger name sent');
        assert.match(result.shownBody.id ?? '', /^[0-9a-f-]{36}$/, 'the page shows the new ledger id');
        assert.equal(ledger.id, result.shownBody.id);
        state.ledgerId = result.shownBody.id; // as a person would: copied from the page
    });

    it('listLedgers: GET /v1/ledgers', async () => {
        assert.ok(state.ledgerId, 'needs createLedger to have passed');
        const result = await execute('listLedgers', { method: 'GET', summaryPath: '/v1/ledgers' });
        await assertSent('listLedgers', result, { method: 'GET', pathname: '/v1/ledgers', status: 200 });
        assert.ok(Array.isArray(result.shownBody.data), 'a page of ledgers');
        const mine = result.shownBody.data.find((l) => l.id === state.ledgerId);
        assert.ok(mine, `the new ledger ${state.ledgerId} is listed`);
        assert.equal(mine.name, ledgerName);
        assert.ok(result.shownBodyText.includes(ledgerName), 'the page text shows the ledger name');
    });

    it('createAccount: POST /v1/accounts', async () => {
        assert.ok(state.ledgerId, 'needs createLedger to have passed');
        const body = { ledger_id: state.ledgerId, name: 'Alice main', kind: 'liability', currency: 'USD' };
        const result = await execute('createAccount', { method: 'POST', summaryPath: '/v1/accounts', body });
        await assertSent('createAccount', result, { method: 'POST', pathname: '/v1/accounts', body, status: 201 });
        const account = result.shownBody;
        assert.equal(account.ledger_id, state.ledgerId);
        assert.equal(account.name, 'Alice main');
        assert.equal(account.kind, 'liability');
        assert.equal(account.currency, 'USD');
        assert.match(account.id ?? '', /^[0-9a-f-]{36}$/, 'the page shows the new account id');
        state.accountId = account.id;
    });

    it('createDeposit: POST /v1/deposits', async () => {
        assert.ok(state.accountId, 'needs createAccount to have passed');
        const body = { ledger_id: state.ledgerId, wallet_id: state.accountId, amount: '100.00', currency: 'USD' };
        const result = await execute('createDeposit', { method: 'POST', summaryPath: '/v1/deposits', body });
        await assertSent('createDeposit', result, { method: 'POST', pathname: '/v1/deposits', body, status: 201 });
        const tx = result.shownBody;
        assert.equal(tx.ledger_id, state.ledgerId);
        assert.ok(Array.isArray(tx.entries), 'the transaction shows its entries');
        const walletEntry = tx.entries.find((e) => e.account_id === state.accountId);
        assert.ok(walletEntry, `an entry on the wallet ${state.accountId}: ${JSON.stringify(tx.entries)}`);
        assert.equal(walletEntry.amount, '100.00', 'the wallet entry amount');
    });

    it('getAccount: GET /v1/accounts/{id}', async () => {
        assert.ok(state.accountId, 'needs createAccount to have passed');
        const result = await execute('getAccount', {
            method: 'GET',
            summaryPath: '/v1/accounts/{id}',
            params: { id: state.accountId },
        });
        await assertSent('getAccount', result, { method: 'GET', pathname: `/v1/accounts/${state.accountId}`, status: 200 });
        const account = result.shownBody;
        assert.equal(account.id, state.accountId);
        assert.equal(account.name, 'Alice main');
        assert.equal(account.balances?.posted?.amount, '100.00', `posted balance after the deposit: ${JSON.stringify(account.balances)}`);
        assert.match(result.shownBodyText, /"posted":\s*\{[^}]*"amount":\s*"100\.00"/, 'the page text shows the posted balance 100.00');
    });

    it('sent nothing anywhere but the server on 127.0.0.1', async () => {
        const urls = seen.requests.map((r) => r.url());
        assert.ok(urls.length > 0, 'requests were recorded');
        assert.deepEqual(urls.filter((u) => !isLocal(u)), [], 'requests off 127.0.0.1');
        assert.deepEqual(seen.offsite, [], 'requests refused by the offline route');
        assert.deepEqual(seen.sockets.filter((u) => !isLocal(u.replace(/^ws/, 'http'))), [], 'web sockets off 127.0.0.1');
        assert.deepEqual(urls.filter((u) => /validator/i.test(u)), [], 'requests to a validator');
        // The online validator badge is not rendered and no image points off the machine.
        assert.equal(await page.locator('img[alt="Online validator badge"], a[href*="validator"]').count(), 0,
            'the online validator badge');
        const images = await page.locator('img').evaluateAll((els) => els.map((e) => e.currentSrc || e.src).filter(Boolean));
        assert.deepEqual(images.filter((u) => !isLocal(u)), [], 'images off 127.0.0.1');
    });

    it('loaded every asset, with no errors in the page', () => {
        assert.deepEqual(seen.badResponses, [], 'page assets that failed to load');
        assert.deepEqual(seen.pageErrors, [], 'uncaught errors in the page');
        assert.deepEqual(seen.consoleErrors, [], 'console errors');
    });
});
