import { describe, expect, it } from "vitest";
import { CODES } from "./bindings";
import { codeText, errorText, eventText } from "./describe";
import { codesEn, codesZh } from "./messages/codes";

describe("codes", () => {
  it("every error and timeline code the core sends has English and Chinese words", () => {
    const all = [...CODES.errors, ...CODES.notes];
    expect(all.length).toBeGreaterThan(60);
    const missing = all.filter((c) => !(c in codesEn) || !(c in codesZh));
    expect(missing).toEqual([]);
    // And no words for codes the core no longer has.
    const stale = Object.keys(codesEn).filter((c) => !all.includes(c as never));
    expect(stale).toEqual([]);
    expect(Object.keys(codesZh).sort()).toEqual(Object.keys(codesEn).sort());
  });

  it("fills parameters, translating kinds, states, regions, sizes and clock offsets", () => {
    expect(codeText("en", "dataset.too_few_photos", { kind: "map2d", photos: 4, min: 10 })).toBe("A 2D map needs at least 10 photos; the folder has 4.");
    expect(codeText("zh-CN", "dataset.too_few_photos", { kind: "map2d", photos: 4, min: 10 })).toBe("二维地图至少需要 10 张照片；此文件夹只有 4 张。");
    expect(codeText("en", "auth.clock_skew", { offsetSecs: 600 })).toContain("is 10 min ahead of the server's");
    expect(codeText("zh-CN", "auth.no_keys", { region: "cn" })).toContain("中国区域");
    expect(codeText("en", "dataset.lidar_too_large", { bytes: 52_000_000_000, max: 48_000_000_000 })).toContain("at most 48 GB; the folder holds 52 GB");
    expect(codeText("en", "no.such.code", {})).toBeNull();
  });

  it("falls back to the core's English words for what it cannot name, and uses the page's own words for its own errors", () => {
    expect(errorText({ code: "internal", params: { local: true }, message: "Open this screen in the desktop app." }, "zh-CN")).toBe("Open this screen in the desktop app.");
    expect(eventText({ at: 0, state: "uploading", code: null, params: {}, message: "Written by an older version" }, "zh-CN")).toBe("Written by an older version");
    expect(eventText({ at: 0, state: "uploading", code: "note.server_status", params: { status: "executing" }, message: "" }, "zh-CN")).toBe("服务器：处理中");
  });
});
