// Benchmark: the browser console (dist/, built by `make dist`) on large pools, in headless
// Chromium. For each size it loads a generated Cognito export through the file input, lets
// the worker convert it with the default duplicate policy, then switches the policy to
// keep-newest (a second conversion, which yields import files) and measures how long each
// step takes, whether the page's main thread froze meanwhile (long tasks, gaps between
// animation frames) and how much memory the browser used. Prints a Markdown table per size
// and saves the figures to bench/out/console-<N>.json. See bench/README.md.
//
// Usage: node bench/console.mjs [N ...]     users per pool (default 1000000 5000000)
// Env:   SIZES="N ..."   the sizes, when none are given as arguments
//        FILES=K         export files each pool is split into (default: one per million users)
//        TIMEOUT_S       limit per step in seconds (default max(300, 900 × N / 1e6))
//        SETTLE_MS=1000  idle time after each step, so trailing page work counts in it
//        CHROMIUM=/usr/bin/chromium
//        PROFILE=1       also record the worker's CPU profile over load and convert
//                        (PROFILE=reconvert: over the conversion after the policy change)
//                        (bench/out/console-<N>.cpuprofile, for DevTools) and print the
//                        functions taking the most time
// Exit:  0 measured, 1 a step failed (crash, error, timeout; the JSON says which),
//        2 usage / environment error.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from '../web/e2e/node_modules/playwright-core/index.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const OUT = join(ROOT, 'bench', 'out');
const GEN = join(ROOT, 'target', 'release', 'gen-export');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 1000);
// PROFILE=1: over load and convert; PROFILE=reconvert: over the conversion after the policy change.
const PROFILE = process.env.PROFILE ? (process.env.PROFILE === 'reconvert' ? 'reconvert' : 'load') : null;
const MB = 1e6;

/** Content types the static server sends, by extension. */
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
};

/** What the status bar says before any conversion has finished. */
const NOT_CONVERTED = 'Nothing converted yet';
/** What it says while one runs. */
const CONVERTING = 'Converting…';
/** The first import file, which only an unblocked conversion offers. */
const FIRST_CHUNK = 'users-0001.json';

/** The steps, in order, with the names the table uses. */
const STEPS = {
  load: 'Load (file chosen → users counted)',
  convert: 'Convert, default policy (→ verdict shown)',
  reconvert: 'Convert again, keep-newest (→ users-0001.json)',
};

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------
// Setup: sizes, inputs, the static server.

/** The sizes to run, from argv or SIZES. */
function sizes() {
  const args = process.argv.slice(2);
  const words = args.length ? args : (process.env.SIZES ?? '1000000 5000000').split(/\s+/).filter(Boolean);
  return words.map((w) => {
    if (!/^[1-9][0-9]*$/.test(w)) throw new UsageError(`N must be a positive integer, got '${w}'`);
    return Number(w);
  });
}

/** "100k" for 100000, as bench/run.sh names its exports (so both share them). */
function label(n) {
  return n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

/**
 * Builds the export generator (bench/gen/) as bench/run.sh does; cargo only relinks
 * target/release/gen-export when bench/gen/ changed, so its age says how old the generator is.
 * Cargo's output goes to stderr, like the rest of the log.
 */
function buildGenerator() {
  log('building the export generator');
  try {
    execFileSync('cargo', ['build', '--locked', '--release', '-p', 'cognito-fusionauth-gen'], { cwd: ROOT, stdio: ['ignore', 2, 'inherit'] });
  } catch (e) {
    throw new UsageError(e.code === 'ENOENT' ? 'cargo not found on PATH' : `building the export generator failed: ${e.message}`);
  }
}

/**
 * The exports of `n` users: bench/out/export-<label>.json, generated with the same options as
 * bench/run.sh; with FILES=K > 1, K exports of about n/K users each
 * (export-<label>-<i>of<K>.json, seeds 7, 8, …, so their users differ; emails may repeat
 * across files as in a real pool's pages). Deterministic; made again only when missing or
 * older than the generator.
 */
function ensureExports(n, files) {
  const parts = files === 1 ? [[n, `export-${label(n)}.json`, 7]]
    : Array.from({ length: files }, (_, i) => [
      Math.floor(n / files) + (i < n % files ? 1 : 0), `export-${label(n)}-${i + 1}of${files}.json`, 7 + i]);
  return parts.map(([users, name, seed]) => {
    const path = join(OUT, name);
    const fresh = existsSync(path) && statSync(path).size > 0 && statSync(path).mtimeMs >= statSync(GEN).mtimeMs;
    if (!fresh) {
      log(`generating ${relative(ROOT, path)} (${users} users)`);
      execFileSync(GEN, [String(users), `${path}.tmp`, '--dup-rate', '0.001', '--seed', String(seed)], { stdio: 'inherit' });
      renameSync(`${path}.tmp`, path);
    }
    return path;
  });
}

/** FILES: how many export files a pool of `n` users is split into (default: one per million). */
function fileCount(n) {
  const words = process.env.FILES;
  if (words === undefined) return Math.max(1, Math.ceil(n / 1e6));
  if (!/^[1-9][0-9]*$/.test(words)) throw new UsageError(`FILES must be a positive integer, got '${words}'`);
  return Number(words);
}

/**
 * Starts headless Chromium with a profile on disk, as a person's browser has (Playwright's own
 * contexts are incognito, where Chromium keeps every Blob in memory and caps them at 2 GB
 * here: the console's spool and output files of a multi-million-user pool do not fit), and
 * connects to it over CDP. `stop()` ends it and removes the profile.
 */
async function launchWithProfile() {
  const profile = mkdtempSync(join(tmpdir(), 'cf-bench-profile-'));
  // Chromium's own temporary files go in the profile too, so they are removed with it.
  mkdirSync(join(profile, 'tmp'));
  const proc = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--remote-debugging-port=0',
    `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: 'ignore', detached: true, env: { ...process.env, TMPDIR: join(profile, 'tmp') },
  });
  const exited = new Promise((r) => proc.once('exit', r));
  // Chromium and its child processes are a process group of their own: asked to end, they
  // remove their temporary files; killed, only if they do not end within 10 s.
  const signal = (name) => { try { process.kill(-proc.pid, name); } catch { /* already gone */ } };
  const stop = async () => {
    signal('SIGTERM');
    const ended = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
    if (!ended) signal('SIGKILL');
    await exited;
    // Its child processes may still be writing the profile for a moment.
    rmSync(profile, { recursive: true, force: true, maxRetries: 50, retryDelay: 200 });
  };
  try {
    const portFile = join(profile, 'DevToolsActivePort');
    const deadline = Date.now() + 30_000;
    while (!existsSync(portFile) || !readFileSync(portFile, 'utf8').includes('\n')) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new UsageError(`Chromium did not start (${CHROMIUM})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const port = readFileSync(portFile, 'utf8').split('\n')[0];
    const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
    return { browser, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Serves dist/ on 127.0.0.1, on a free port. Resolves to the server once it listens. */
function serveDist() {
  const server = createServer((req, res) => {
    let path;
    try {
      const pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
      path = join(DIST, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
    } catch {
      path = null;
    }
    // Nothing outside dist/, and only the types the console uses.
    if (!path || !path.startsWith(DIST + sep) || !TYPES[extname(path)] || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(path);
    res.writeHead(200, { 'content-type': TYPES[extname(path)], 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(body);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok(server));
  });
}

// ---------------------------------------------------------------------------------------
// In the page.

/**
 * Runs in the page before its own scripts (page.addInitScript): reports to the benchmark,
 * through the `__benchEvent` binding, every long task, every animation frame that came late
 * (a gap over 20 ms; at 60 Hz frames are 16.7 ms apart), every `change` event (the moment a
 * file is chosen or the policy switched) and every change of what the status bar and the
 * download list show. Times are the page's performance.now().
 */
function instrument() {
  const queue = [];
  const send = (event) => {
    queue.push(event);
    // The binding may not exist yet this early; events wait until it does.
    if (typeof window.__benchEvent === 'function') {
      for (const e of queue.splice(0)) window.__benchEvent(e);
    }
  };

  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) send({ kind: 'longtask', t: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });

  let last = null;
  const frame = (now) => {
    if (last !== null && now - last > 20) send({ kind: 'frame-gap', t: now, gap: now - last });
    last = now;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);

  document.addEventListener('change', (e) => send({ kind: 'change', t: performance.now(), id: e.target.id }), true);

  // What the benchmark waits on; sent whenever it differs from the last time.
  const text = (selector) => document.querySelector(selector)?.textContent.trim() ?? null;
  const snapshot = () => {
    const progress = document.querySelector('progress');
    const visible = progress !== null && progress.checkVisibility();
    return {
      users: text('[data-testid=users-loaded]'),
      verdict: text('[data-testid=verdict]'),
      // "Converting 40,000 of 100,000": the label and the count.
      progress: visible ? [...progress.parentElement.children].map((e) => e.textContent.trim()).filter(Boolean).join(' ') || 'shown' : null,
      links: [...document.querySelectorAll('[data-testid=downloads] a')].map((a) => [a.textContent.trim(), a.href]),
      fileErrors: [...document.querySelectorAll('[data-testid=files] td.error')].map((td) => td.textContent.trim()),
      failure: text('[data-testid=failure]') ?? text('[data-testid=rules-error]'),
    };
  };
  let previous = '';
  const observe = () => {
    const state = snapshot();
    const key = JSON.stringify(state);
    if (key !== previous) {
      previous = key;
      send({ kind: 'state', t: performance.now(), ...state });
    }
  };
  addEventListener('DOMContentLoaded', () => {
    new MutationObserver(observe).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
    observe();
  });
}

// ---------------------------------------------------------------------------------------
// Events from the page, and waiting on them.

/** Every event the page reported, and the conditions the benchmark waits for. */
class Timeline {
  events = [];
  state = null;
  failure = null;
  closed = false;
  #waiters = new Set();

  push(event) {
    this.events.push(event);
    if (event.kind === 'state') this.state = event;
    for (const w of this.#waiters) w.check();
  }

  /** Stops every wait: something went wrong that no wait would get over. */
  fail(message) {
    // Closing the browser ends the page and the worker too; that is no failure.
    if (this.closed) return;
    this.failure ??= message;
    for (const w of this.#waiters) w.reject(new Error(message));
  }

  /** A mark for `until`: events from now on. */
  mark() {
    return this.events.length;
  }

  /**
   * Resolves to the first event from `from` (a `mark()`) on that satisfies `pred`; rejects on
   * failure, on timeout, or when `pred` throws (a condition that will never hold).
   */
  until(what, pred, timeoutMs, from) {
    return new Promise((resolve, reject) => {
      let next = from;
      const done = (settle) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        settle();
      };
      const check = () => {
        try {
          for (; next < this.events.length; next++) {
            const event = this.events[next];
            if (pred(event)) return done(() => resolve(event));
          }
        } catch (e) {
          done(() => reject(e));
        }
      };
      const waiter = { check, reject: (e) => done(() => reject(e)) };
      const timer = setTimeout(() => waiter.reject(new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}; the page showed ${JSON.stringify(this.shown())}`)), timeoutMs);
      if (this.failure) return waiter.reject(new Error(this.failure));
      this.#waiters.add(waiter);
      check();
    });
  }

  /** The latest state, trimmed for messages. */
  shown() {
    if (!this.state) return null;
    const { users, verdict, progress, failure, fileErrors } = this.state;
    return { users, verdict, progress, failure, fileErrors, links: this.state.links.map(([name]) => name) };
  }
}

/** A page state's conditions. */
const progressShown = (s) => s.progress !== null;
const link = (s, name) => s.links.find(([n]) => n === name)?.[1] ?? null;

/** Sends Runtime commands to the console's worker through a CDP session of its page. */
class WorkerInspector {
  #cdp;
  #session = null;
  #children = new Set();
  #next = 1;
  #pending = new Map();

  /** `onError(text)` gets the worker's uncaught exceptions and its unexpected end. */
  constructor(cdp, onError) {
    this.#cdp = cdp;
    cdp.on('Target.attachedToTarget', ({ sessionId, targetInfo }) => {
      if (targetInfo.type !== 'worker') return;
      this.#session = sessionId;
      this.#send('Runtime.enable').catch(() => {});
      this.#send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false }).catch(() => {});
    });
    cdp.on('Target.detachedFromTarget', ({ sessionId }) => {
      if (sessionId !== this.#session) return;
      this.#session = null;
      // A page crash takes the worker with it and says more; it comes a moment later.
      setTimeout(() => onError('the worker went away (its target detached)'), 1000);
    });
    cdp.on('Target.receivedMessageFromTarget', ({ sessionId, message }) => {
      if (sessionId !== this.#session) return;
      const msg = JSON.parse(message);
      if (msg.method === 'Runtime.exceptionThrown') {
        const d = msg.params.exceptionDetails;
        onError(`uncaught in the worker: ${d.exception?.description ?? d.text}`);
      }
      // The mapping workers the worker starts, attached through it.
      if (msg.method === 'Target.attachedToTarget' && msg.params.targetInfo.type === 'worker') {
        this.#children.add(msg.params.sessionId);
      }
      if (msg.method === 'Target.detachedFromTarget') this.#children.delete(msg.params.sessionId);
      if (msg.method === 'Target.receivedMessageFromTarget') {
        const inner = JSON.parse(msg.params.message);
        const pending = this.#pending.get(inner.id);
        if (!pending) return;
        this.#pending.delete(inner.id);
        if (inner.error) pending.reject(new Error(inner.error.message));
        else pending.resolve(inner.result);
        return;
      }
      const pending = this.#pending.get(msg.id);
      if (!pending) return;
      this.#pending.delete(msg.id);
      if (msg.error) pending.reject(new Error(msg.error.message));
      else pending.resolve(msg.result);
    });
  }

  /** Attaches to workers as they start (call before the page loads). */
  start() {
    // Not flattened: Playwright's CDPSession cannot address child sessions, so messages to
    // the worker go through Target.sendMessageToTarget.
    return this.#cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  }

  /** Runtime.* in the worker, or null if it does not answer within `timeoutMs` (it is busy). */
  async send(method, params = {}, timeoutMs = 10_000) {
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs, null)));
    try {
      return await Promise.race([this.#send(method, params), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runtime.* in each mapping worker the worker started, as `send` does. */
  children() {
    return [...this.#children].map((child) => (method, params = {}, timeoutMs = 10_000) => {
      const id = this.#next++;
      let timer;
      const answer = new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
      const timeout = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs, null)));
      this.#send('Target.sendMessageToTarget', { sessionId: child, message: JSON.stringify({ id, method, params }) })
        .catch((e) => this.#pending.get(id)?.reject(e));
      return Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
    });
  }

  #send(method, params = {}) {
    if (!this.#session) return Promise.reject(new Error('no worker attached'));
    const id = this.#next++;
    const answer = new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#cdp
      .send('Target.sendMessageToTarget', { sessionId: this.#session, message: JSON.stringify({ id, method, params }) })
      .catch((e) => this.#pending.get(id)?.reject(e));
    return answer;
  }
}

/**
 * The JS heap (Runtime.getHeapUsage) and the WASM linear memory (WebAssembly.Memory objects
 * found by Runtime.queryObjects; it only grows, so its size is the peak so far) of one
 * thread; `send` runs a Runtime.* command there. Null fields when it does not answer.
 */
async function threadMemory(send) {
  const out = { jsHeapUsedMB: null, wasmMemoryMB: null };
  try {
    const heap = await send('Runtime.getHeapUsage');
    if (heap) out.jsHeapUsedMB = heap.usedSize / MB;
    const proto = await send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
    const found = proto && (await send('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId }));
    const sizes = found && (await send('Runtime.callFunctionOn', {
      objectId: found.objects.objectId,
      functionDeclaration: 'function () { return this.map((m) => m.buffer.byteLength); }',
      returnByValue: true,
    }));
    if (sizes) out.wasmMemoryMB = sizes.result.value.reduce((a, b) => a + b, 0) / MB;
  } catch {
    // Best effort: a thread that is gone or busy has no figures.
  }
  return out;
}

/**
 * Samples the resident memory (VmRSS in /proc) of every Chromium process, every 500 ms, and
 * keeps the peaks of the current step: the largest renderer (the page and its dedicated
 * worker share one), the browser process (which also holds the output Blobs) and all of them.
 * Also keeps the kernel's own peaks (VmHWM), which no sampling interval misses.
 */
class RssSampler {
  #cdp;
  #timer = null;
  #busy = false;
  peaks = {};
  highWater = { renderer: 0, browser: 0 };
  step = 'startup';

  constructor(browserCdp) {
    this.#cdp = browserCdp;
  }

  start() {
    this.#timer = setInterval(() => this.sample(), 500);
    return this.sample();
  }

  stop() {
    clearInterval(this.#timer);
  }

  async sample() {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const { processInfo } = await this.#cdp.send('SystemInfo.getProcessInfo');
      // MB of one /proc/PID/status field; 0 once the process is gone.
      const field = (pid, name) => {
        try {
          const status = readFileSync(`/proc/${pid}/status`, 'utf8');
          return (Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024) / MB || 0;
        } catch {
          return 0;
        }
      };
      const now = { renderer: 0, browser: 0, total: 0 };
      for (const p of processInfo) {
        const mb = field(p.id, 'VmRSS');
        now.total += mb;
        if (p.type === 'renderer' || p.type === 'browser') {
          now[p.type] = Math.max(now[p.type], mb);
          this.highWater[p.type] = Math.max(this.highWater[p.type], field(p.id, 'VmHWM'));
        }
      }
      const peak = (this.peaks[this.step] ??= { renderer: 0, browser: 0, total: 0 });
      for (const k of Object.keys(now)) peak[k] = Math.max(peak[k], now[k]);
    } catch {
      // The browser is closing.
    } finally {
      this.#busy = false;
    }
  }
}

// ---------------------------------------------------------------------------------------
// One size.

/**
 * Saves the worker's CPU profile (`Profiler.stop`'s answer) for `n` users; returns the
 * functions with the most self time, each with its share of the samples.
 */
function saveProfile(n, answer) {
  if (!answer) throw new Error('the worker did not hand over its CPU profile');
  const { profile } = answer;
  writeFileSync(join(OUT, `console-${n}.cpuprofile`), JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  for (const id of profile.samples) {
    const { functionName, url } = byId.get(id).callFrame;
    const name = functionName || `(anonymous ${url.split('/').pop()})`;
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 40);
  for (const [name, count] of top) log(`${((100 * count) / total).toFixed(1).padStart(5)} %  ${name}`);
  return top.map(([name, count]) => ({ name, share: count / total }));
}

/** Loads, converts and converts again `n` users; returns what it measured. */
async function run(n, exportPaths) {
  const timeoutMs = Number(process.env.TIMEOUT_S ?? Math.max(300, (900 * n) / 1e6)) * 1000;
  const result = {
    users: n,
    input: exportPaths.map((p) => relative(ROOT, p)).join(', '),
    inputMB: exportPaths.reduce((sum, p) => sum + statSync(p).size, 0) / MB,
    date: new Date().toISOString(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    consoleBundle: readdirSync(DIST).find((f) => /^console-.*\.js$/.test(f)) ?? null,
    cpus: cpus().length,
    loadavgAtStart: loadavg().map((x) => +x.toFixed(2)),
    node: process.version,
    chromium: null,
    timeoutS: timeoutMs / 1000,
    steps: {},
    memory: {},
    verdicts: {},
    outputs: [],
    errors: [],
    console: [],
    failure: null,
  };
  const server = await serveDist();
  const chromiumRun = await launchWithProfile();
  const browser = chromiumRun.browser;
  result.chromium = browser.version();
  const timeline = new Timeline();
  // Each step's start and end (page clock); its figures are worked out at the end, once the
  // page has reported the long tasks and frames of its last moments.
  const bounds = {};
  const sampler = new RssSampler(await browser.newBrowserCDPSession());
  try {
    const page = await browser.contexts()[0].newPage();
    const cdp = await page.context().newCDPSession(page);
    // Errors end the run at once, with their text (unless the browser is closing anyway).
    const error = (where, text, message = text) => {
      if (timeline.closed) return;
      result.errors.push({ where, text });
      timeline.fail(message);
    };
    const worker = new WorkerInspector(cdp, (text) => error('worker', text));
    await worker.start();
    page.on('pageerror', (e) => error('page', String(e.stack ?? e), `uncaught in the page: ${e.message}`));
    page.on('crash', () => error('page', 'the page crashed (its renderer process is gone; out of memory?)'));
    // Console messages (the worker's panics come this way too) are kept for the report.
    // (Playwright reports a worker's messages on the page too, with m.worker() set.)
    page.on('console', (m) => m.worker() || result.console.push({ where: 'page', type: m.type(), text: m.text() }));
    page.on('worker', (w) => {
      w.on('console', (m) => result.console.push({ where: 'worker', type: m.type(), text: m.text() }));
      w.on('close', () => timeline.closed || result.console.push({ where: 'worker', type: 'close', text: 'the worker closed' }));
    });

    await page.exposeFunction('__benchEvent', (event) => timeline.push(event));
    await page.addInitScript(instrument);
    await sampler.start();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const input = page.getByLabel('Cognito export files');
    await input.waitFor({ state: 'attached' });
    await timeline.until('the status bar', (e) => e.kind === 'state' && e.verdict === NOT_CONVERTED, 30_000, 0);
    await page.waitForTimeout(SETTLE_MS);
    const memory = async () => {
      await sampler.sample();
      const { metrics } = await cdp.send('Performance.getMetrics');
      const metric = (name) => metrics.find((m) => m.name === name)?.value ?? 0;
      return {
        page: { ...(await threadMemory((m, p) => cdp.send(m, p))), jsHeapUsedMB: metric('JSHeapUsedSize') / MB },
        worker: await threadMemory((m, p) => worker.send(m, p)),
        mapping: await Promise.all(worker.children().map((send) => threadMemory(send))),
      };
    };
    await cdp.send('Performance.enable');
    result.memory.idle = await memory();

    // Waits until `pred` holds for a page event from mark `from` on; step `name` runs from `t0`
    // (page clock) to that event. A failed step runs until the page's last event.
    const measure = async (name, t0, from, what, pred) => {
      const started = Date.now();
      try {
        const done = await timeline.until(what, pred, timeoutMs, from);
        bounds[name] = { t0, t1: done.t };
        return done;
      } catch (e) {
        bounds[name] = { t0, t1: null, failedAfterS: (Date.now() - started) / 1000 };
        throw e;
      }
    };
    // A state that says the conversion cannot end (the worker or the rules failed).
    const failed = (e) => {
      if (e.failure) throw new Error(`the console reported: ${e.failure}`);
      if (e.fileErrors.length) throw new Error(`the file could not be read: ${e.fileErrors.join('; ')}`);
    };

    const startProfile = async () => {
      await worker.send('Profiler.enable');
      await worker.send('Profiler.setSamplingInterval', { interval: 1000 });
      await worker.send('Profiler.start');
    };
    if (PROFILE === 'load') await startProfile();

    // 1. Load: from the input's change event to the status bar counting the users.
    sampler.step = 'load';
    const choosing = timeline.mark();
    // Through CDP, as Playwright does for a browser it launched (it refuses files over 50 MB
    // to one it connected to); Chromium fires the input's change event.
    const { root } = await cdp.send('DOM.getDocument');
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '#files' });
    await cdp.send('DOM.setFileInputFiles', { nodeId, files: exportPaths });
    const chosen = await timeline.until('the file input to change', (e) => e.kind === 'change' && e.id === 'files', 60_000, choosing);
    result.chosenAt = chosen.t; // page clock; the JSON's timeline counts from here
    const loaded = await measure('load', chosen.t, choosing, 'the users to be counted', (e) =>
      e.kind === 'state' && (failed(e), e.users !== null && e.users !== '0 users loaded'));
    result.usersShown = loaded.users;

    // 2. The conversion the load starts, with the default policy (error: duplicate emails
    //    block the import files): until the verdict is shown and progress is gone.
    sampler.step = 'convert';
    const converted = await measure('convert', loaded.t, timeline.events.indexOf(loaded), 'the first verdict', (e) =>
      e.kind === 'state' && (failed(e), e.verdict !== NOT_CONVERTED && e.verdict !== CONVERTING && !progressShown(e)));
    result.verdicts.default = converted.verdict;
    if (PROFILE === 'load') result.profile = await saveProfile(n, await worker.send('Profiler.stop', {}, 60_000));
    await page.waitForTimeout(SETTLE_MS);
    result.memory.afterConvert = await memory();
    if (PROFILE === 'reconvert') await startProfile();

    // 3. Switch to keep-newest: a new conversion, done when a new users-0001.json link is
    //    listed (a new Blob URL) and progress is gone.
    sampler.step = 'reconvert';
    const before = link(timeline.state, FIRST_CHUNK);
    const switching = timeline.mark();
    await page.getByLabel('Duplicate emails').selectOption('keep-newest', { timeout: timeoutMs });
    const switched = await timeline.until('the policy change', (e) => e.kind === 'change' && e.id === 'on-duplicate', 60_000, switching);
    const reconverted = await measure('reconvert', switched.t, switching, `a new ${FIRST_CHUNK}`, (e) => {
      if (e.kind !== 'state') return false;
      failed(e);
      const url = link(e, FIRST_CHUNK);
      return url !== null && url !== before && !progressShown(e);
    });
    result.verdicts.keepNewest = reconverted.verdict;
    if (PROFILE === 'reconvert') result.profile = await saveProfile(n, await worker.send('Profiler.stop', {}, 60_000));
    await page.waitForTimeout(SETTLE_MS);
    result.memory.afterReconvert = await memory();
    result.outputs = await page.$$eval('[data-testid=downloads] li', (items) => items.map((li) => ({
      name: li.querySelector('a')?.textContent.trim(),
      size: li.querySelector('.size')?.textContent.trim(),
    })));
  } catch (e) {
    // The first failure reported (a crash, say) explains the rest (CDP calls to a dead page).
    result.failure = timeline.failure ?? e.message;
  } finally {
    timeline.closed = true;
    sampler.stop();
    await sampler.sample();
    result.memory.peakRssMB = sampler.peaks;
    result.memory.highWaterRssMB = sampler.highWater;
    // A crashed browser may not close cleanly; the figures matter more than a clean exit.
    await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
    await chromiumRun.stop().catch((e) => log(`the profile could not be removed: ${e.message}`));
    server.close();
    result.loadavgAtEnd = loadavg().map((x) => +x.toFixed(2));
  }
  // Over the steps (the page's start-up and the memory probes between steps, which stall
  // the threads they inspect, are left out).
  for (const [name, { t0, t1, failedAfterS }] of Object.entries(bounds)) {
    result.steps[name] = step(timeline.events, t0, t1 ?? Math.max(t0, timeline.events.at(-1)?.t ?? t0));
    if (t1 === null) Object.assign(result.steps[name], { seconds: null, failedAfterS });
  }
  const steps = Object.values(result.steps);
  result.timeline = compact(timeline.events, result.chosenAt ?? 0);
  result.longestLongTaskMs = Math.max(0, ...steps.map((s) => s.longestLongTaskMs));
  result.maxFrameGapMs = Math.max(0, ...steps.map((s) => s.maxFrameGapMs));
  return result;
}

/**
 * A step's figures: its time, and what the page's main thread and progress bar did from `t0`
 * to `t1` (page clock; main-thread work up to SETTLE_MS after `t1` counts too, as the step's
 * final render and its aftermath belong to it).
 */
function step(events, t0, t1) {
  const within = (e) => e.t >= t0 && e.t <= t1 + SETTLE_MS;
  const longTasks = events.filter((e) => e.kind === 'longtask' && within(e));
  const gaps = events.filter((e) => e.kind === 'frame-gap' && within(e));
  const progress = events.filter((e) => e.kind === 'state' && e.progress && e.t >= t0 && e.t <= t1);
  // The longest stretch with no new progress text: how long the page looked stuck.
  let quiet = 0;
  let last = t0;
  for (const t of [...progress.map((e) => e.t), t1]) {
    quiet = Math.max(quiet, t - last);
    last = t;
  }
  return {
    seconds: (t1 - t0) / 1000,
    longTasks: longTasks.length,
    longTasksTotalMs: longTasks.reduce((a, e) => a + e.duration, 0),
    longestLongTaskMs: Math.max(0, ...longTasks.map((e) => e.duration)),
    lateFrames: gaps.length,
    maxFrameGapMs: Math.max(0, ...gaps.map((e) => e.gap)),
    progressUpdates: progress.length,
    lastProgress: progress.at(-1)?.progress ?? null,
    longestWithoutProgressS: quiet / 1000,
  };
}

// ---------------------------------------------------------------------------------------
// Output.

/**
 * The page's events for the JSON file, in ms from `t0` (the file chosen): what the status
 * bar showed (download links counted, not listed), long tasks, late frames, change events.
 */
function compact(events, t0) {
  const ms = (t) => Math.round((t - t0) * 10) / 10;
  return events.map(({ kind, t, ...e }) => {
    if (kind === 'state') {
      const { links, fileErrors, ...shown } = e;
      return { kind, t: ms(t), ...shown, links: links.length, ...(fileErrors.length ? { fileErrors } : {}) };
    }
    return { kind, t: ms(t), ...e };
  });
}

/** "users-0001.json … users-0100.json (100 files, 6.0 MB the first)" for long lists of chunks. */
function outputs(list) {
  const chunks = list.filter((o) => /^users-\d+\.json$/.test(o.name));
  const rest = list.filter((o) => !chunks.includes(o)).map((o) => `${o.name} (${o.size})`);
  if (chunks.length <= 3) return list.map((o) => `${o.name} (${o.size})`).join(', ');
  return [`${chunks[0].name} … ${chunks.at(-1).name} (${chunks.length} files, ${chunks[0].size} the first)`, ...rest].join(', ');
}

function git(args) {
  try {
    return execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function log(message) {
  process.stderr.write(`bench: ${message}\n`);
}

const fmt = (x, digits = 0) => (x === null || x === undefined ? 'n/a' : x.toFixed(digits));

/** The run as Markdown. */
function table(r) {
  const lines = [];
  lines.push(`## Console benchmark: ${r.users.toLocaleString('en-US')} users`, '');
  lines.push(`Input: \`${r.input}\`, ${fmt(r.inputMB, 1)} MB. ${r.date.slice(0, 16)}Z, commit ${r.commit}, ${r.consoleBundle}, Chromium ${r.chromium} headless, ${r.cpus} CPUs, load avg ${r.loadavgAtStart.join(' ')} at start, ${r.loadavgAtEnd.join(' ')} at the end.`, '');
  lines.push('| Step | Time (s) | Long tasks | Longest long task (ms) | Max frame gap (ms) | Progress updates | Longest without progress (s) | Peak renderer RSS (MB) | Peak browser RSS (MB) |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, title] of Object.entries(STEPS)) {
    const s = r.steps[name];
    const rss = r.memory.peakRssMB?.[name];
    const time = !s ? 'not reached' : s.seconds === null ? `FAILED after ${fmt(s.failedAfterS, 1)}` : fmt(s.seconds, 2);
    lines.push(`| ${title} | ${time} | ${s?.longTasks ?? ''} | ${fmt(s?.longestLongTaskMs)} | ${fmt(s?.maxFrameGapMs)} | ${s?.progressUpdates ?? ''} | ${fmt(s?.longestWithoutProgressS, 1)} | ${fmt(rss?.renderer)} | ${fmt(rss?.browser)} |`);
  }
  lines.push('', `All steps: longest long task ${fmt(r.longestLongTaskMs)} ms, max frame gap ${fmt(r.maxFrameGapMs)} ms.  `);
  for (const [when, m] of Object.entries(r.memory)) {
    if (!m?.page) continue;
    const mapping = (m.mapping ?? []).map((w) => `${fmt(w.wasmMemoryMB, 1)} MB`).join(' + ') || 'none yet';
    lines.push(`Memory ${when}: page JS heap ${fmt(m.page.jsHeapUsedMB, 1)} MB, page WASM ${fmt(m.page.wasmMemoryMB, 1)} MB; worker JS heap ${fmt(m.worker.jsHeapUsedMB, 1)} MB, worker WASM ${fmt(m.worker.wasmMemoryMB, 1)} MB; mapping workers' WASM ${mapping}.  `);
  }
  const hwm = r.memory.highWaterRssMB;
  if (hwm) lines.push(`Peak RSS over the run (VmHWM): renderer ${fmt(hwm.renderer)} MB, browser process ${fmt(hwm.browser)} MB.  `);
  lines.push(`Shown: "${r.usersShown ?? 'n/a'}"; verdict with the default policy: "${r.verdicts.default ?? 'n/a'}"; with keep-newest: "${r.verdicts.keepNewest ?? 'n/a'}".  `);
  if (r.outputs.length) lines.push(`Outputs: ${outputs(r.outputs)}.  `);
  for (const e of r.errors) lines.push(`**Error (${e.where}):** ${e.text}  `);
  for (const c of r.console.filter((c) => c.type === 'error' || c.type === 'warning')) lines.push(`Console ${c.type} (${c.where}): ${c.text}  `);
  lines.push(r.failure ? `**FAILED:** ${r.failure}` : 'Completed.');
  lines.push('', 'Times from the page\'s clock: load from the input\'s change event to the user count, convert from there to the verdict with no progress bar, reconvert from the select\'s change event to the new users-0001.json link. Long tasks and frame gaps are the page\'s main thread (a gap over 20 ms is a late frame); RSS is /proc VmRSS sampled every 0.5 s (largest renderer = page + worker); WASM is each thread\'s linear memory after the step (it never shrinks); MB = 10^6 bytes.', '');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------

async function main() {
  const ns = sizes();
  ns.forEach(fileCount);
  for (const [what, path] of [['dist/index.html (run make dist)', join(DIST, 'index.html')], ['Chromium (set CHROMIUM?)', CHROMIUM]]) {
    if (!existsSync(path)) throw new UsageError(`missing ${what}: ${path}`);
  }
  buildGenerator();
  mkdirSync(OUT, { recursive: true });
  let failed = false;
  for (const n of ns) {
    const exportPaths = ensureExports(n, fileCount(n));
    log(`${n} users: loading ${exportPaths.map((p) => relative(ROOT, p)).join(', ')} in the console`);
    const result = await run(n, exportPaths);
    const json = join(OUT, `console-${n}.json`);
    writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${table(result)}\n`);
    log(`saved ${relative(ROOT, json)}`);
    failed ||= result.failure !== null;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    log(e instanceof UsageError ? e.message : String(e.stack ?? e));
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
