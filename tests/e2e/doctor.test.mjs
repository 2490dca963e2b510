// New job → the dataset doctor, in the built app: a folder of real DJI photo headers
// (tests/data/p4m-mirafiori, padded to the photos' sizes) with a copy of one photo, one without
// any metadata and one from another camera; each finding is shown with its files, and the photos
// on a map drawn from their coordinates. Three photos left out on the map make a job of the rest.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, openSync, closeSync, ftruncateSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createServer } from "node:http";
import { startDriver, freshDataDir, screenshot } from "./driver.mjs";
import { $t, cli, currentJobId, dropFolders, go, sandboxDataDir, scrollTo, waitForState, withSession, forgetSandboxKeys } from "./helpers.mjs";

const dataDir = sandboxDataDir("doctor");
let driver;
let sandbox;
let url;
before(async () => {
  forgetSandboxKeys();
  // A sandbox of its own, to count what reached the server.
  sandbox = spawn(cli, ["sandbox", "--port", "0", "--json", "--job-duration", "2"], { stdio: ["ignore", "pipe", "inherit"] });
  const first = await new Promise((resolve, reject) => {
    createInterface({ input: sandbox.stdout }).once("line", resolve);
    sandbox.once("exit", (code) => reject(new Error(`the sandbox exited (${code})`)));
  });
  url = JSON.parse(first).url;
  driver = await startDriver({ env: { TERRADESK_DATA_DIR: dataDir, TERRADESK_SANDBOX_URL: url } });
});
after(() => {
  driver?.stop();
  sandbox?.kill();
});

function realSurvey() {
  const src = path.resolve("tests/data/p4m-mirafiori");
  const dir = path.join(freshDataDir("doctor-survey"), "field-7");
  mkdirSync(dir, { recursive: true });
  const rows = readFileSync(path.join(src, "MANIFEST.csv"), "utf8").trim().split("\n").slice(1, 13).map((l) => l.split(","));
  for (const [, name, size] of rows) {
    let bytes = readFileSync(path.join(src, name));
    if (name === "DJI_0050.JPG") {
      bytes = Buffer.from(bytes);
      bytes.write("FC7303", bytes.indexOf("FC6360"), "latin1");
    }
    writeFileSync(path.join(dir, name), bytes);
    const fd = openSync(path.join(dir, name), "r+");
    ftruncateSync(fd, Number(size));
    closeSync(fd);
  }
  copyFileSync(path.join(dir, "DJI_0030.JPG"), path.join(dir, "DJI_0030 (1).JPG"));
  writeFileSync(path.join(dir, "DJI_0999.JPG"), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xda, 0, 2, 1, 2, 3]));
  return dir;
}

test("New job shows the doctor's findings for a folder of real DJI photos", async () => {
  const folder = realSurvey();
  await withSession(driver, dataDir, "doctor", async (b) => {
    await go(b, "new-job");
    await dropFolders(b, folder);
    const summary = await b.$($t("doctor-summary"));
    await summary.waitForDisplayed({ timeout: 20000 });
    assert.match(await summary.getText(), /13 of 14 photos placed · FC6360, FC7303 · 1 flight\(s\)/);
    const dup = await b.$($t("finding-duplicates"));
    await dup.scrollIntoView({ block: "center" });
    assert.match(await dup.getText(), /1 photo\(s\) are copies of another photo/);
    assert.match(await b.$($t("finding-no_gps")).getText(), /have no GPS position/);
    assert.match(await b.$($t("finding-several_cameras")).getText(), /several cameras \(FC6360, FC7303\)/);
    // The map: one point per placed photo (13; the stripped one has no position), outline, scale, north.
    const map = await b.$($t("photo-map"));
    await map.scrollIntoView({ block: "center" });
    assert.equal((await b.$$($t("map-point"))).length, 13);
    assert.ok(await b.$($t("map-outline")).isExisting(), "the survey's outline");
    assert.match(await b.$($t("map-scale")).getText(), /\d+ (m|km)/);
    await screenshot(b, "new-job-doctor");
  });
});

test("three photos left out on the map make a job of the rest, and the job says what was left out", async () => {
  const folder = realSurvey();
  await withSession(driver, dataDir, "doctor-leave-out", async (b) => {
    await go(b, "new-job");
    await dropFolders(b, folder);
    await (await b.$($t("doctor-summary"))).waitForDisplayed({ timeout: 20000 });
    assert.equal(await b.$($t("summary-files")).getText(), "14");
    const map = await b.$($t("photo-map"));
    await map.scrollIntoView({ block: "center" });
    // Three photos at distinct places (not the copy, drawn on its original).
    const names = (await b.execute(() => [...document.querySelectorAll('[data-testid="map-point"]')].map((c) => c.getAttribute("data-name"))))
      .filter((n) => !n.startsWith("DJI_0030"))
      .slice(0, 3);
    for (const name of names) {
      const point = await b.$(`[data-testid="map-point"][data-name="${name}"]`);
      // The first click after the page settles can be lost: click until the point says so.
      await b.waitUntil(
        async () => {
          if ((await point.getAttribute("data-left-out")) === "true") return true;
          await point.click();
          await b.pause(200);
          return (await point.getAttribute("data-left-out")) === "true";
        },
        { timeout: 10000, timeoutMsg: `${name} was not left out by a click` },
      );
    }
    const leftOut = await b.$($t("left-out-summary"));
    await leftOut.waitForDisplayed({ timeout: 5000 });
    assert.match(await leftOut.getText(), /^3 photo\(s\) left out of the job/);

    // A lasso drawn with the pointer around the first two (both out) puts them back; again, leaves them out.
    const lassoAround = async (two) => {
      const box = await b.execute((ns) => {
        const rs = ns.map((n) => document.querySelector(`[data-testid="map-point"][data-name="${n}"]`).getBoundingClientRect());
        return { l: Math.min(...rs.map((r) => r.left)) - 8, t: Math.min(...rs.map((r) => r.top)) - 8, r: Math.max(...rs.map((r) => r.right)) + 8, b: Math.max(...rs.map((r) => r.bottom)) + 8 };
      }, two);
      const at = (x, y) => ({ x: Math.round(x), y: Math.round(y), origin: "viewport" });
      await b
        .action("pointer", { parameters: { pointerType: "mouse" } })
        .move(at(box.l, box.t))
        .down({ button: 0 })
        .move({ ...at(box.r, box.t), duration: 100 })
        .move({ ...at(box.r, box.b), duration: 100 })
        .move({ ...at(box.l, box.b), duration: 100 })
        .move({ ...at(box.l, box.t + 2), duration: 100 })
        .up({ button: 0 })
        .perform();
    };
    const outCount = async () => (await b.$$('[data-testid="map-point"][data-left-out="true"]')).length;
    await lassoAround(names.slice(0, 2));
    await b.waitUntil(async () => (await outCount()) === 1, { timeout: 5000, timeoutMsg: "the lasso did not put the two back" });
    await lassoAround(names.slice(0, 2));
    await b.waitUntil(async () => (await outCount()) === 3, { timeout: 5000, timeoutMsg: "the lasso did not leave the two out" });
    assert.match(await leftOut.getText(), /^3 photo\(s\) left out of the job/);
    assert.equal(await b.$($t("summary-files")).getText(), "11", "the upload counts the rest");
    // The doctor asked again for the rest: its summary still counts every photo; the three are drawn hollow.
    await b.waitUntil(async () => (await b.$$('[data-testid="map-point"][data-left-out="true"]')).length === 3, { timeout: 10000 });
    await scrollTo(b, $t("photo-map"), "center");
    await screenshot(b, "new-job-left-out");

    const start = await b.$($t("start-job"));
    await start.scrollIntoView({ block: "center" });
    await start.waitForEnabled({ timeout: 10000 });
    await start.click();
    const id = await currentJobId(b);
    const says = await b.$($t("job-left-out-summary"));
    await says.waitForDisplayed({ timeout: 10000 });
    assert.match(await says.getText(), /3 photo\(s\) you left out on New job/);
    await waitForState(b, "finished", 120000);
    await scrollTo(b, $t("job-page"), "start");
    await screenshot(b, "job-left-out");

    // The server holds the eleven others, each once, and none of the three.
    const stats = await (await fetch(`${url}/sandbox/stats`)).json();
    const registered = Object.keys(stats.registrations).map((k) => k.split("/").slice(1).join("/"));
    assert.equal(registered.length, 11, JSON.stringify(registered));
    for (const n of names) assert.ok(!registered.includes(n), `${n} was left out`);
    assert.ok(Object.values(stats.registrations).every((c) => c === 1));
    assert.ok(id > 0);
  });
});

test("a background map from a tile server, once turned on in Settings, is drawn under the photos", async () => {
  // A tile server on a real socket: two plain colours in a checker, so tiles show where they fall.
  const colours = [
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGO49ugEVsQwtCQAh+qgAXN8yZIAAAAASUVORK5CYII=",
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGPYd+kZVsQwtCQAgFudgaKBGIoAAAAASUVORK5CYII=",
  ].map((b) => Buffer.from(b, "base64"));
  const asked = [];
  const server = createServer((req, res) => {
    asked.push({ path: req.url, agent: req.headers["user-agent"] });
    const [z, x, y] = req.url.split(/[/.]/).filter(Boolean).map(Number);
    res.writeHead(200, { "content-type": "image/png" }).end(colours[(x + y + z) % 2]);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const template = `http://127.0.0.1:${server.address().port}/{z}/{x}/{y}.png`;
  const folder = realSurvey();
  try {
    await withSession(driver, dataDir, "doctor-tiles", async (b) => {
      await go(b, "settings");
      const url = await b.$($t("map-tile-url"));
      await url.waitForDisplayed({ timeout: 10000 });
      await url.setValue(template);
      const on = await b.$($t("map-tiles-on"));
      await on.scrollIntoView({ block: "center" });
      await b.waitUntil(async () => {
        if (!(await on.isSelected())) await on.click();
        return on.isSelected();
      }, { timeout: 5000 });
      await b.waitUntil(async () => /Background map saved/.test(await b.$($t("general-status")).getText()), {
        timeout: 5000,
        timeoutMsg: "the background map was not saved",
      });
      await screenshot(b, "settings-map-tiles");
      const saved = JSON.parse(readFileSync(path.join(dataDir, "settings.json"), "utf8"));
      assert.equal(saved.mapTiles, true);
      assert.equal(saved.mapTileUrl, template);

      await go(b, "new-job");
      await dropFolders(b, folder);
      await (await b.$($t("doctor-summary"))).waitForDisplayed({ timeout: 20000 });
      await b.waitUntil(async () => (await b.$$($t("map-tile"))).length > 0, { timeout: 15000, timeoutMsg: "no tile was drawn" });
      assert.ok(asked.length > 0 && asked.length <= 30, `${asked.length} tiles asked`);
      assert.ok(asked.every((a) => /^TerraDesk\//.test(a.agent)), "the tile server is told who asks");
      await scrollTo(b, $t("photo-map"), "center");
      await screenshot(b, "new-job-map-tiles");
    });
  } finally {
    server.close();
  }
});
