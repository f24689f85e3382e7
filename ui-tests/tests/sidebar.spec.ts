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
import * as fs from 'fs';
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

/** Every control in the sidebar a keyboard user should reach: visible, enabled, not taken out of the tab order. */
async function sidebarControls(page: IJupyterLabPageFixture): Promise<{ id: string; kind: string }[]> {
  return sidebar(page).evaluate(root => {
    const kinds: [string, string][] = [
      ['.jp-flyte-nb-node', 'tree item'],
      ['.jp-flyte-nb-param-head', 'parameter row'],
      ['.jp-flyte-nb-set-open', 'set…'],
      ['.jp-flyte-nb-as-code input', 'as code'],
      ['.jp-flyte-nb-unset', 'unset'],
      ['.jp-flyte-nb-insert', 'Insert code'],
      ['.jp-flyte-nb-run', 'run'],
      ['.jp-flyte-nb-timeline-row', 'timeline bar'],
      ['.jp-flyte-nb-typed input, .jp-flyte-nb-typed select, .jp-flyte-nb-typed button, .jp-flyte-nb-typed textarea', 'form field'],
      ['.jp-flyte-nb-editor', 'code box'],
      ['.jp-flyte-nb-refresh', 'Refresh']
    ];
    const candidates = Array.from(
      root.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href], [tabindex]')
    ).filter(
      el =>
        el.getClientRects().length > 0 &&
        !(el as HTMLInputElement).disabled &&
        el.tabIndex >= 0 &&
        !el.closest('[aria-hidden="true"], [inert]')
    );
    return candidates.map((el, index) => {
      el.dataset.walk = String(index);
      return { id: String(index), kind: kinds.find(([selector]) => el.matches(selector))?.[1] ?? el.outerHTML.slice(0, 80) };
    });
  });
}

/** Tab from the sidebar's first control until focus leaves it: the controls focus reached, in order. */
async function tabWalk(page: IJupyterLabPageFixture, limit: number): Promise<string[]> {
  await sidebar(page).locator('.jp-flyte-nb-refresh').focus();
  const reached: string[] = [];
  for (let i = 0; i < limit; i++) {
    const id = await page.evaluate(() => {
      const active = document.activeElement as HTMLElement | null;
      return active?.closest('#flyte-nb-sidebar') ? (active.dataset.walk ?? `untracked ${active.outerHTML.slice(0, 60)}`) : null;
    });
    if (id === null) {
      break;
    }
    reached.push(id);
    await page.keyboard.press('Tab');
  }
  return reached;
}

/**
 * How dark a saved screenshot really is, region by region: the median relative luminance (0 black,
 * 1 white) of the menu bar, the file browser, the notebook and the sidebar, decoded from the PNG
 * file itself (what a reader of ui-tests/artifacts/ sees), not from the page's styles.
 */
async function regionLuminance(page: IJupyterLabPageFixture, file: string): Promise<Record<string, number>> {
  const png = fs.readFileSync(file).toString('base64');
  const boxes = await page.evaluate(() => {
    const box = (selector: string) => {
      const r = document.querySelector(selector)!.getBoundingClientRect();
      return [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)];
    };
    return {
      menu: box('#jp-top-panel'),
      files: box('.jp-FileBrowser'),
      notebook: box('.jp-NotebookPanel:not(.lm-mod-hidden), .jp-flyte-nb-run-view:not(.lm-mod-hidden)'),
      sidebar: box('#flyte-nb-sidebar')
    };
  });
  return page.evaluate(
    async ([data, regions]) => {
      const image = new Image();
      image.src = `data:image/png;base64,${data}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext('2d')!;
      context.drawImage(image, 0, 0);
      const linear = (v: number): number => (v / 255 <= 0.03928 ? v / 255 / 12.92 : Math.pow((v / 255 + 0.055) / 1.055, 2.4));
      const result: Record<string, number> = {};
      for (const [name, [x, y, w, h]] of Object.entries(regions as Record<string, number[]>)) {
        const pixels = context.getImageData(x, y, w, h).data;
        const values: number[] = [];
        for (let i = 0; i < pixels.length; i += 4 * 7) {
          values.push(0.2126 * linear(pixels[i]) + 0.7152 * linear(pixels[i + 1]) + 0.0722 * linear(pixels[i + 2]));
        }
        values.sort((a, b) => a - b);
        result[name] = Math.round(values[Math.floor(values.length / 2)] * 1000) / 1000;
      }
      return result;
    },
    [png, boxes] as const
  );
}

/** The computed background luminance of the page's parts (the theme's variables in effect). */
async function backgrounds(page: IJupyterLabPageFixture): Promise<Record<string, boolean>> {
  return page.evaluate(() => {
    const dark = (selector: string): boolean => {
      const [r, g, b] = getComputedStyle(document.querySelector(selector)!).backgroundColor.match(/\d+/g)!.map(Number);
      return r + g + b < 384;
    };
    return { menu: dark('#jp-menu-panel'), files: dark('.jp-FileBrowser'), sidebar: dark('#flyte-nb-sidebar') };
  });
}

async function setTheme(page: IJupyterLabPageFixture, theme: string, light: boolean): Promise<void> {
  await page.evaluate(t => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: t }), theme);
  await expect(page.locator(`body[data-jp-theme-light="${light}"]`)).toBeAttached();
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0); // the theme change's splash is gone
  // The theme's colours are in effect on the sidebar itself (luminance of its background).
  // The theme's colours are in effect everywhere, not only in the notebook (menu, files, sidebar).
  await expect.poll(() => backgrounds(page)).toEqual({ menu: !light, files: !light, sidebar: !light });
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

  // Resources: a structured form; memory and cpu a request and an optional limit, with units.
  await expand(page, 'resources');
  const resources = levelEditor(page, 'resources', 'environment');
  for (const field of ['cpu', 'memory', 'gpu']) {
    await expect(resources.locator(`.jp-flyte-nb-field[data-field="${field}"] label`).first()).toHaveText(field);
  }
  const memory = resources.locator('.jp-flyte-nb-pair[data-field="memory"]');
  const memoryRequest = memory.locator('[data-part="request"] .jp-flyte-nb-quantity');
  await expect(memoryRequest.locator('select')).toHaveValue('Mi');
  await expect(memoryRequest.locator('input')).toHaveValue('256');
  await memoryRequest.locator('input').fill('512');
  const effectiveResources = row(page, 'resources').locator('[data-effective="resources"]');
  await expect(effectiveResources).toHaveText("flyte.Resources(cpu=1, memory='512Mi')");
  await expect(row(page, 'resources').locator('.jp-flyte-nb-chip')).toHaveText('environment');
  const memoryLimit = memory.locator('[data-part="limit"] .jp-flyte-nb-quantity');
  await expect(memoryLimit.locator('input')).toHaveValue(''); // no limit yet: one value
  await memoryLimit.locator('select').selectOption('Gi');
  await memoryLimit.locator('input').fill('1');
  await resources.locator('.jp-flyte-nb-pair[data-field="cpu"] [data-part="limit"] input').fill('2');
  await expect(effectiveResources).toHaveText("flyte.Resources(cpu=(1, 2), memory=('512Mi', '1Gi'))");
  // An object form not set at a level is one line, "not set – set…"; set… opens it, focus inside.
  const overrideResources = levelEditor(page, 'resources', 'override');
  await expect(overrideResources.locator('.jp-flyte-nb-not-set')).toContainText('not set');
  await expect(overrideResources.locator('input, select')).toHaveCount(1); // only the as-code toggle
  await overrideResources.locator('.jp-flyte-nb-set-open').focus();
  await page.keyboard.press('Enter');
  const gpuModel = overrideResources.locator('.jp-flyte-nb-gpu select').first();
  await expect(gpuModel).toBeVisible();
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.closest('.jp-flyte-nb-level-editor[data-level="override"]') !== null))
    .toBe(true);
  // The GPU picker: the device table's models, then the counts that model allows.
  const models = await gpuModel.locator('option').allTextContents();
  expect(models).toEqual(expect.arrayContaining(['none', 'any GPU', 'A100', 'H100', 'T4 shared', 'Trn1']));
  await gpuModel.selectOption('A100');
  const gpuCount = overrideResources.locator('.jp-flyte-nb-gpu select').nth(1);
  expect(await gpuCount.locator('option').allTextContents()).toEqual(['× 1', '× 2', '× 3', '× 4', '× 5', '× 6', '× 7', '× 8']);
  await gpuCount.selectOption('2');
  await expect(row(page, 'resources').locator('.jp-flyte-nb-chip')).toHaveText('override');
  await expect(effectiveResources).toHaveText("flyte.Resources(gpu='A100:2')");
  await overrideResources.getByRole('button', { name: 'unset resources at the task.override() level' }).click();
  await expect(row(page, 'resources').locator('.jp-flyte-nb-chip')).toHaveText('environment');
  await expect(overrideResources.locator('.jp-flyte-nb-not-set')).toBeVisible();
  // The other typed widgets, from the schema: cache's choices, report's toggle, env_vars' keys.
  await expand(page, 'cache');
  await expect(levelEditor(page, 'cache', 'decorator').locator('select').first()).toBeVisible();
  await expand(page, 'report');
  await expect(levelEditor(page, 'report', 'decorator').locator('input[type="checkbox"]').first()).toBeChecked();
  await expand(page, 'env_vars');
  const envVars = levelEditor(page, 'env_vars', 'environment');
  await expect(envVars.locator('.jp-flyte-nb-not-set')).toBeVisible();
  await envVars.locator('.jp-flyte-nb-set-open').click();
  await expect(envVars.locator('.jp-flyte-nb-typed').getByRole('button').first()).toBeVisible();
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
    "r = greet.resolve()\nprint(r['retries'].level.value, r.value('retries').count, r['resources'].level.value, r.value('resources').memory, r.value('resources').cpu)"
  );
  expect(await page.notebook.getCellTextOutput(checked)).toEqual([
    expect.stringContaining("override 3 environment ('512Mi', '1Gi') (1, 2)")
  ]);

  // Run the task (a Docker container): the runs list goes to succeeded.
  const ran = await runLast(page, 'await greet("sidebar")');
  const run = sidebar(page).locator('.jp-flyte-nb-run').first();
  await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: 180 * 1000 });
  // The timeline of runs in the sidebar: the run as a bar coloured by status, with what it used.
  const runId = (await run.getAttribute('data-run'))!;
  const bar = sidebar(page).locator(`.jp-flyte-nb-timeline-row[data-run="${runId}"]`);
  await expect(bar).toHaveAttribute('data-status', 'succeeded');
  await expect(bar.locator('rect').first()).toBeVisible();
  await expect(bar).toContainText(/peak \d+(\.\d+)? [KMG]iB of 1 GiB, \d+(\.\d+)? CPU-s/);
  // The cell says what the sidebar changed: the settings it ran with that its code does not say.
  const ranOutput = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell').nth(ran).locator('.jp-OutputArea');
  await expect(ranOutput).toContainText('⚙ retries=3 from the sidebar');
  await expect(ranOutput).toContainText(
    "⚙ resources=flyte.Resources(cpu=(1, 2), memory=('512Mi', '1Gi')) from the sidebar (TaskEnvironment level)"
  );
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

  // A failing task shows the user's own cell and line, as IPython shows its own errors, in at most 15 lines.
  await runLast(page, '@env_2.task\nasync def bad(x: int) -> int:\n    y = x + 1\n    raise ValueError(f"bad value {y}")\n');
  const failed = await runLast(page, 'await bad(3)');
  const traceback = await page.evaluate(i => {
    const outputs = (window as any).jupyterapp.shell.currentWidget.content.widgets[i].model.outputs.toJSON();
    const error = outputs.find((o: any) => o.output_type === 'error');
    return error ? (error.traceback as string[]).join('\n').replace(/\x1b\[[0-9;]*m/g, '') : '';
  }, failed);
  const lines = traceback.split('\n').filter(line => line.trim() !== '');
  expect(traceback).toMatch(/Cell In\[\d+\], line 4/);
  expect(traceback).toContain('raise ValueError(f"bad value {y}")');
  expect(traceback).toContain('ValueError: bad value 4');
  expect(traceback).not.toMatch(/asyncio|flyte_nb\/|<dynamic-code>/);
  expect(lines.length, traceback).toBeLessThanOrEqual(15);
  // The failed run is in the sidebar's runs and timeline before anything below lists the sidebar's controls.
  await expect(sidebar(page).locator('.jp-flyte-nb-run', { hasText: 'ui_env.bad' })).toBeVisible();
  await expect(sidebar(page).locator('.jp-flyte-nb-run', { hasText: 'failed' })).toBeVisible();
  await page.waitForTimeout(1000); // the timeline redraws after the run list (one get_timeline round trip)

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

  // Keyboard: one Tab walk from the sidebar's first control reaches every control in it, in order.
  const controls = await sidebarControls(page);
  const reached = await tabWalk(page, controls.length + 5);
  expect(controls.filter(c => !reached.includes(c.id))).toEqual([]);
  expect(reached.filter(id => id.startsWith('untracked'))).toEqual([]);
  expect(reached.map(Number)).toEqual([...reached.map(Number)].sort((a, b) => a - b)); // document order
  const kinds = new Set(controls.map(c => c.kind));
  for (const kind of ['tree item', 'parameter row', 'form field', 'as code', 'set…', 'unset', 'Insert code', 'run', 'timeline bar']) {
    expect(kinds.has(kind), `a ${kind} among the sidebar's controls`).toBe(true);
  }
  // The pictures show the sidebar from its top, nothing hovered or focused.
  await page.mouse.move(640, 790);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await sidebar(page).evaluate(el => el.scrollTo(0, 0));

  const sidebarLight = await lowContrast(page, '#flyte-nb-sidebar');
  await sidebar(page).screenshot({ path: path.join(ARTIFACTS, 'sidebar-light.png') });
  await page.screenshot({ path: path.join(ARTIFACTS, 'lab-light.png') });
  const light = await regionLuminance(page, path.join(ARTIFACTS, 'lab-light.png'));
  await setTheme(page, 'JupyterLab Dark', false);
  const sidebarDark = await lowContrast(page, '#flyte-nb-sidebar');
  await sidebar(page).screenshot({ path: path.join(ARTIFACTS, 'sidebar-dark.png') });
  await page.screenshot({ path: path.join(ARTIFACTS, 'lab-dark.png') });
  // The saved pictures themselves: every part light in the light one, dark in the dark one.
  const dark = await regionLuminance(page, path.join(ARTIFACTS, 'lab-dark.png'));
  for (const part of ['menu', 'files', 'notebook', 'sidebar']) {
    expect(light[part], `${part} in lab-light.png`).toBeGreaterThan(0.7);
    expect(dark[part], `${part} in lab-dark.png`).toBeLessThan(0.1);
  }
  await run.click();
  const shown = `.jp-flyte-nb-run-view:not(.lm-mod-hidden)`;
  await expect(page.locator(`${shown} .jp-flyte-nb-run-detail`)).toBeVisible();
  const runDark = await lowContrast(page, shown);
  await page.screenshot({ path: path.join(ARTIFACTS, 'run-tab-dark.png') });
  const runTabDark = await regionLuminance(page, path.join(ARTIFACTS, 'run-tab-dark.png'));
  for (const part of ['menu', 'files', 'notebook', 'sidebar']) {
    expect(runTabDark[part], `${part} in run-tab-dark.png`).toBeLessThan(0.1);
  }
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
