import { render, screen } from "@testing-library/svelte";
import { get } from "svelte/store";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "../App.svelte";
import { dictionaries, detectLocale, formatDuration, locale, pickLocale, setLocale, translate } from "./i18n";

afterEach(() => setLocale("en"));

describe("i18n", () => {
  it("chooses Simplified Chinese for zh-CN and other zh tags", () => {
    expect(pickLocale("zh-CN")).toBe("zh-CN");
    expect(pickLocale("zh")).toBe("zh-CN");
    expect(pickLocale("zh-Hans-CN")).toBe("zh-CN");
    expect(pickLocale("zh_TW")).toBe("zh-CN");
  });

  it("falls back to English", () => {
    expect(pickLocale("en-US")).toBe("en");
    expect(pickLocale("de-DE")).toBe("en");
    expect(pickLocale("")).toBe("en");
    expect(pickLocale(undefined)).toBe("en");
  });

  it("follows navigator.language", () => {
    vi.spyOn(navigator, "language", "get").mockReturnValue("zh-CN");
    expect(detectLocale()).toBe("zh-CN");
    vi.spyOn(navigator, "language", "get").mockReturnValue("en-GB");
    expect(detectLocale()).toBe("en");
  });

  it("has every English string in Chinese too", () => {
    const en = Object.keys(dictionaries.en).sort();
    const zh = Object.keys(dictionaries["zh-CN"]).sort();
    expect(zh).toEqual(en);
    for (const key of zh) expect(dictionaries["zh-CN"][key as keyof typeof dictionaries.en]).not.toBe("");
  });

  it("fills in parameters", () => {
    expect(translate("en", "status.saved", { region: "China" })).toBe("Keys saved for China.");
    expect(translate("zh-CN", "status.saved", { region: "中国" })).toBe("已保存“中国”的密钥。");
  });

  it("formats durations", () => {
    expect(formatDuration(42)).toBe("42 s");
    expect(formatDuration(1800)).toBe("30 min");
    expect(formatDuration(7500)).toBe("2 h 5 min");
  });

  it("renders the app in Chinese and sets <html lang>", () => {
    setLocale("zh-CN");
    expect(get(locale)).toBe("zh-CN");
    render(App);
    expect(screen.getByTestId("nav-jobs")).toHaveTextContent("任务");
    expect(screen.getByTestId("nav-new-job")).toHaveTextContent("新建任务");
    expect(screen.getByTestId("nav-settings")).toHaveTextContent("设置");
    expect(document.documentElement.lang).toBe("zh-CN");
  });
});
