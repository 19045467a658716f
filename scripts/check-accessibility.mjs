// Runs axe-core (WCAG 2.0/2.1 A and AA rules) on report.html files in headless Chromium, at
// normal size and at 200% zoom, and prints every violation; exits 1 if there is any. Also
// saves a screenshot and a print (PDF) of each report beside this script's output folder.
// Used by scripts/check-accessibility.sh, which installs axe-core and puppeteer-core. Chromium
// runs headless with --no-sandbox and without background networking, updates or sync.
import puppeteer from "puppeteer-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const [outDir, ...reports] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let violations = 0;
for (const report of reports) {
  const name = path.basename(path.dirname(path.resolve(report)));
  for (const zoom of [1, 2]) {
    const page = await browser.newPage();
    // 200% zoom: a 1280 px window shows the page as 640 CSS px at twice the size.
    await page.setViewport({ width: 1280, height: 900, deviceScaleFactor: zoom });
    if (zoom === 2) await page.setViewport({ width: 640, height: 450, deviceScaleFactor: 2 });
    await page.goto("file://" + path.resolve(report), { waitUntil: "load" });
    await page.addScriptTag({ content: axeSource });
    const result = await page.evaluate(async () =>
      await window.axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      }));
    for (const v of result.violations) {
      violations += 1;
      console.log(`${name} (zoom ${zoom * 100}%): ${v.id} [${v.impact}] ${v.help}`);
      for (const node of v.nodes.slice(0, 5)) console.log(`    ${node.target.join(" ")}: ${node.failureSummary.split("\n").join(" ")}`);
    }
    console.log(`${name} (zoom ${zoom * 100}%): ${result.violations.length} violations, ${result.passes.length} rules passed`);
    if (zoom === 1) {
      await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: false });
      await page.pdf({ path: path.join(outDir, `${name}.pdf`), format: "A4", printBackground: true });
      // The print as the PDF lays it out, as an image to look at (print stylesheet: no
      // navigation, no figure-data disclosures, nothing split inside a table or figure).
      await page.emulateMediaType("print");
      await page.setViewport({ width: 794, height: 1123, deviceScaleFactor: 1 });
      await page.screenshot({ path: path.join(outDir, `${name}-print.png`), fullPage: false });
      await page.emulateMediaType("screen");
    } else {
      const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      if (wide) {
        violations += 1;
        console.log(`${name} (zoom 200%): the page scrolls sideways (WCAG 1.4.10 reflow)`);
      }
      await page.screenshot({ path: path.join(outDir, `${name}-200.png`), fullPage: false });
    }
    await page.close();
  }
}
await browser.close();
process.exit(violations > 0 ? 1 : 0);
