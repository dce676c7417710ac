// focus.mjs - where the focus is, read until it holds: the app moves the focus in an effect (a
// frame or so after the update that asks for it), so a test that reads it once races the app.
import assert from 'node:assert/strict';

/**
 * Reads `read` (a function run in the page, with `arg`) until it gives `expected` or `ms` pass,
 * then asserts the last reading, so a failure shows what had the focus.
 */
export async function expectFocus(page, read, expected, message, { arg, ms = 10000 } = {}) {
  const until = Date.now() + ms;
  for (;;) {
    const actual = await page.evaluate(read, arg);
    if (actual === expected || Date.now() > until) {
      assert.equal(actual, expected, message);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}
