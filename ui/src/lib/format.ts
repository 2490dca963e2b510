// Numbers, sizes, speeds, durations and dates as a survey operator reads them.
// Sizes use decimal units (1 GB = 10^9 bytes), as the backend's limits do ("≤ 48 GB").

import { formatDuration, tr, type Locale } from "./i18n";

export { formatDuration };

const UNITS = ["B", "KB", "MB", "GB", "TB", "PB"] as const;

/** 0 → "0 B", 1234 → "1.2 KB", 48_000_000_000 → "48 GB". */
export function formatBytes(bytes: number | null | undefined): string {
  const n = Math.max(0, Number(bytes) || 0);
  if (n < 1000) return `${Math.round(n)} B`;
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  // Three significant digits at most: 1.23 GB, 12.3 GB, 123 GB.
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  const fixed = value.toFixed(digits);
  // "1.50" → "1.5", "2.00" → "2"; whole numbers ("400") stay as they are.
  const text = fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
  return `${text} ${UNITS[unit]}`;
}

/** Bytes per second → "3.4 MB/s". */
export function formatSpeed(bytesPerSecond: number | null | undefined): string {
  const n = Math.max(0, Number(bytesPerSecond) || 0);
  const mb = n / 1e6;
  if (mb >= 0.1) return `${mb >= 100 ? mb.toFixed(0) : mb.toFixed(1)} MB/s`;
  return `${(n / 1e3).toFixed(0)} KB/s`;
}

/** 0.4213 → "42%". Values outside 0..1 are clamped. */
export function formatPercent(fraction: number | null | undefined): string {
  return `${Math.round(clamp01(fraction) * 100)}%`;
}

export function clamp01(fraction: number | null | undefined): number {
  const f = Number(fraction);
  if (!Number.isFinite(f)) return 0;
  return Math.min(1, Math.max(0, f));
}

/** "about 3 min left" (upload ETA). */
export function formatEta(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return null;
  if (seconds < 1) return tr("eta.almostDone");
  return tr("eta.left", { duration: formatDuration(seconds) });
}

/** "server estimates 4 min left". */
export function formatServerEta(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return null;
  return tr("eta.server", { duration: formatDuration(seconds) });
}

/** Whole numbers with the locale's grouping: 12000 → "12,000". */
export function formatCount(n: number, locale: Locale): string {
  return new Intl.NumberFormat(locale).format(n);
}

/** Unix seconds → "27 Nov 2025, 21:04" (English) or "2025/11/27 21:04" (Chinese). */
export function formatDateTime(unixSeconds: number, locale: Locale): string {
  return new Intl.DateTimeFormat(locale === "zh-CN" ? "zh-CN" : "en-GB", {
    dateStyle: locale === "zh-CN" ? "short" : "medium",
    timeStyle: "short",
  }).format(new Date(unixSeconds * 1000));
}

/** Unix seconds → "21:04:12". */
export function formatTime(unixSeconds: number, locale: Locale): string {
  return new Intl.DateTimeFormat(locale === "zh-CN" ? "zh-CN" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).format(new Date(unixSeconds * 1000));
}

/** The last part of a path: "/data/field-7/" → "field-7" (either separator). */
export function baseName(path: string): string {
  const parts = path.replace(/[\\/]+$/, "").split(/[\\/]/);
  return parts[parts.length - 1] || path;
}
