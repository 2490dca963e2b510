// What the end-to-end tests share: the CLI, data folders, surveys, and how a user drives the window.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freshDataDir, screenshot } from "./driver.mjs";

export const cli = process.env.TERRADESK_CLI ?? path.resolve("target/debug/terradesk");

/** A data folder whose settings choose the Sandbox region (the app then starts its own sandbox). */
export function sandboxDataDir(name, settings = {}) {
  const dir = freshDataDir(name);
  writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ region: "sandbox", ...settings }));
  return dir;
}

/** The sandbox answers to its demo key pair: forget keys an earlier test saved for it (the
 * keychain is shared by every test of the session). */
export function forgetSandboxKeys() {
  try {
    execFileSync("secret-tool", ["clear", "service", "TerraDesk", "username", "sandbox"]);
  } catch {
    // nothing stored
  }
}

/** The app processes running on `dataDir` (found by their environment, so no other app is touched). */
export function appPids(dataDir) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (!cmd.includes("terradesk-app")) continue;
      const env = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (env.includes(`TERRADESK_DATA_DIR=${dataDir}`)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** End the app on `dataDir` at once, as a crash or a power cut would. */
export function killApp(dataDir) {
  for (const pid of appPids(dataDir)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** End a session; an app hidden in the tray (a job still running) is ended too. */
export async function endSession(b, dataDir) {
  await Promise.race([b.deleteSession().catch(() => {}), new Promise((r) => setTimeout(r, 15000))]);
  killApp(dataDir);
}

/** A survey folder of `count` photos DJI_0001.JPG … of `size` bytes each. */
/** The start of a JPEG with an EXIF segment: the app knows photos by their content. */
const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0x00, 0x08, 0x45, 0x78, 0x69, 0x66, 0, 0, 0xff, 0xda, 0, 2]);

export function fakePhoto(size) {
  return Buffer.concat([JPEG_HEAD, randomBytes(Math.max(0, size - JPEG_HEAD.length))]);
}

export function makeSurvey(name, count, size) {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), "terradesk-survey-")), name);
  mkdirSync(dir);
  for (let i = 1; i <= count; i++) {
    writeFileSync(path.join(dir, `DJI_${String(i).padStart(4, "0")}.JPG`), fakePhoto(size));
  }
  return dir;
}

export const $t = (id) => `[data-testid="${id}"]`;

export async function appReady(b) {
  await (await b.$($t("nav-jobs"))).waitForClickable({ timeout: 30000 });
}

export async function go(b, screen) {
  const nav = await b.$($t(`nav-${screen}`));
  await nav.waitForClickable({ timeout: 20000 });
  await nav.click();
}

/** Drop folders on the window through the same code as a native drop. */
export async function dropFolders(b, ...folders) {
  await b.execute((paths) => window.__TERRADESK_DROP__(paths), folders);
}

export async function jobState(b) {
  const badge = await b.$($t("job-state"));
  return (await badge.isExisting()) ? badge.getAttribute("data-state") : null;
}

export async function waitForState(b, states, timeout = 60000) {
  const wanted = [states].flat();
  await b.waitUntil(async () => wanted.includes(await jobState(b)), {
    timeout,
    interval: 250,
    timeoutMsg: `the job did not reach ${wanted.join(" or ")} (it is ${await jobState(b)})`,
  });
}

export async function currentJobId(b) {
  const page = await b.$($t("job-page"));
  await page.waitForExist({ timeout: 20000 });
  return Number(await page.getAttribute("data-job-id"));
}

/** Settings → Language, as a user does it; waits until the page speaks it. */
export async function setLanguage(b, value) {
  await go(b, "settings");
  const select = await b.$($t("language-select"));
  await select.waitForDisplayed({ timeout: 10000 });
  await select.selectByAttribute("value", value);
  const lang = value === "zh-CN" ? "zh-CN" : "en";
  await b.waitUntil(async () => (await b.execute(() => document.documentElement.lang)) === lang, {
    timeout: 5000,
    timeoutMsg: `the page did not switch to ${lang}`,
  });
}

/** Scroll the screen so that an element shows (for screenshots). */
export async function scrollTo(b, selector, block) {
  // The whole panel the element is in, when it is in one.
  await b.execute((sel, blk) => {
    const el = document.querySelector(sel);
    (el?.closest(".panel") ?? el)?.scrollIntoView({ block: blk });
  }, selector, block);
  // Let the webview repaint before a screenshot.
  await b.waitUntil(async () => b.execute(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))));
  await b.pause(500);
}

/** Drop one folder, check its summary, Start, and land on the job's page; returns the job id. */
export async function startJobFrom(b, folder, { files, photos } = {}) {
  await dropFolders(b, folder);
  const card = await b.$($t("dataset-summary"));
  await card.waitForDisplayed({ timeout: 20000 });
  if (files !== undefined) assert.equal(await b.$($t("summary-files")).getText(), String(files));
  if (photos !== undefined) assert.equal(await b.$($t("summary-photos")).getText(), String(photos));
  const start = await b.$($t("start-job"));
  await start.waitForEnabled({ timeout: 10000 });
  await start.click();
  return currentJobId(b);
}

/** Runs `body` with a session; on failure keeps a screenshot of how the window looked. */
export async function withSession(drv, dataDir, name, body) {
  const b = await drv.session();
  try {
    await body(b);
  } catch (e) {
    await screenshot(b, `failed-${name}`).catch(() => {});
    throw e;
  } finally {
    await endSession(b, dataDir);
  }
}

/** Top-level entries of a ZIP: "AT/", "mission.json", … */
export function zipTopLevel(zip) {
  const names = execFileSync("unzip", ["-Z1", zip], { encoding: "utf8" }).split("\n").filter(Boolean);
  return [...new Set(names.map((n) => (n.includes("/") ? `${n.split("/")[0]}/` : n)))].sort();
}

