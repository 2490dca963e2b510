// Jobs in the built app, against the sandbox: a folder dropped → summary → Start → the job page
// follows it to "finished" → results downloaded → Terra ZIP exported; an upload that survives the
// app being killed; and screenshots of every main screen in English and Chinese.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { answerSaveDialog, startDriver, screenshot } from "./driver.mjs";
import {
  $t,
  appReady,
  cli,
  currentJobId,
  dropFolders,
  endSession,
  go,
  jobState,
  killApp,
  forgetSandboxKeys,
  makeSurvey,
  sandboxDataDir,
  scrollTo,
  setLanguage,
  startJobFrom,
  waitForState,
  withSession,
  zipTopLevel,
} from "./helpers.mjs";

// a. and c.: the app's own sandbox, jobs that finish in 4 s.
const dataDir = sandboxDataDir("jobs");
let driver;

before(async () => {
  forgetSandboxKeys();
  driver = await startDriver({ env: { TERRADESK_DATA_DIR: dataDir, TERRADESK_SANDBOX_JOB_SECS: "4" } });
});
after(() => driver?.stop());

test("a 2D job from a dropped folder, to a Terra ZIP", async () => {
  const folder = makeSurvey("field-7", 12, 4096);
  const zipPath = path.join(mkdtempSync(path.join(tmpdir(), "terradesk-zip-")), "field-7.zip");
  await withSession(driver, dataDir, "terra-zip", async (b) => {
    await appReady(b);
    await dropFolders(b, folder);
    const card = await b.$($t("dataset-summary"));
    await card.waitForDisplayed({ timeout: 20000 });
    assert.equal(await b.$($t("summary-files")).getText(), "12");
    assert.equal(await b.$($t("summary-photos")).getText(), "12");
    assert.equal(await b.$($t("kind-2d")).getAttribute("aria-checked"), "true", "2D map suggested");
    assert.equal(await b.$($t("job-name")).getValue(), "field-7");
    await (await b.$($t("param-quality_level"))).waitForDisplayed({ timeout: 10000 });
    await screenshot(b, "e2e-new-job-summary");

    const start = await b.$($t("start-job"));
    await start.waitForEnabled({ timeout: 10000 });
    await start.click();
    const id = await currentJobId(b);
    await (await b.$($t("timeline"))).waitForDisplayed({ timeout: 10000 });
    await waitForState(b, "finished", 90000);

    // Results: every output ticked by default; untick one and tick it again.
    for (const name of ["AT", "images", "map", "mission.json"]) {
      const box = await b.$($t(`result-output-${name}`));
      await box.waitForExist({ timeout: 20000 });
      assert.ok(await box.isSelected(), `${name} ticked`);
    }
    await b.$($t("result-output-images")).click();
    assert.equal(await b.$($t("result-output-images")).isSelected(), false);
    await b.$($t("result-output-images")).click();
    assert.ok(await b.$($t("result-output-images")).isSelected());

    await b.$($t("download-result")).click();
    await (await b.$($t("download-done"))).waitForDisplayed({ timeout: 60000 });
    await waitForState(b, "downloaded", 10000);

    // Export Terra ZIP: the native save dialog, answered as a user would.
    await b.$($t("export-zip")).click();
    answerSaveDialog("Save the Terra ZIP", zipPath);
    await waitForState(b, "exported", 30000);
    const done = await b.$($t("export-done"));
    await done.waitForDisplayed({ timeout: 10000 });
    assert.match(await done.getText(), /field-7\.zip/);
    assert.ok(await b.$($t("show-in-folder")).isDisplayed());
    assert.deepEqual(zipTopLevel(zipPath), ["AT/", "images/", "map/", "mission.json"]);

    // The history lists it.
    await go(b, "jobs");
    const row = await b.$($t(`job-row-${id}`));
    await row.waitForDisplayed({ timeout: 10000 });
    assert.equal(await row.getAttribute("data-state"), "exported");
  });
});

test("screenshots of every main screen, in English and in Chinese", async () => {
  await withSession(driver, dataDir, "screenshots", async (b) => {
    await appReady(b);
    for (const [lang, suffix] of [
      ["en", "en"],
      ["zh-CN", "zh"],
    ]) {
      await setLanguage(b, lang);
      await (await b.$($t("access-key"))).waitForDisplayed({ timeout: 10000 });
      await scrollTo(b, $t("tray-note"), "end");
      await screenshot(b, `settings-${suffix}`);

      // A job page while the server works, and the history meanwhile.
      const id = await startJobFrom(b, makeSurvey(suffix === "en" ? "north-block" : "南区航测", 14, 2048));
      await (await b.$($t("processing-progress"))).waitForDisplayed({ timeout: 60000 });
      // Once the server reports some progress, when it does before it finishes.
      await b
        .waitUntil(
          async () => Number((await b.$(`${$t("processing-progress")} [role="progressbar"]`).getAttribute("aria-valuenow")) ?? 0) > 0,
          { timeout: 3000, interval: 100 },
        )
        .catch(() => {});
      await screenshot(b, `job-processing-${suffix}`);
      await go(b, "jobs");
      await (await b.$($t(`job-row-${id}`))).waitForDisplayed({ timeout: 10000 });
      await screenshot(b, `jobs-${suffix}`);
      await b.$($t(`job-row-${id}`)).click();

      // Finished, with its results; then downloaded, ready to export.
      await waitForState(b, "finished", 60000);
      await (await b.$($t("download-result"))).waitForDisplayed({ timeout: 20000 });
      await screenshot(b, `job-finished-${suffix}`);
      await b.$($t("download-result")).click();
      await (await b.$($t("download-done"))).waitForDisplayed({ timeout: 60000 });
      await (await b.$($t("export-zip"))).waitForDisplayed({ timeout: 10000 });
      await scrollTo(b, $t("timeline"), "start");
      await screenshot(b, `job-results-${suffix}`);

      // New job with a summary and the form; the folder holds a licence, a flight log and a
      // file named like a photo that is no image: each is named, and may be left out.
      await go(b, "new-job");
      const river = makeSurvey(suffix === "en" ? "river-bank" : "河岸测区", 12, 3_000_000);
      writeFileSync(path.join(river, "LICENSE.txt"), "CC-BY 4.0\n");
      writeFileSync(path.join(river, "flight-log.csv"), "t,lat,lon\n0,45.03,7.62\n");
      writeFileSync(path.join(river, "DJI_0999.JPG"), Buffer.alloc(2048, 0x42));
      await dropFolders(b, river);
      await (await b.$($t("dataset-summary"))).waitForDisplayed({ timeout: 20000 });
      await (await b.$($t("summary-others"))).waitForDisplayed({ timeout: 5000 });
      assert.equal(await b.$($t("summary-files")).getText(), "15");
      assert.equal(await b.$$($t("not-an-image")).length, 1);
      await b.$($t("others-leave-out")).click();
      await b.waitUntil(async () => (await b.$($t("summary-files")).getText()) === "12", { timeout: 5000, timeoutMsg: "left-out files still counted" });
      await (await b.$($t("param-quality_level"))).waitForDisplayed({ timeout: 10000 });
      await scrollTo(b, $t("dataset-summary"), "start");
      await screenshot(b, `new-job-${suffix}`);
      // Leave it for the next language: remove the folder.
      await b.execute(() => document.querySelector('[data-testid="dataset-summary"] button')?.click());
    }
    await setLanguage(b, "auto");
  });
});

// b.: a slow sandbox of its own, and the app killed mid-upload.
test("an upload interrupted by the app being killed resumes at the next start", async () => {
  const sandbox = spawn(cli, ["sandbox", "--port", "0", "--json", "--latency-ms", "200", "--faults-on-storage", "--job-duration", "3"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let slowDriver;
  try {
    const first = await new Promise((resolve, reject) => {
      const rl = createInterface({ input: sandbox.stdout });
      rl.once("line", resolve);
      sandbox.once("exit", (code) => reject(new Error(`the sandbox exited (${code})`)));
    });
    const { url } = JSON.parse(first);
    const resumeDir = sandboxDataDir("resume");
    slowDriver = await startDriver({ port: 4446, env: { TERRADESK_DATA_DIR: resumeDir, TERRADESK_SANDBOX_URL: url } });
    const folder = makeSurvey("big-field", 80, 200_000);

    let b = await slowDriver.session();
    let id;
    try {
      await appReady(b);
      id = await startJobFrom(b, folder, { files: 80, photos: 80 });
      const bar = () => b.$(`${$t("upload-progress")} [role="progressbar"]`);
      // Some bytes, not all.
      // 0 until the upload panel has drawn its bar.
      const percent = async () => {
        const el = await bar();
        return (await el.isExisting()) ? Number((await el.getAttribute("aria-valuenow")) ?? 0) : 0;
      };
      await b.waitUntil(
        async () => {
          const now = await percent();
          return now > 0 && now < 100;
        },
        { timeout: 30000, interval: 100, timeoutMsg: "no upload progress seen" },
      );
      // With its speed and time left, when they show before the upload ends.
      await b
        .waitUntil(async () => (await b.$($t("upload-eta")).isExisting()) || (await percent()) > 60, { timeout: 5000, interval: 100 })
        .catch(() => {});
      await screenshot(b, "job-uploading-en");
      assert.equal(await jobState(b), "uploading", "still uploading when the app is killed");
    } finally {
      // Closing the window would only hide it to the tray (a job runs): kill the app outright.
      killApp(resumeDir);
      await endSession(b, resumeDir);
    }

    b = await slowDriver.session();
    try {
      await appReady(b);
      await go(b, "jobs");
      const row = await b.$($t(`job-row-${id}`));
      await row.waitForDisplayed({ timeout: 20000 });
      await row.click();
      await (await b.$($t("timeline"))).waitForDisplayed({ timeout: 10000 });
      // The app resumed it by itself at start: no Resume button needed.
      await waitForState(b, ["uploading", "submitted", "processing", "finished"], 20000);
      await waitForState(b, "finished", 120000);
    } finally {
      await endSession(b, resumeDir);
    }

    // One input resource (plus the result's), one job, each file registered once.
    const stats = await (await fetch(`${url}/sandbox/stats`)).json();
    assert.equal(stats.resources, 2, "no second input resource after the restart");
    assert.equal(stats.jobs, 1, "no second job after the restart");
    const counts = Object.values(stats.registrations);
    assert.equal(counts.length, 80);
    assert.ok(counts.every((c) => c === 1), `each file registered once: ${JSON.stringify(stats.registrations)}`);
  } finally {
    slowDriver?.stop();
    sandbox.kill();
  }
});
