import { describe, expect, it } from "vitest";
import { baseName, formatBytes, formatDateTime, formatEta, formatPercent, formatServerEta, formatSpeed } from "./format";
import { setLocale } from "./i18n";

describe("format", () => {
  it("sizes in decimal units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1234)).toBe("1.23 KB");
    expect(formatBytes(48_300_000)).toBe("48.3 MB");
    expect(formatBytes(48_000_000_000)).toBe("48 GB");
    expect(formatBytes(123_456_789_012)).toBe("123 GB");
    expect(formatBytes(400_000)).toBe("400 KB");
    expect(formatBytes(100_000_000)).toBe("100 MB");
    expect(formatBytes(1_500_000)).toBe("1.5 MB");
    expect(formatBytes(20_000_000)).toBe("20 MB");
  });

  it("speeds in MB/s", () => {
    expect(formatSpeed(3_400_000)).toBe("3.4 MB/s");
    expect(formatSpeed(52_000)).toBe("52 KB/s");
    expect(formatSpeed(0)).toBe("0 KB/s");
  });

  it("percentages, clamped", () => {
    expect(formatPercent(0.4213)).toBe("42%");
    expect(formatPercent(1.2)).toBe("100%");
    expect(formatPercent(null)).toBe("0%");
  });

  it("time left, in both languages", () => {
    expect(formatEta(180)).toBe("about 3 min left");
    expect(formatEta(null)).toBeNull();
    expect(formatServerEta(240)).toBe("server estimates 4 min left");
    expect(formatServerEta(0)).toBeNull();
    setLocale("zh-CN");
    expect(formatEta(180)).toBe("预计还需 3 分钟");
    expect(formatServerEta(240)).toBe("服务器预计还需 4 分钟");
  });

  it("dates in the UI's language", () => {
    const at = Date.UTC(2025, 10, 27, 12, 0) / 1000;
    expect(formatDateTime(at, "en")).toMatch(/27 Nov 2025/);
    expect(formatDateTime(at, "zh-CN")).toMatch(/^2025\/11\/27 /);
  });

  it("folder names from paths", () => {
    expect(baseName("/data/field-7/")).toBe("field-7");
    expect(baseName("C:\\Surveys\\Block A")).toBe("Block A");
  });
});
