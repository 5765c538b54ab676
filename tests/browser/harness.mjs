// Shared helpers for the headless-Chromium tests (node:test + playwright-core, Debian's /usr/bin/chromium).
//
//   startDemo()        spawns `pingan demo --port 0 --data-dir <tmp> --seed 7`, returns {url, logins, stop(), log()}
//   prerequisites()    node:test options: {} when chromium, the binary and playwright-core are there, else a skip
//   skipOrFail(reason) loud "SKIPPED (browser): …" on stderr and a skip — or a failure when PINGAN_REQUIRE_ALL=1
//   launchBrowser()    headless Chromium (fresh temporary profile, never downloads anything)
//   newGuardedPage()   a page in a fresh context that records (and blocks) every request leaving 127.0.0.1/localhost,
//                      failed /assets/ responses and uncaught page errors; call guard.check() at the end of a test
import { createHmac } from "node:crypto";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const binEnv = process.env.PINGAN_BIN || "target/debug/pingan";
export const PINGAN_BIN = isAbsolute(binEnv) ? binEnv : join(REPO, binEnv);
const PLAYWRIGHT_DIR = join(REPO, "web", "node_modules", "playwright-core");

export const ROLE_CODES = [
  "admin", "security_admin", "auditor", "dispatcher", "station_chief", "officer", "auxiliary",
  "grid_worker", "mediator", "volunteer", "coordinator", "legal_supervisor", "leader", "partner",
];

export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
const START_TIMEOUT_MS = Number(process.env.PINGAN_START_TIMEOUT_MS || 60_000);

/* ---------- skipping ---------- */

/** Loud skip (or, with PINGAN_REQUIRE_ALL=1, a failure). Returns node:test options for describe()/test(). */
export function skipOrFail(reason) {
  if (process.env.PINGAN_REQUIRE_ALL === "1") {
    throw new Error(`browser tests are required (PINGAN_REQUIRE_ALL=1) but cannot run: ${reason}`);
  }
  process.stderr.write(`\n*** SKIPPED (browser): ${reason} ***\n\n`);
  return { skip: `SKIPPED (browser): ${reason}` };
}

export function missingPrerequisite() {
  if (!existsSync(CHROMIUM)) return `chromium not found at ${CHROMIUM} (set CHROMIUM or apt-get install chromium)`;
  if (!existsSync(PINGAN_BIN)) return `server binary not found at ${PINGAN_BIN} (cargo build, or set PINGAN_BIN)`;
  if (!existsSync(join(PLAYWRIGHT_DIR, "package.json"))) {
    return `playwright-core not installed in web/node_modules (run scripts/build-web)`;
  }
  return null;
}

/** Options for describe(): {} when everything is there, else skipOrFail(reason). */
export function prerequisites() {
  const missing = missingPrerequisite();
  return missing ? skipOrFail(missing) : {};
}

/* ---------- the demo server ---------- */

const URL_RE = /Pingan demo is running at (http:\/\/127\.0\.0\.1:(\d+)\/)/;
const LOGIN_RE = /^ {2}login: (\S+) \/ (\S+) \/ ([a-z_]+) \/ (.+?)\s*$/;
const TOTP_RE = /^ {4}second factor \(TOTP\) of (\S+): ([A-Z2-7]+)\s*$/;

/**
 * Starts `pingan demo` on a free port with a fresh data dir.
 * Resolves once the URL line and the login lines after it have been read.
 * @returns {Promise<{url: string, logins: {username: string, password: string, role: string, roleLabel: string}[],
 *   stop: () => Promise<void>, log: () => string}>}
 */
export async function startDemo({ seed = 7, extraArgs = [] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "pingan-browser-"));
  const args = ["demo", "--port", "0", "--data-dir", dataDir, "--seed", String(seed), ...extraArgs];
  const child = spawn(PINGAN_BIN, args, {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  const lines = [];
  const keep = (prefix, line) => {
    lines.push(prefix + line);
    if (lines.length > 400) lines.shift();
  };
  const log = () => lines.join("\n");
  createInterface({ input: child.stderr }).on("line", (l) => keep("[stderr] ", l));

  let exited = null;
  const exitPromise = new Promise((res) => child.on("exit", (code, signal) => {
    exited = { code, signal };
    res(exited);
  }));
  const killOnExit = () => { try { child.kill("SIGKILL"); } catch { /* gone */ } };
  process.on("exit", killOnExit);

  const stop = async () => {
    process.off("exit", killOnExit);
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => { if (!exited) child.kill("SIGKILL"); }, 5_000);
      await exitPromise;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const started = new Promise((res, rej) => {
    let url = null;
    const logins = [];
    let settle = null;
    const finish = () => {
      if (settle) clearTimeout(settle);
      if (!logins.length) {
        rej(new Error(`demo printed its URL but no "  login: USER / PASSWORD / ROLE / 角色" lines\n${log()}`));
      } else {
        res({ url, logins });
      }
    };
    const stdout = createInterface({ input: child.stdout });
    stdout.on("line", (line) => {
      keep("[stdout] ", line);
      if (!url) {
        const m = URL_RE.exec(line);
        if (m) {
          url = m[1];
          settle = setTimeout(finish, 1_500); // logins follow the URL line; stop waiting after a quiet spell
        }
        return;
      }
      const t = TOTP_RE.exec(line);
      if (t) {
        const l = logins.find((x) => x.username === t[1]);
        if (l) l.totpSecret = t[2];
        return;
      }
      const m = LOGIN_RE.exec(line);
      if (m) {
        const [, username, password, role, roleLabel] = m;
        logins.push({ username, password, role, roleLabel });
        clearTimeout(settle);
        settle = setTimeout(finish, 1_000);
      } else if (logins.length && settle) {
        finish(); // the first other line after the logins ends the list
        settle = null;
      }
    });
    stdout.on("close", () => { if (!url) rej(new Error(`demo closed stdout before printing its URL\n${log()}`)); });
    exitPromise.then((e) => {
      if (!url) rej(new Error(`demo exited (${JSON.stringify(e)}) before printing its URL\n${log()}`));
    });
    setTimeout(() => {
      if (!url) rej(new Error(`demo did not print "Pingan demo is running at …" within ${START_TIMEOUT_MS} ms\n${log()}`));
    }, START_TIMEOUT_MS).unref();
  });

  let result;
  try {
    result = await started;
  } catch (err) {
    await stop();
    throw err;
  }
  for (const l of result.logins) {
    if (!ROLE_CODES.includes(l.role)) {
      await stop();
      throw new Error(`demo printed an unknown role code "${l.role}" for ${l.username}`);
    }
  }
  return { ...result, stop, log };
}

/* ---------- the browser ---------- */

export function playwright() {
  const require = createRequire(join(REPO, "web", "package.json"));
  return require("playwright-core");
}

export async function launchBrowser() {
  const { chromium } = playwright();
  // launch() gives every browser a fresh temporary profile (user data dir), removed on close.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    env: { ...process.env, TZ: "Asia/Shanghai" },
  });
}

function isLocal(urlString) {
  let u;
  try {
    u = new URL(urlString);
  } catch {
    return false;
  }
  if (u.protocol === "data:" || u.protocol === "blob:" || u.protocol === "about:") return true;
  return LOCAL_HOSTS.has(u.hostname) || LOCAL_HOSTS.has(`[${u.hostname}]`);
}

/**
 * A page in a fresh browser context (own cookies) whose every request is checked:
 * requests to any host other than 127.0.0.1/localhost are blocked and recorded.
 * @returns {Promise<{context: any, page: any, guard: {outside: string[], assetErrors: string[],
 *   pageErrors: string[], check: () => void}}>}
 */
export async function newGuardedPage(browser, baseURL, { viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ baseURL, viewport, locale: "zh-CN", timezoneId: "Asia/Shanghai" });
  const guard = {
    outside: [],
    assetErrors: [],
    pageErrors: [],
    check() {
      const problems = [];
      if (this.outside.length) problems.push(`requests leaving the machine: ${this.outside.join(", ")}`);
      if (this.assetErrors.length) problems.push(`asset responses failed: ${this.assetErrors.join(", ")}`);
      if (this.pageErrors.length) problems.push(`uncaught page errors: ${this.pageErrors.join(" | ")}`);
      if (problems.length) throw new Error(problems.join("\n"));
    },
  };
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    guard.outside.push(url);
    return route.abort("blockedbyclient");
  });
  context.on("response", (resp) => {
    const u = new URL(resp.url());
    if (u.pathname.startsWith("/assets/") && resp.status() >= 400) guard.assetErrors.push(`${resp.status()} ${u.pathname}`);
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(20_000);
  page.on("pageerror", (err) => guard.pageErrors.push(String(err && err.message ? err.message : err)));
  page.on("websocket", (ws) => { if (!isLocal(ws.url())) guard.outside.push(ws.url()); });
  return { context, page, guard };
}

/** Fails if the current document references an outside http(s) address in src/href/action/etc. */
export async function outsideReferences(page) {
  return page.evaluate(() => {
    const bad = [];
    const local = (v) => /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/i.test(v);
    for (const el of document.querySelectorAll("[src],[href],[action],[poster],[srcset],[data]")) {
      for (const attr of ["src", "href", "action", "poster", "srcset", "data"]) {
        const v = el.getAttribute(attr);
        if (v && /(^|\s|,)(https?:)?\/\//i.test(v) && !local(v.trim())) bad.push(`<${el.tagName.toLowerCase()} ${attr}="${v}">`);
      }
    }
    return bad;
  });
}

/* ---------- page actions ---------- */

/** Base32 (RFC 4648) to bytes. */
function base32(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, buf = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, "")) {
    buf = (buf << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buf >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The current RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) of a base32 secret, as an authenticator shows it. */
export function totpCode(secret, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac("sha1", base32(secret)).update(counter).digest();
  const o = h[h.length - 1] & 0x0f;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

const usedSteps = new Map();

/** A code the server has not seen yet: it accepts each time step once (and the next step early), so a
 * second login within 30 s uses the next step's code, a third waits for the clock. */
export async function freshTotp(secret) {
  for (;;) {
    const step = Math.floor(Date.now() / 30_000);
    const use = Math.max(step, (usedSteps.get(secret) ?? -1) + 1);
    if (use <= step + 1) {
      usedSteps.set(secret, use);
      return totpCode(secret, use * 30_000);
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** The login body for the API, with the administrators' second factor. */
export async function loginBody(login) {
  return login.totpSecret
    ? { username: login.username, password: login.password, totp: await freshTotp(login.totpSecret) }
    : { username: login.username, password: login.password };
}

/** From any page: fill the login form and submit it; waits for the next page to load. `totpSecret`: the
 * account's second factor (the demo prints it for the administrator accounts). */
export async function submitLogin(page, username, password, totpSecret) {
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  if (totpSecret) await page.locator("#totp").fill(await freshTotp(totpSecret));
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.locator("#login-submit").click()]);
}

/** Clicks an element that navigates (a link or a submit button) and waits for the new page to load. */
export async function clickAndLoad(page, selector) {
  const target = typeof selector === "string" ? page.locator(selector) : selector;
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), target.click()]);
}

export function pathOf(page) {
  return new URL(page.url()).pathname;
}
