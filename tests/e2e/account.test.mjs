// Settings → Account in the built app: save a key pair, restart, and see it come back from the
// real Secret Service, with the SecretKey never shown.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDriver, freshDataDir, screenshot, keyringLookup } from "./driver.mjs";

const dataDir = freshDataDir("account");
let driver;

before(async () => {
  driver = await startDriver({ env: { TERRADESK_DATA_DIR: dataDir } });
});
after(() => driver?.stop());

const AK = "AK-e2e-0123456789";
const SK = "sk-e2e/+=secret-987";

test("the main window opens with its navigation", async () => {
  const b = await driver.session();
  try {
    const nav = await b.$('[data-testid="nav-jobs"]');
    await nav.waitForDisplayed({ timeout: 20000 });
    assert.equal(await b.getTitle(), "TerraDesk");
    for (const id of ["nav-jobs", "nav-new-job", "nav-settings"]) {
      assert.ok(await b.$(`[data-testid="${id}"]`).isDisplayed(), `${id} shown`);
    }
    await screenshot(b, "main-window");
  } finally {
    await b.deleteSession();
  }
});

test("Settings draws its form at once and nothing moves under the pointer afterwards", async () => {
  const b = await driver.session();
  try {
    await (await b.$('[data-testid="nav-settings"]')).waitForClickable({ timeout: 20000 });
    // Let the app finish starting (it fetches the account then), as a user's first glance does.
    await b.pause(1500);
    // Click Settings and sample where the fields are every 10 ms for 1.5 s, from the first render
    // on (a timer runs after the click's render; reading a position lays the page out).
    const samples = await b.executeAsync((done) => {
      document.querySelector('[data-testid="nav-settings"]').click();
      const out = [];
      const t0 = performance.now();
      const tick = () => {
        const ak = document.querySelector('[data-testid="access-key"]');
        const gen = document.querySelector('[data-testid="language-select"]');
        out.push({
          t: Math.round(performance.now() - t0),
          ak: ak ? Math.round(ak.getBoundingClientRect().top) : null,
          gen: gen ? Math.round(gen.getBoundingClientRect().top) : null,
        });
        if (performance.now() - t0 < 1500) setTimeout(tick, 10);
        else done(out);
      };
      setTimeout(tick, 0);
    });
    assert.ok(samples.length > 10, `frames sampled: ${samples.length}`);
    const first = samples[0];
    assert.notEqual(first.ak, null, "the AccessKey field is there in the first frame (no blank frame, no loading line)");
    const moved = samples.filter((s) => s.ak !== first.ak || s.gen !== first.gen);
    assert.deepEqual(moved, [], `fields moved after the first frame (first: ${JSON.stringify(first)})`);
  } finally {
    await b.deleteSession();
  }
});

test("a saved key pair survives a restart and the SecretKey stays in the keychain", async () => {
  let b = await driver.session();
  try {
    await (await b.$('[data-testid="nav-settings"]')).waitForClickable({ timeout: 20000 });
    await b.$('[data-testid="nav-settings"]').click();
    await b.$('[data-testid="region-cn"]').parentElement().click();
    await b.$('[data-testid="access-key"]').setValue(AK);
    await b.$('[data-testid="secret-key"]').setValue(SK);
    await b.$('[data-testid="save-account"]').click();
    const stored = await b.$('[data-testid="secret-stored"]');
    await stored.waitForDisplayed({ timeout: 15000 });
    assert.match(await stored.getText(), /SecretKey stored/);
    assert.equal(await b.$('[data-testid="secret-key"]').getValue(), "", "secret field cleared");
    const html = await b.getPageSource();
    assert.ok(!html.includes(SK), "the SecretKey is not in the page");
    await screenshot(b, "settings-saved");
  } finally {
    await b.deleteSession();
  }

  // The pair is in the real Secret Service, not in a file of the app.
  const item = keyringLookup("TerraDesk", "cn");
  assert.ok(item && item.includes(SK), "gnome-keyring holds the SecretKey");

  // Restart: a new app process reads it back.
  b = await driver.session();
  try {
    await (await b.$('[data-testid="nav-settings"]')).waitForClickable({ timeout: 20000 });
    await b.$('[data-testid="nav-settings"]').click();
    const stored = await b.$('[data-testid="secret-stored"]');
    await stored.waitForDisplayed({ timeout: 15000 });
    assert.match(await stored.getText(), /SecretKey stored/);
    assert.equal(await b.$('[data-testid="access-key"]').getValue(), AK);
    assert.equal(await b.$('[data-testid="secret-key"]').getValue(), "");
    assert.ok(await b.$('[data-testid="region-cn"]').isSelected(), "China region still chosen");
    assert.ok(!(await b.getPageSource()).includes(SK));
    await screenshot(b, "settings-after-restart");

    // Delete removes it from the keychain.
    // The layout settles once the account has loaded; click as a user would until it asks.
    const del = await b.$('[data-testid="delete-account"]');
    await b.waitUntil(
      async () => {
        await del.click();
        return (await del.getAttribute("aria-expanded")) === "true";
      },
      { timeout: 10000, interval: 500 },
    );
    const confirm = await b.$('[data-testid="confirm-delete"]');
    await confirm.waitForDisplayed({ timeout: 10000 });
    await confirm.click();
    await b.waitUntil(async () => !(await b.$('[data-testid="secret-stored"]').isExisting()), { timeout: 10000 });
  } finally {
    await b.deleteSession();
  }
  assert.equal(keyringLookup("TerraDesk", "cn"), null, "deleted from gnome-keyring");
});
