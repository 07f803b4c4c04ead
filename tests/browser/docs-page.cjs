// Loads the API reference in headless Chromium (Debian's, driven by the pinned playwright-core)
// and prints, as JSON, what a reader of the page sees: the operations it lists (every tag's list
// opened), the requests the page tried to make anywhere but its own origin and how each ended,
// and any script error. tests/tests/docs_page.rs holds that against the route table.
//
// Usage: node tests/browser/docs-page.cjs URL [OPERATIONS]   (CHROMIUM overrides /usr/bin/chromium)
// With OPERATIONS, it waits (up to 30 s) until the page lists that many: the renderer draws its
// tags' lists one after another, and a busy machine may still be drawing the last ones.
'use strict';

const { chromium } = require('playwright-core');

async function main(url, expected) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    const origin = new URL(url).origin;
    const offsite = new Map();
    const local = (address) => address.startsWith(origin) || /^(data|blob|about):/.test(address);
    page.on('request', (request) => {
      if (!local(request.url())) offsite.set(request.url(), 'pending');
    });
    page.on('requestfailed', (request) => {
      if (!local(request.url())) offsite.set(request.url(), `failed: ${request.failure()?.errorText}`);
    });
    page.on('requestfinished', (request) => {
      if (!local(request.url())) offsite.set(request.url(), 'fetched');
    });
    const errors = [];
    page.on('pageerror', (error) => errors.push(String(error)));

    const response = await page.goto(url, { waitUntil: 'load' });
    const operation = '[data-component-name="Tag/Tag"]';
    await page.waitForSelector(operation, { timeout: 30000 });
    // A tag's list shows its first operations and a "Show N more" button for the rest: opened,
    // as they are drawn, until the page lists what is expected (or has stopped drawing).
    const deadline = Date.now() + 30000;
    for (;;) {
      for (const more of await page.getByText(/^Show \d+ more/).all()) {
        await more.click();
      }
      const listed = await page.$$eval(operation, (methods) => methods.length);
      const opened = await page.evaluate(() => !/Show \d+ more/.test(document.body.innerText));
      if ((opened && listed >= expected) || Date.now() > deadline) break;
      await page.waitForTimeout(200);
    }
    const operations = await page.$$eval(operation, (methods) => methods.map((method) => {
      const row = method.parentElement;
      return {
        method: method.textContent.trim().toUpperCase(),
        path: row.textContent.trim().slice(method.textContent.trim().length).trim(),
        visible: row.offsetWidth > 0 && row.offsetHeight > 0,
      };
    }));
    const title = await page.title();
    // Images the reader would see broken: not loaded, or loaded as nothing.
    const brokenImages = await page.$$eval('img', (images) => images
      .filter((image) => !image.complete || image.naturalWidth === 0)
      .filter((image) => image.offsetWidth > 0 || image.offsetHeight > 0 || image.getClientRects().length > 0)
      .map((image) => image.currentSrc || image.src));
    const attribution = await page.$$eval('a[href^="https://redocly.com"]', (links) => links
      .filter((link) => link.offsetWidth > 0 && link.offsetHeight > 0)
      .map((link) => link.textContent.trim()));
    return {
      status: response.status(),
      contentType: response.headers()['content-type'] || '',
      title,
      operations,
      offsite: [...offsite].map(([address, outcome]) => ({ url: address, outcome })),
      brokenImages,
      attribution,
      errors,
    };
  } finally {
    await browser.close();
  }
}

main(process.argv[2], Number(process.argv[3] || 0)).then(
  (result) => console.log(JSON.stringify(result)),
  (error) => { console.error(error); process.exit(1); },
);
