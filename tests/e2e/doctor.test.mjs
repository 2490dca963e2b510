// New job → the dataset doctor, in the built app: a folder of real DJI photo headers
// (tests/data/p4m-mirafiori, padded to the photos' sizes) with a copy of one photo, one without
// any metadata and one from another camera; each finding is shown with its files, and the photos
// on a map drawn from their coordinates.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, openSync, closeSync, ftruncateSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startDriver, freshDataDir, screenshot } from "./driver.mjs";
import { $t, dropFolders, go, sandboxDataDir, withSession } from "./helpers.mjs";

const dataDir = sandboxDataDir("doctor");
let driver;
before(async () => {
  driver = await startDriver({ env: { TERRADESK_DATA_DIR: dataDir } });
});
after(() => driver?.stop());

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
