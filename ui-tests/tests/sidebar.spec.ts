/**
 * The flyte_nb sidebar in a real JupyterLab with a real kernel, its task run in Docker:
 * empty state, tree, three-level form, override edits validated by the kernel, a run going to
 * succeeded, its report in a main-area tab, Insert code, and a kernel restart.
 * Screenshots go to ui-tests/artifacts/.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as path from 'path';

const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');

const DEFINE = `%load_ext flyte_nb
import flyte_nb as flyte

env = flyte.TaskEnvironment(name="ui_env", resources=flyte.Resources(cpu=1, memory="256Mi"))

@env.task(retries=1, report=True)
async def greet(name: str) -> str:
    from flyte_nb import report
    print("greeting", name, flush=True)
    report.log(f"<h1 id='greeting'>Hello {name}</h1>", do_flush=True)
    return f"Hello {name}!"
`;

/** Put `source` in the notebook's last cell (through the model: no editor auto-indent) and run it. */
async function runLast(page: IJupyterLabPageFixture, source: string): Promise<number> {
  const index = await page.evaluate(src => {
    const notebook = (window as any).jupyterapp.shell.currentWidget.content;
    const last = notebook.widgets.length - 1;
    notebook.widgets[last].model.sharedModel.setSource(src);
    return last;
  }, source);
  expect(await page.notebook.runCell(index)).toBe(true);
  return index;
}

/** Drag the handle between the main area and the right panel until the panel is `width` wide. */
async function widenRightPanel(page: IJupyterLabPageFixture, width: number): Promise<void> {
  const panel = await page.locator('#jp-right-stack').boundingBox();
  const handle = await page.locator('#jp-main-split-panel > .lm-SplitPanel-handle:not(.lm-mod-hidden)').last().boundingBox();
  expect(panel && handle).toBeTruthy();
  const y = handle!.y + handle!.height / 2;
  await page.mouse.move(handle!.x + handle!.width / 2, y);
  await page.mouse.down();
  await page.mouse.move(handle!.x - (width - panel!.width), y, { steps: 5 });
  await page.mouse.up();
}

function sidebar(page: IJupyterLabPageFixture) {
  return page.locator('#flyte-nb-sidebar');
}

function editor(page: IJupyterLabPageFixture, parameter: string, level: string) {
  return sidebar(page).locator(`.jp-flyte-nb-editor[data-parameter="${parameter}"][data-level="${level}"]`);
}

function effective(page: IJupyterLabPageFixture, parameter: string) {
  return sidebar(page).locator(`[data-effective="${parameter}"]`);
}

// kernels: null: galata's kernel API mock answers every POST with 201, which breaks kernel restart.
test.use({ autoGoto: true, kernels: null, viewport: { width: 1500, height: 1000 } });

test('sidebar: tree, three-level form, override edits, a Docker run and its report', async ({ page }) => {
  await page.notebook.createNew('sidebar.ipynb');

  // The sidebar, from its tab: this kernel has not loaded flyte_nb yet.
  await page.locator('.jp-SideBar [data-id="flyte-nb-sidebar"]').click();
  await widenRightPanel(page, 700);
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

  // The three-level form, from the kernel's table: forbidden cells disabled and explained.
  await expect(editor(page, 'retries', 'decorator')).toHaveValue('1');
  await expect(effective(page, 'retries')).toContainText('[decorator]');
  await expect(editor(page, 'retries', 'environment')).toBeDisabled();
  await expect(editor(page, 'retries', 'environment')).toHaveAttribute('title', /can be set at: @env.task decorator/);
  await expect(editor(page, 'image', 'override')).toBeDisabled();
  await expect(editor(page, 'resources', 'environment')).toHaveValue("flyte.Resources(cpu=1, memory='256Mi')");
  await expect(effective(page, 'resources')).toContainText('[environment]');

  // An invalid edit: the kernel's error at the field, nothing changed.
  await editor(page, 'retries', 'override').fill('-1');
  await editor(page, 'retries', 'override').press('Enter');
  await expect(sidebar(page).locator('#flyte-nb-error-retries-override')).toContainText('retries=-1 is invalid');
  await expect(effective(page, 'retries')).toContainText('[decorator]');

  // Override retries and a resource; the effective values come back from the kernel.
  await editor(page, 'retries', 'override').fill('3');
  await editor(page, 'retries', 'override').press('Enter');
  await expect(effective(page, 'retries')).toContainText('3 [override]');
  await expect(effective(page, 'retries')).toContainText('[override]');
  await expect(sidebar(page).locator('#flyte-nb-error-retries-override')).toHaveCount(0);
  await editor(page, 'resources', 'override').fill('flyte.Resources(cpu=1, memory="512Mi")');
  await editor(page, 'resources', 'override').press('Enter');
  await expect(effective(page, 'resources')).toContainText("flyte.Resources(cpu=1, memory='512Mi')");
  await expect(effective(page, 'resources')).toContainText('[override]');
  await sidebar(page).screenshot({ path: path.join(ARTIFACTS, 'sidebar-form.png') });
  await page.screenshot({ path: path.join(ARTIFACTS, 'lab-with-sidebar.png') });

  // The kernel agrees: the next call resolves with the override level.
  const checked = await runLast(
    page,
    "r = greet.resolve()\nprint(r['retries'].level.value, r.value('retries').count, r['resources'].level.value, r.value('resources').memory)"
  );
  expect(await page.notebook.getCellTextOutput(checked)).toEqual([expect.stringContaining('override 3 override 512Mi')]);

  // Run the task (a Docker container): the runs list goes to succeeded.
  await runLast(page, 'await greet("sidebar")');
  const run = sidebar(page).locator('.jp-flyte-nb-run').first();
  await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: 180 * 1000 });
  await expect(run).toContainText('ui_env.greet');
  await sidebar(page).locator('.jp-flyte-nb-runs').screenshot({ path: path.join(ARTIFACTS, 'sidebar-run-succeeded.png') });

  // Open the run: a main-area tab with its logs and its report.
  await run.click();
  const view = page.locator('.jp-flyte-nb-run-detail[data-status="succeeded"]');
  await expect(view).toBeVisible();
  await expect(page.frameLocator('.jp-flyte-nb-report iframe').locator('#greeting')).toHaveText('Hello sidebar');
  await expect(view.locator('.jp-flyte-nb-logs')).toContainText('greeting sidebar');
  await page.locator('.jp-flyte-nb-run-view').screenshot({ path: path.join(ARTIFACTS, 'run-report-tab.png') });

  // Insert code: the equivalent Python in a new cell below the active one.
  await page.notebook.activate('sidebar.ipynb');
  const before = await page.notebook.getCellCount();
  await sidebar(page).getByRole('button', { name: 'Insert code' }).click();
  await expect.poll(() => page.notebook.getCellCount()).toBe(before + 1);
  const inserted = await page.evaluate(() => {
    const notebook = (window as any).jupyterapp.shell.currentWidget.content;
    return notebook.activeCell.model.sharedModel.getSource();
  });
  expect(inserted).toContain('@ui_env.task(retries=1, report=True)');
  expect(inserted).toContain('greet.override(');

  // The command palette has the sidebar's commands.
  const commands = await page.evaluate(() => (window as any).jupyterapp.commands.listCommands());
  expect(commands).toEqual(expect.arrayContaining(['flyte-nb:open', 'flyte-nb:insert-code', 'flyte-nb:open-run']));

  // Its settings are in the Settings Editor (schema/plugin.json).
  const schema = await page.evaluate(
    async () =>
      (await (window as any).jupyterapp.serviceManager.settings.fetch('flyte-nb-labextension:plugin')).schema
  );
  expect(Object.keys(schema.properties)).toEqual(['area', 'maxRuns', 'openReportOnFinish']);

  // The dark theme: JupyterLab's CSS variables only.
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' })
  );
  await expect(page.locator('body[data-jp-theme-light="false"]')).toBeAttached();
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0); // the theme change's splash is gone
  await sidebar(page).screenshot({ path: path.join(ARTIFACTS, 'sidebar-dark.png') });
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' })
  );

  // A restarted kernel has not loaded flyte_nb: the sidebar says so.
  await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.sessionContext.restartKernel());
  await expect(sidebar(page).locator('.jp-flyte-nb-empty[data-status="not-loaded"]')).toBeVisible();
});
