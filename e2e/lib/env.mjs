// What the browser tests run against: set by e2e/run.sh (the real node on a free port).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Centre C001, the app under test. */
export const BASE_URL = process.env.ATTAKA_E2E_BASE_URL ?? 'http://127.0.0.1:8081';
/** The prefecture hub C001 and C002 deliver to (the same demo accounts exist there). */
export const HUB_URL = process.env.ATTAKA_E2E_HUB_URL ?? 'http://127.0.0.1:8080';
/** Centre C002, a second centre node (its demo accounts `staff`/`manager` belong to C002). */
export const C002_URL = process.env.ATTAKA_E2E_C002_URL ?? 'http://127.0.0.1:8082';
export const CHROMIUM = process.env.ATTAKA_E2E_CHROMIUM ?? '/usr/bin/chromium';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');
/** PNGs of the main screens, committed and shown in the README. */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'docs', 'screenshots');
/** Anything a failing run leaves behind for a human (git-ignored). */
export const ARTIFACT_DIR = path.join(REPO_ROOT, 'e2e', 'artifacts');

/** Demo accounts created by `attaka demo` (centre node C001, あったかふれあいセンター 春野). */
export const ACCOUNTS = {
  staff: { username: 'staff', password: 'demo-staff-2024' },
  manager: { username: 'manager', password: 'demo-manager-2024' },
  pref: { username: 'pref', password: 'demo-pref-2024' },
  city: { username: 'kochi-city', password: 'demo-city-2024' },
  operator: { username: 'operator', password: 'demo-operator-2024' },
};

/** Today's date in Japan (the server refuses activities in the future, Asia/Tokyo). */
export function todayJst() {
  return new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
}

/** The 年度 a date (YYYY-MM-DD) falls in: April to March. */
export function fiscalYearOf(isoDate) {
  const [y, m] = isoDate.split('-').map(Number);
  return m >= 4 ? y : y - 1;
}

/** A short suffix that makes names unique to this run. */
export const RUN_ID = Date.now().toString(36).slice(-5);
