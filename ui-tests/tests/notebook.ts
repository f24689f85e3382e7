/**
 * What the browser tests share: driving the notebook's cells through JupyterLab's model.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';

/** Put `source` in the notebook's last cell (through the model: no editor auto-indent) and run it. */
export async function runLast(page: IJupyterLabPageFixture, source: string): Promise<number> {
  const index = await page.evaluate(src => {
    const notebook = (window as any).jupyterapp.shell.currentWidget.content;
    const last = notebook.widgets.length - 1;
    notebook.widgets[last].model.sharedModel.setSource(src);
    return last;
  }, source);
  expect(await page.notebook.runCell(index)).toBe(true);
  return index;
}
