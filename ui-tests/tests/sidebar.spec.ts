/**
 * The flyte_nb sidebar in a real JupyterLab with a real kernel, its task run in Docker, at a
 * 320 px sidebar in a 1280x800 window: empty state, tree, one row per parameter with its levels
 * behind a disclosure, typed forms (JupyterLab's FormComponent) validated by the kernel, a
 * session override's badge, a run in a main-area tab that reopens after closing, Insert code run
 * as a new cell, keyboard reach, WCAG AA contrast measured in the light and the dark theme, and
 * a kernel restart. Screenshots go to ui-tests/artifacts/.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';

import { runLast } from './notebook';

const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');
const SIDEBAR_WIDTH = 320;

// env_2, not ui_env: Insert code must keep the notebook's own variable name.
const DEFINE = `%load_ext flyte_nb
import flyte_nb as flyte

env_2 = flyte.TaskEnvironment(name="ui_env", resources=flyte.Resources(cpu=1, memory="256Mi"))

@env_2.task(retries=1, report=True)
async def greet(name: str) -> str:
    from flyte_nb import report
    print("greeting", name, flush=True)
    report.log(f"<h1 id='greeting'>Hello {name}</h1>", do_flush=True)
    return f"Hello {name}!"
`;

/** Drag the handle between the main area and the right panel until the panel is `width` wide. */
async function setRightPanelWidth(page: IJupyterLabPageFixture, width: number): Promise<void> {
  const panel = await page.locator('#jp-right-stack').boundingBox();
  const handle = await page
    .locator('#jp-main-split-panel > .lm-SplitPanel-handle:not(.lm-mod-hidden)')
    .last()
    .boundingBox();
  expect(panel && handle).toBeTruthy();
  const y = handle!.y + handle!.height / 2;
  await page.mouse.move(handle!.x + handle!.width / 2, y);
  await page.mouse.down();
  await page.mouse.move(handle!.x + handle!.width / 2 - (width - panel!.width), y, { steps: 5 });
  await page.mouse.up();
}

function sidebar(page: IJupyterLabPageFixture): Locator {
  return page.locator('#flyte-nb-sidebar');
}

function row(page: IJupyterLabPageFixture, parameter: string): Locator {
  return sidebar(page).locator(`.jp-flyte-nb-param[data-parameter="${parameter}"]`);
}

function levelEditor(page: IJupyterLabPageFixture, parameter: string, level: string): Locator {
  return sidebar(page).locator(`.jp-flyte-nb-level-editor[data-parameter="${parameter}"][data-level="${level}"]`);
}

/** Open a parameter's levels from the keyboard (its row head is a disclosure button). */
async function expand(page: IJupyterLabPageFixture, parameter: string): Promise<void> {
  const head = row(page, parameter).locator('.jp-flyte-nb-param-head');
  if ((await head.getAttribute('aria-expanded')) !== 'true') {
    await head.focus();
    await page.keyboard.press('Enter');
  }
  await expect(head).toHaveAttribute('aria-expanded', 'true');
}

interface ILowContrast {
  text: string;
  ratio: number;
  color: string;
  background: string;
}

/**
 * WCAG contrast of every visible text (text nodes and form controls' values) under `selector`,
 * from the rendered colours: the text colour blended over the stacked backgrounds behind it.
 * Disabled controls are exempt (WCAG 1.4.3); everything else must reach `minimum`.
 */
async function lowContrast(page: IJupyterLabPageFixture, selector: string, minimum = 4.5): Promise<ILowContrast[]> {
  return page.evaluate(
    ([sel, min]) => {
      type RGBA = [number, number, number, number];
      const canvas = document.createElement('canvas').getContext('2d')!;
      const parse = (css: string): RGBA => {
        canvas.clearRect(0, 0, 1, 1);
        canvas.fillStyle = '#000';
        canvas.fillStyle = css;
        canvas.fillRect(0, 0, 1, 1);
        const [r, g, b, a] = canvas.getImageData(0, 0, 1, 1).data;
        return [r, g, b, a / 255];
      };
      const over = (fg: RGBA, bg: RGBA): RGBA => [
        fg[0] * fg[3] + bg[0] * (1 - fg[3]),
        fg[1] * fg[3] + bg[1] * (1 - fg[3]),
        fg[2] * fg[3] + bg[2] * (1 - fg[3]),
        1
      ];
      const background = (el: Element): RGBA => {
        const layers: RGBA[] = [];
        for (let e: Element | null = el; e; e = e.parentElement) {
          const c = parse(getComputedStyle(e).backgroundColor);
          if (c[3] > 0) {
            layers.push(c);
            if (c[3] >= 1) {
              break;
            }
          }
        }
        return layers.reverse().reduce((bg, layer) => over(layer, bg), [255, 255, 255, 1] as RGBA);
      };
      const luminance = (c: RGBA): number => {
        const [r, g, b] = c.slice(0, 3).map(v => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const found: { text: string; ratio: number; color: string; background: string }[] = [];
      const root = document.querySelector(sel as string);
      if (!root) {
        return [{ text: `nothing matches ${sel}`, ratio: 0, color: '', background: '' }];
      }
      for (const el of Array.from(root.querySelectorAll('*'))) {
        const control = el instanceof HTMLInputElement || el instanceof HTMLSelectElement;
        const own = Array.from(el.childNodes)
          .filter(n => n.nodeType === Node.TEXT_NODE)
          .map(n => n.textContent ?? '')
          .join('')
          .trim();
        const text = control ? (el as HTMLInputElement).value : own;
        if (!text || el.getClientRects().length === 0 || (el as HTMLInputElement).type === 'checkbox') {
          continue;
        }
        if ((el as HTMLInputElement).disabled || el.closest(':disabled, [aria-hidden="true"]')) {
          continue;
        }
        const style = getComputedStyle(el);
        if (style.visibility === 'hidden' || Number(style.opacity) === 0) {
          continue;
        }
        const bg = background(el);
        const fg = over(parse(style.color), bg);
        const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
        const ratio = (hi + 0.05) / (lo + 0.05);
        if (ratio < (min as number)) {
          found.push({ text: text.slice(0, 40), ratio: Math.round(ratio * 100) / 100, color: style.color, background: `rgb(${bg.slice(0, 3).map(Math.round).join(',')})` });
        }
      }
      return found;
    },
    [selector, minimum] as const
  );
}

async function setTheme(page: IJupyterLabPageFixture, theme: string, light: boolean): Promise<void> {
  await page.evaluate(t => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: t }), theme);
  await expect(page.locator(`body[data-jp-theme-light="${light}"]`)).toBeAttached();
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0); // the theme change's splash is gone
  // The theme's colours are in effect on the sidebar itself (luminance of its background).
  await expect
    .poll(() =>
      page.evaluate(() => {
        const [r, g, b] = getComputedStyle(document.querySelector('#flyte-nb-sidebar')!)
          .backgroundColor.match(/\d+/g)!
          .map(Number);
        return r + g + b > 384;
      })
    )
    .toBe(light);
  await page.evaluate(() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done))));
}

// kernels: null: galata's kernel API mock answers every POST with 201, which breaks kernel restart.
test.use({ autoGoto: true, kernels: null, viewport: { width: 1280, height: 800 } });

test('sidebar: typed forms at 320 px, a Docker run in a tab, Insert code, contrast in both themes', async ({ page }) => {
  await page.notebook.createNew('sidebar.ipynb');

  // The sidebar, from its tab, 320 px wide: this kernel has not loaded flyte_nb yet.
  await page.locator('.jp-SideBar [data-id="flyte-nb-sidebar"]').click();
  await setRightPanelWidth(page, SIDEBAR_WIDTH);
  const width = (await page.locator('#jp-right-stack').boundingBox())!.width;
  expect(Math.abs(width - SIDEBAR_WIDTH)).toBeLessThanOrEqual(8);
  await expect(sidebar(page).locator('.jp-flyte-nb-empty[data-status="not-loaded"]')).toBeVisible();
  await expect(sidebar(page).locator('.jp-flyte-nb-load-line')).toHaveText('%load_ext flyte_nb');
  await sidebar(page).screenshot({ path: path.join(ARTIFACTS, 'sidebar-not-loaded.png') });

  // %load_ext opens the comm from the kernel; the tree shows the environment and its task.
  await runLast(page, DEFINE);
  const task = sidebar(page).locator('.jp-flyte-nb-task[data-name="ui_env.greet"]');
  await expect(task).toBeVisible();
  await expect(sidebar(page).locator('.jp-flyte-nb-environment[data-name="ui_env"]')).toBeVisible();
  await task.focus(); // keyboard reachable: a tree item is a button
  await page.keyboard.press('Enter');
  await expect(task).toHaveAttribute('aria-selected', 'true');

  // One row per parameter: effective value and its level chip; levels behind a disclosure.
  await expect(row(page, 'retries').locator('[data-effective="retries"]')).toHaveText('1');
  await expect(row(page, 'retries').locator('.jp-flyte-nb-chip')).toHaveText('decorator');
  await expand(page, 'retries');
  // A forbidden level: visibly disabled, its reason in text.
  const forbidden = row(page, 'retries').locator('.jp-flyte-nb-level-row[data-level="environment"]');
  await expect(forbidden).toHaveClass(/jp-mod-disabled/);
  await expect(forbidden.locator('.jp-flyte-nb-reason')).toBeVisible();
  await expect(forbidden.locator('.jp-flyte-nb-reason')).toContainText('can be set at: @env.task decorator');

  // Typed fields: retries is a number (the "count" choice) with the table's bound.
  const count = levelEditor(page, 'retries', 'override').locator('input[type="number"]');
  await expect(count).toHaveAttribute('min', '0');
  await count.fill('-1'); // the kernel refuses it at the field; nothing changes
  await expect(sidebar(page).locator('#flyte-nb-error-retries-override')).toContainText('retries=-1 is invalid');
  await expect(row(page, 'retries').locator('.jp-flyte-nb-chip')).toHaveText('decorator');
  await count.fill('3');
  await expect(row(page, 'retries').locator('.jp-flyte-nb-chip')).toHaveText('override');
  await expect(row(page, 'retries').locator('[data-effective="retries"]')).toHaveText('3');
  await expect(sidebar(page).locator('#flyte-nb-error-retries-override')).toHaveCount(0);
  // The session override's badge on the task.
  await expect(sidebar(page).locator('.jp-flyte-nb-tree .jp-flyte-nb-override-badge')).toHaveText('sidebar: retries');

  // Resources: a structured form; memory is a quantity with its unit.
  await expand(page, 'resources');
  const resources = levelEditor(page, 'resources', 'environment');
  const memory = resources.locator('.jp-flyte-nb-quantity').first();
  await expect(memory.locator('select')).toHaveValue('Mi');
  await expect(memory.locator('input')).toHaveValue('256');
  await memory.locator('input').fill('512');
  await expect(row(page, 'resources').locator('[data-effective="resources"]')).toHaveText(
    "flyte.Resources(cpu=1, memory='512Mi')"
  );
  await expect(row(page, 'resources').locator('.jp-flyte-nb-chip')).toHaveText('environment');
  // The other typed widgets, from the schema: cache's choices, report's toggle, env_vars' keys.
  await expand(page, 'cache');
  await expect(levelEditor(page, 'cache', 'decorator').locator('select').first()).toBeVisible();
  await expand(page, 'report');
  await expect(levelEditor(page, 'report', 'decorator').locator('input[type="checkbox"]').first()).toBeChecked();
  await expand(page, 'env_vars');
  await expect(levelEditor(page, 'env_vars', 'environment').getByRole('button').first()).toBeVisible();
  // "as code" keeps the expression box.
  await levelEditor(page, 'retries', 'decorator').getByLabel('as code').check();
  await expect(levelEditor(page, 'retries', 'decorator').locator('input.jp-flyte-nb-editor')).toHaveValue('1');
  // Nothing is cut off at 320 px.
  const overflow = await sidebar(page).evaluate(el => el.scrollWidth - el.clientWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  await sidebar(page).screenshot({ path: path.join(ARTIFACTS, 'sidebar-form.png') });

  // The kernel agrees: the next call resolves with the override level.
  const checked = await runLast(
    page,
    "r = greet.resolve()\nprint(r['retries'].level.value, r.value('retries').count, r['resources'].level.value, r.value('resources').memory)"
  );
  expect(await page.notebook.getCellTextOutput(checked)).toEqual([
    expect.stringContaining('override 3 environment 512Mi')
  ]);

  // Run the task (a Docker container): the runs list goes to succeeded.
  await runLast(page, 'await greet("sidebar")');
  const run = sidebar(page).locator('.jp-flyte-nb-run').first();
  await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: 180 * 1000 });
  await expect(run).toContainText('ui_env.greet');
  await sidebar(page).locator('.jp-flyte-nb-runs').screenshot({ path: path.join(ARTIFACTS, 'sidebar-run-succeeded.png') });

  // Open the run: a main-area tab beside the notebook (not a split that squeezes it).
  const notebookWidth = (await page.locator('.jp-NotebookPanel').boundingBox())!.width;
  await run.click();
  const view = page.locator('.jp-flyte-nb-run-detail[data-status="succeeded"]');
  await expect(view).toBeVisible();
  await expect(page.frameLocator('.jp-flyte-nb-report iframe').locator('#greeting')).toHaveText('Hello sidebar');
  await expect(view.locator('.jp-flyte-nb-logs')).toContainText('greeting sidebar');
  await expect(page.locator('#jp-main-dock-panel .lm-DockPanel-tabBar')).toHaveCount(1);
  expect((await page.locator('.jp-flyte-nb-run-view').boundingBox())!.width).toBeGreaterThan(notebookWidth - 2);
  await page.locator('.jp-flyte-nb-run-view').screenshot({ path: path.join(ARTIFACTS, 'run-report-tab.png') });
  // Closed, then clicked again: it reopens.
  const runTab = page.locator('#jp-main-dock-panel .lm-TabBar-tab', { hasText: 'ui_env.greet' });
  await runTab.locator('.lm-TabBar-tabCloseIcon').click();
  await expect(page.locator('.jp-flyte-nb-run-view')).toHaveCount(0);
  await run.click();
  await expect(page.locator('.jp-flyte-nb-run-detail[data-status="succeeded"]')).toBeVisible();

  // Insert code: a new cell that runs as is, with the notebook's names and the task's real body.
  await page.notebook.activate('sidebar.ipynb');
  await task.click();
  const before = await page.notebook.getCellCount();
  await sidebar(page).getByRole('button', { name: 'Insert code' }).click();
  await expect.poll(() => page.notebook.getCellCount()).toBe(before + 1);
  const inserted = await page.evaluate(() => {
    const notebook = (window as any).jupyterapp.shell.currentWidget.content;
    return notebook.activeCell.model.sharedModel.getSource();
  });
  expect(inserted).toContain('import flyte_nb as flyte');
  expect(inserted).toContain('@env_2.task(retries=1, report=True)');
  expect(inserted).toContain('report.log(f"<h1 id=\'greeting\'>Hello {name}</h1>", do_flush=True)');
  expect(inserted).toContain('greet = greet.override(retries=3)');
  expect(inserted).not.toContain('ui_env_env');
  expect(inserted).not.toContain('...');
  // Focus is in the new cell's editor: Shift+Enter runs it (no second copy).
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.closest('.jp-Cell.jp-mod-active .cm-editor') ? 'in the cell' : document.activeElement?.outerHTML.slice(0, 120)))
    .toBe('in the cell');
  await page.keyboard.press('Shift+Enter');
  const copies = () =>
    page.evaluate(() =>
      (window as any).jupyterapp.shell.currentWidget.content.widgets.filter((c: any) =>
        c.model.sharedModel.getSource().includes('greet = greet.override(retries=3)')
      ).length
    );
  expect(await copies()).toBe(1);
  const insertedIndex = before; // below the cell that was active
  await expect
    .poll(() => page.evaluate(i => (window as any).jupyterapp.shell.currentWidget.content.widgets[i].model.executionCount, insertedIndex))
    .not.toBeNull();
  const errors = await page.evaluate(
    i =>
      (window as any).jupyterapp.shell.currentWidget.content.widgets[i].model.outputs
        .toJSON()
        .filter((o: any) => o.output_type === 'error').length,
    insertedIndex
  );
  expect(errors).toBe(0);
  // The inserted definition is the one that runs: its body, the override as code.
  const called = await runLast(page, 'print(await greet("code"), greet.resolve()["retries"].level.value)');
  expect(await page.notebook.getCellTextOutput(called)).toEqual(
    expect.arrayContaining([expect.stringContaining('attempt 1/4'), expect.stringContaining('Hello code! override')])
  );

  // The commands are in the palette; the settings in the Settings Editor (schema/plugin.json).
  const commands = await page.evaluate(() => (window as any).jupyterapp.commands.listCommands());
  expect(commands).toEqual(expect.arrayContaining(['flyte-nb:open', 'flyte-nb:insert-code', 'flyte-nb:open-run']));
  const schema = await page.evaluate(
    async () =>
      (await (window as any).jupyterapp.serviceManager.settings.fetch('flyte-nb-labextension:plugin')).schema
  );
  expect(Object.keys(schema.properties)).toEqual(['area', 'maxRuns', 'openReportOnFinish']);

  // Contrast (WCAG AA, 4.5:1) of the sidebar and the run tab, light then dark; screenshots at 1280x800.
  await page.notebook.activate('sidebar.ipynb');
  await task.click();
  await expand(page, 'retries');
  await expand(page, 'resources');
  await expect(task).toHaveClass(/jp-mod-selected/);
  const sidebarLight = await lowContrast(page, '#flyte-nb-sidebar');
  await sidebar(page).screenshot({ path: path.join(ARTIFACTS, 'sidebar-light.png') });
  await page.screenshot({ path: path.join(ARTIFACTS, 'lab-light.png') });
  await setTheme(page, 'JupyterLab Dark', false);
  const sidebarDark = await lowContrast(page, '#flyte-nb-sidebar');
  await sidebar(page).screenshot({ path: path.join(ARTIFACTS, 'sidebar-dark.png') });
  await page.screenshot({ path: path.join(ARTIFACTS, 'lab-dark.png') });
  await run.click();
  const shown = `.jp-flyte-nb-run-view:not(.lm-mod-hidden)`;
  await expect(page.locator(`${shown} .jp-flyte-nb-run-detail`)).toBeVisible();
  const runDark = await lowContrast(page, shown);
  await page.screenshot({ path: path.join(ARTIFACTS, 'run-tab-dark.png') });
  await setTheme(page, 'JupyterLab Light', true);
  const runLight = await lowContrast(page, shown);
  expect({ sidebarLight, sidebarDark, runLight, runDark }).toEqual({
    sidebarLight: [],
    sidebarDark: [],
    runLight: [],
    runDark: []
  });
  await page.notebook.activate('sidebar.ipynb');

  // A restarted kernel has not loaded flyte_nb: the sidebar says so.
  await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.sessionContext.restartKernel());
  await expect(sidebar(page).locator('.jp-flyte-nb-empty[data-status="not-loaded"]')).toBeVisible();
});
