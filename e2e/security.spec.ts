/**
 * The page reaches nothing but its own origin: every request of a whole session (load, model, image,
 * feature maps, projection) is recorded and checked, and the built page carries a Content-Security-Policy
 * that allows no remote scripts.
 */
import { expect, test } from '@playwright/test';
import { dropFile, makePng, servedSpec, MAP_LAYER_TYPES, waitIdle, expectRealPicture } from './helpers';

test('a whole session requests nothing outside the page origin, under a strict CSP', async ({
  page,
  baseURL,
}) => {
  const origin = new URL(baseURL ?? 'http://localhost').origin;
  const requests: string[] = [];
  const violations: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  page.on('worker', (w) =>
    w.on('console', (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) violations.push(m.text());
    }),
  );

  await page.goto('/?backend=wasm');
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toContain("default-src 'self'");
  expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval'(;|$)/);

  await expect(page.getByTestId('model-name')).toHaveText(servedSpec().name);
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await dropFile(page, 'probe.png', 'image/png', makePng());
  await expect(page.getByTestId('image-caption')).toContainText('probe.png');
  await waitIdle(page);
  const layer = servedSpec().layers.find((l) => MAP_LAYER_TYPES.has(l.type))!.name;
  await page.getByTestId('layer-select').selectOption(layer);
  await waitIdle(page);
  await page.getByTestId(`fmap-${layer}-0`).click();
  await waitIdle(page);
  await expectRealPicture(page, 'projection-canvas');

  expect(requests.length).toBeGreaterThan(3);
  const foreign = requests.filter((u) => {
    if (u.startsWith('data:') || u.startsWith('blob:')) return false;
    return new URL(u).origin !== origin;
  });
  expect(foreign).toEqual([]);
  expect(violations).toEqual([]);
});
