/**
 * Playwright for the flyte_nb sidebar: galata's defaults, Debian's chromium (Playwright never
 * downloads a browser here), no video or trace, and a JupyterLab started for the run.
 */
const path = require('path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const ROOT = path.resolve(__dirname, '..');
const JUPYTER = process.env.FLYTE_NB_JUPYTER || path.join(ROOT, '.venv', 'bin', 'jupyter');
// The port comes from the environment (tests/test_ui.py picks a free one); 8899 only when run by hand.
const PORT = Number(process.env.FLYTE_NB_UI_PORT || 8899);
process.env.FLYTE_NB_UI_PORT = String(PORT); // the web server's config reads it too

module.exports = {
  ...baseConfig,
  testDir: 'tests',
  outputDir: 'test-results',
  reporter: [['list']],
  retries: 0,
  workers: 1,
  timeout: 240 * 1000,
  expect: { timeout: 30 * 1000 },
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'off',
    video: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.FLYTE_NB_CHROMIUM || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: `${JUPYTER} lab --config jupyter_server_test_config.py`,
    url: `http://127.0.0.1:${PORT}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe'
  }
};
