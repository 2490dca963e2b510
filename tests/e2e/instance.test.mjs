// One app per data folder: with the app running, a second launch (a double-click on the icon, a
// folder dropped on it) starts no second engine: it hands its folder to the running app, whose
// New job opens with it, and exits.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { startDriver, app } from "./driver.mjs";
import { $t, appPids, appReady, makeSurvey, sandboxDataDir, withSession } from "./helpers.mjs";

const dataDir = sandboxDataDir("instance");
let driver;
before(async () => {
  driver = await startDriver({ port: 4462, env: { TERRADESK_DATA_DIR: dataDir } });
});
after(() => driver?.stop());

/** Launch the app again, as a desktop would; resolves with its exit code (or null after 20 s). */
function launchAgain(args) {
  return new Promise((resolve) => {
    const child = spawn(app, args, { env: { ...process.env, TERRADESK_DATA_DIR: dataDir }, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve({ code: null, err });
    }, 20000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, err });
    });
  });
}

test("a second launch hands its folder to the running app and starts no second engine", async () => {
  const folder = makeSurvey("second-launch", 12, 20_000);
  await withSession(driver, dataDir, "instance", async (b) => {
    await appReady(b);
    assert.equal(appPids(dataDir).length, 1, "one app runs");
    const { code, err } = await launchAgain([folder]);
    assert.equal(code, 0, `the second launch ends at once by itself: ${err}`);
    assert.equal(appPids(dataDir).length, 1, "still one app: no second engine on the database");
    // The running app's New job has the folder.
    await b.waitUntil(async () => /second-launch/.test(await b.execute(() => document.querySelector('[data-testid="dataset-summary"]')?.textContent ?? "")), {
      timeout: 15000,
      timeoutMsg: "New job did not open with the folder",
    });
    assert.equal(await b.$($t("summary-photos")).getText(), "12");
    // A plain second double-click: it ends too, and the folder is not added twice.
    assert.equal((await launchAgain([])).code, 0);
    assert.equal((await b.$$($t("dataset-summary"))).length, 1);
    assert.equal(appPids(dataDir).length, 1);
  });
});
