// What the print scenarios share: laying a page out as on A4 paper, counting a PDF's pages,
// finding cells squeezed to a character a line, and reading the print stylesheet's @page rules.
import { VIEWPORT } from './browser.mjs';

/** Page count of a PDF made by `page.pdf`. */
export function pdfPages(buffer) {
  return (buffer.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? []).length;
}

/** Whether every page of a PDF made by `page.pdf` is portrait (taller than wide). */
export function pdfPortrait(buffer) {
  const boxes = [...buffer.toString('latin1').matchAll(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/g)];
  return boxes.length > 0 && boxes.every((b) => Number(b[1]) < Number(b[2]));
}

/** Lays the page out as on A4 paper (print media, 794 px wide) for `fn`, then restores it. */
export async function asPrinted(page, fn) {
  await page.emulateMedia({ media: 'print' });
  await page.setViewportSize({ width: 794, height: 1123 });
  try {
    return await fn();
  } finally {
    await page.emulateMedia({ media: 'screen' });
    await page.setViewportSize(VIEWPORT);
  }
}

/**
 * Cells (with more than one character) narrower than two characters, and cells whose text runs
 * out of them, inside `selector`; `cells` says what a cell is (table cells by default).
 */
export async function squeezedCells(page, selector, cells = 'th, td') {
  return page.evaluate(
    ({ selector, cells }) => {
      const out = { narrow: [], overflowing: [], count: 0 };
      for (const root of document.querySelectorAll(selector)) {
        for (const c of root.querySelectorAll(cells)) {
          if (c.textContent.trim().length < 2 || c.getClientRects().length === 0) continue;
          out.count += 1;
          const fontSize = parseFloat(getComputedStyle(c).fontSize);
          const width = c.getBoundingClientRect().width;
          if (width < fontSize * 2) out.narrow.push(`${c.textContent.trim()} (${width.toFixed(1)}px)`);
          if (c.scrollWidth > c.clientWidth + 1) out.overflowing.push(c.textContent.trim());
        }
      }
      return out;
    },
    { selector, cells },
  );
}

/** The text of every @page rule of the page's stylesheets (Chromium writes `A4 portrait` as `a4`). */
export async function pageRules(page) {
  return page.evaluate(() => {
    const found = [];
    const walk = (rules) => {
      for (const rule of rules) {
        if (rule.cssRules) walk(rule.cssRules);
        if (rule.constructor.name === 'CSSPageRule') found.push(rule.cssText);
      }
    };
    for (const sheet of document.styleSheets) walk(sheet.cssRules);
    return found;
  });
}
