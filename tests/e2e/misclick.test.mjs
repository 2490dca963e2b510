// A click meant for Pause, a moment after the upload ended, must not stop the paid job: the
// action bar keeps its places (Stop stays at the right end) and a button that just appeared
// waits a moment; Stop then asks before it stops anything. Against a slow sandbox of its own, so
// the upload lasts long enough to aim at Pause.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { startDriver, screenshot } from "./driver.mjs";
import { $t, appReady, cli, endSession, jobState, makeSurvey, sandboxDataDir, startJobFrom, waitForState, forgetSandboxKeys } from "./helpers.mjs";

let sandbox;
let drv;
after(() => {
  drv?.stop();
  sandbox?.kill();
});

/** The centre of an element, in viewport pixels. */
async function centre(b, id) {
  return b.execute((sel) => {
    const r = document.querySelector(sel).getBoundingClientRect();
    return { x: Math.round(r.left + r.width / 2), y: Math.round(r.top + r.height / 2), left: r.left, right: r.right, top: r.top, bottom: r.bottom };
  }, $t(id));
}

/** A real pointer click at a point of the viewport (what a user's mouse does). */
async function clickAt(b, { x, y }) {
  await b.action("pointer", { parameters: { pointerType: "mouse" } }).move({ x, y, origin: "viewport" }).down({ button: 0 }).up({ button: 0 }).perform();
}

test("a click where Pause was, just after the upload ended, does not stop the job", async () => {
  sandbox = spawn(cli, ["sandbox", "--port", "0", "--json", "--latency-ms", "150", "--job-duration", "8"], { stdio: ["ignore", "pipe", "inherit"] });
  const first = await new Promise((resolve, reject) => {
    createInterface({ input: sandbox.stdout }).once("line", resolve);
    sandbox.once("exit", (code) => reject(new Error(`the sandbox exited (${code})`)));
  });
  const { url } = JSON.parse(first);
  const dataDir = sandboxDataDir("misclick");
  forgetSandboxKeys();
  drv = await startDriver({ port: 4448, env: { TERRADESK_DATA_DIR: dataDir, TERRADESK_SANDBOX_URL: url } });
  const b = await drv.session();
  try {
    await appReady(b);
    await startJobFrom(b, makeSurvey("misclick", 30, 150_000), { files: 30, photos: 30 });
    const pause = await b.$($t("pause-upload"));
    await pause.waitForDisplayed({ timeout: 20000 });
    const where = await centre(b, "pause-upload");
    const stopDuring = await centre(b, "stop-job");

    // The moment the upload ends, the pointer is still where Pause was.
    await b.waitUntil(async () => (await jobState(b)) !== "uploading", { timeout: 60000, interval: 20, timeoutMsg: "the upload did not end" });
    const changed = Date.now();
    await clickAt(b, where);
    // And a click on Stop itself within the second: it is not ready for clicks yet.
    const stop = await b.$($t("stop-job"));
    await stop.waitForExist({ timeout: 2000 });
    const stopNow = await centre(b, "stop-job");
    // While it is still within its second (with a margin for the round trips), it is disabled and
    // a click on it does nothing.
    if (Date.now() - changed < 600) {
      assert.equal(await stop.isEnabled(), false, "Stop waits a moment after it appears");
      await clickAt(b, stopNow);
    }
    await screenshot(b, "e2e-misclick-after-upload");

    // Stop did not move into Pause's place, and nothing asked or stopped.
    // Right-aligned: its right edge stays (its label, so its width, changed).
    assert.ok(Math.abs(stopNow.right - stopDuring.right) <= 1, `Stop (it was Cancel upload) keeps its place: ${stopDuring.right} → ${stopNow.right}`);
    assert.ok(!(where.x >= stopNow.left && where.x <= stopNow.right && where.y >= stopNow.top && where.y <= stopNow.bottom), "Stop is not where Pause was");
    assert.equal(await b.$($t("job-confirm")).isExisting(), false, "no question was opened by the stray clicks");
    assert.ok(["submitted", "processing", "queued"].includes(await jobState(b)), `the job goes on (${await jobState(b)})`);

    // A deliberate Stop asks first; saying no leaves the job running to the end.
    await stop.waitForEnabled({ timeout: 3000 });
    await stop.click();
    const confirm = await b.$($t("job-confirm"));
    await confirm.waitForDisplayed({ timeout: 5000 });
    assert.match(await confirm.getText(), /cannot be resumed/);
    // English quotes are Latin ones, not a CJK font's full-width glyphs (no stray spaces).
    const quoteEm = await b.execute(() => {
      const p = document.querySelector("#job-confirm-text");
      const s = document.createElement("span");
      s.textContent = "\u201c";
      p.append(s);
      const w = s.getBoundingClientRect().width / parseFloat(getComputedStyle(p).fontSize);
      s.remove();
      return w;
    });
    assert.ok(quoteEm < 0.7, `an English “ is ${quoteEm.toFixed(2)} em wide`);
    await screenshot(b, "job-stop-confirm-en");
    await b.$($t("dismiss-action")).click();
    await waitForState(b, "finished", 60000);
    const stats = await (await fetch(`${url}/sandbox/stats`)).json();
    assert.equal(stats.jobs, 1);
  } finally {
    await endSession(b, dataDir);
  }
});
