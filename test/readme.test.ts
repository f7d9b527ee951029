import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { renderReadme } from '../scripts/config-table.ts';

it('README documents every configuration variable with its real default (pnpm docs:config)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(renderReadme(readme)).toBe(readme);
  expect(readme).toMatch(/pnpm install --frozen-lockfile && pnpm start/);
  expect(readme).toMatch(/pnpm install --frozen-lockfile && pnpm test/);
});
