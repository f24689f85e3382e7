/**
 * What each run used, as pictures, in a real JupyterLab with a real kernel and Docker: a parent task
 * whose two nested calls run in their own containers, and an OOM-killed call. `%flyte_timeline` draws
 * them in the cell (SVG), the sidebar's timeline draws the same rows (React SVG), nested calls under
 * their parent, each with its peak memory and CPU time; rows are reachable by keyboard, and the
 * figures' text reaches WCAG AA (4.5:1) in the light and the dark theme. Screenshots go to
 * ui-tests/artifacts/.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as path from 'path';

import { runLast } from './notebook';

const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');

const TASKS = `%load_ext flyte_nb
import flyte_nb as flyte

tl_env = flyte.TaskEnvironment(name="tl_env", resources=flyte.Resources(cpu=1, memory="1Gi"))

@tl_env.task
def load(mib: int) -> int:
    import time
    block = b"1" * (mib * 2**20)
    time.sleep(0.5)
    return len(block) // 2**20

@tl_env.task
def pipeline(mib: int) -> int:
    return load(mib) + load(2 * mib)

total = pipeline(40)
try:
    load.override(resources=flyte.Resources(memory="64Mi"))(300)
except flyte.errors.OOMError:
    print("the small one ran out of memory")
`;

/** The lowest contrast of the SVG texts under `selector`: their fill against the page behind them. */
async function lowestTextContrast(page: IJupyterLabPageFixture, selector: string): Promise<number> {
  return page.evaluate(sel => {
    const canvas = document.createElement('canvas').getContext('2d')!;
    const rgb = (css: string): number[] => {
      canvas.clearRect(0, 0, 1, 1);
      canvas.fillStyle = '#000';
      canvas.fillStyle = css;
      canvas.fillRect(0, 0, 1, 1);
      return Array.from(canvas.getImageData(0, 0, 1, 1).data);
    };
    const back = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const c = rgb(getComputedStyle(el).backgroundColor);
        if (c[3] === 255) {
          return c;
        }
      }
      return [255, 255, 255, 255];
    };
    const lum = (c: number[]): number =>
      c
        .slice(0, 3)
        .map(v => (v / 255 <= 0.03928 ? v / 255 / 12.92 : Math.pow((v / 255 + 0.055) / 1.055, 2.4)))
        .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    let lowest = 21;
    for (const text of Array.from(document.querySelectorAll(`${sel} text`))) {
      const bg = back(text.closest('svg')!.parentElement);
      const fill = rgb(getComputedStyle(text).fill);
      const a = fill[3] / 255;
      const fg = fill.slice(0, 3).map((v, i) => v * a + bg[i] * (1 - a));
      const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      lowest = Math.min(lowest, (hi + 0.05) / (lo + 0.05));
    }
    return Math.round(lowest * 100) / 100;
  }, selector);
}

async function setTheme(page: IJupyterLabPageFixture, theme: string, light: boolean): Promise<void> {
  await page.evaluate(t => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: t }), theme);
  await expect(page.locator(`body[data-jp-theme-light="${light}"]`)).toBeAttached();
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0);
  await page.waitForTimeout(500); // the theme's stylesheet is applied
}

test.use({ autoGoto: true, kernels: null, viewport: { width: 1280, height: 800 } });

test('timeline: nested calls under their parent with what each used, in the cell and the sidebar', async ({ page }) => {
  await page.notebook.createNew('timeline.ipynb');
  await page.locator('.jp-SideBar [data-id="flyte-nb-sidebar"]').click();
  await runLast(page, TASKS);
  await page.notebook.addCell('code', '');
  await runLast(page, '%flyte_timeline');

  // The cell: one SVG, four runs, the two nested loads one level in, the OOM kill at its limit.
  const cell = page.locator('.jp-OutputArea-output svg.flyte-nb-timeline').last();
  await expect(cell).toBeVisible({ timeout: 240 * 1000 });
  await expect(cell.locator('g.flyte-nb-run')).toHaveCount(4);
  await expect(cell).toContainText('tl_env.pipeline');
  await expect(cell).toContainText(/peak \d+(\.\d)? MiB of 1 GiB, \d+\.\d CPU-s/);
  await expect(cell).toContainText('peak reached 64 MiB of 64 MiB');
  await expect(cell.locator('path')).toHaveCount(2); // two nested calls, two elbows

  // The sidebar: the same rows, nested by depth, each with its figures; a row opens its run by keyboard.
  const rows = page.locator('#flyte-nb-sidebar .jp-flyte-nb-timeline-row');
  await expect(rows).toHaveCount(4, { timeout: 60 * 1000 });
  await expect(rows.nth(0)).toHaveAttribute('data-depth', '0');
  await expect(rows.nth(1)).toHaveAttribute('data-depth', '1');
  await expect(rows.nth(2)).toHaveAttribute('data-depth', '1');
  await expect(rows.nth(3)).toHaveAttribute('data-status', 'oom');
  await expect(rows.nth(1)).toHaveAttribute('aria-label', /tl_env\.load r\d+: succeeded, peak \d+/);
  await expect(rows.nth(3)).toContainText('64 MiB / 64 MiB');
  await expect(rows.nth(3)).toHaveAttribute('aria-label', /try resources=flyte\.Resources\(memory='128Mi'\)/);

  const timeline = page.locator('#flyte-nb-sidebar .jp-flyte-nb-timeline');
  await timeline.scrollIntoViewIfNeeded();
  expect(await lowestTextContrast(page, '#flyte-nb-sidebar .jp-flyte-nb-timeline')).toBeGreaterThanOrEqual(4.5);
  expect(await lowestTextContrast(page, '.jp-OutputArea-output')).toBeGreaterThanOrEqual(4.5);
  await timeline.screenshot({ path: path.join(ARTIFACTS, 'timeline-sidebar-light.png') });
  await cell.screenshot({ path: path.join(ARTIFACTS, 'timeline-cell-light.png') });

  await rows.nth(1).focus();
  await page.keyboard.press('Enter');
  const runId = (await rows.nth(1).getAttribute('data-run'))!;
  await expect(page.locator(`.jp-flyte-nb-run-detail[data-run="${runId}"]`).first()).toBeVisible();
  await page.activity.activateTab('timeline.ipynb');

  await setTheme(page, 'JupyterLab Dark', false);
  expect(await lowestTextContrast(page, '#flyte-nb-sidebar .jp-flyte-nb-timeline')).toBeGreaterThanOrEqual(4.5);
  expect(await lowestTextContrast(page, '.jp-OutputArea-output')).toBeGreaterThanOrEqual(4.5);
  await timeline.screenshot({ path: path.join(ARTIFACTS, 'timeline-sidebar-dark.png') });
  await cell.screenshot({ path: path.join(ARTIFACTS, 'timeline-cell-dark.png') });
  await setTheme(page, 'JupyterLab Light', true);
});
