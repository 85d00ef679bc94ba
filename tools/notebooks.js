#!/usr/bin/env node
'use strict';
/**
 * ringlab's Jupyter notebooks (notebooks/*.ipynb, TypeScript kernel tslab):
 *
 *   node tools/notebooks.js setup     (npm run notebooks:setup) install the kernel
 *   node tools/notebooks.js open [ARGS] (npm run notebooks [-- ARGS]) start Jupyter Notebook on notebooks/
 *                                     (ARGS go to Jupyter, e.g. --allow-root --no-browser)
 *   node tools/notebooks.js execute [OUTDIR]                      run every notebook, fail on any error
 *
 * Jupyter itself comes from the system (Debian: jupyter-nbconvert python3-ipykernel
 * jupyter-client python3-notebook jupyter-core). tslab is installed from notebooks/package.json
 * into notebooks/node_modules, apart from the project: it brings its own TypeScript. ringlab
 * is linked in as notebooks/node_modules/ringlab, so notebooks import it by package name
 * exactly as another project would. The kernel is registered under notebooks/.jupyter,
 * found through JUPYTER_PATH, so nothing is written outside the checkout.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const DIR = path.join(ROOT, 'notebooks');
const PREFIX = path.join(DIR, '.jupyter');
/** Where the kernel spec goes (JUPYTER_PATH). */
const JUPYTER_PATH = path.join(PREFIX, 'share', 'jupyter');
const KERNEL_SPEC = path.join(JUPYTER_PATH, 'kernels', 'tslab', 'kernel.json');
const TSLAB = path.join(DIR, 'node_modules', 'tslab', 'bin', 'tslab');

const fail = (message) => {
  process.stderr.write(`ringlab notebooks: ${message}\n`);
  process.exit(1);
};

/** The environment Jupyter runs in: the kernel spec found through JUPYTER_PATH. */
const jupyterEnv = () => ({ ...process.env, JUPYTER_PATH: [JUPYTER_PATH, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter) });

/** The notebooks, sorted. */
const notebooks = () => fs.readdirSync(DIR).filter((f) => f.endsWith('.ipynb')).sort();

/** A Python that has Jupyter's kernel machinery (the first python3 on PATH may be one without it, e.g. a pyenv shim). */
const jupyterPython = () => {
  for (const py of ['/usr/bin/python3', 'python3', 'python']) {
    const r = spawnSync(py, ['-c', 'import jupyter_client'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
};

/** Whether `jupyter nbconvert` runs here. */
const hasJupyter = () => spawnSync('jupyter', ['nbconvert', '--version'], { stdio: 'ignore' }).status === 0;

const run = (cmd, args, options = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.error) fail(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
};

const npm = (args) => (process.env.npm_execpath ? run(process.execPath, [process.env.npm_execpath, ...args]) : run('npm', args, { shell: process.platform === 'win32' }));

const setup = () => {
  const py = jupyterPython();
  if (py === null)
    fail('no Python with Jupyter found; install Jupyter first (Debian: apt-get install jupyter-nbconvert python3-ipykernel jupyter-client python3-notebook jupyter-core)');
  npm(['ci', '--prefix', DIR, '--no-audit', '--no-fund', '--loglevel=error']);
  const link = path.join(DIR, 'node_modules', 'ringlab');
  fs.rmSync(link, { recursive: true, force: true });
  // relative where links can be (the checkout may move); Windows' junctions need an absolute path
  fs.symlinkSync(process.platform === 'win32' ? ROOT : path.relative(path.dirname(link), ROOT), link, 'junction');
  run(process.execPath, [TSLAB, 'install', '--python', py, '--binary', TSLAB, '--prefix', PREFIX]);
  if (!fs.existsSync(KERNEL_SPEC)) fail(`tslab did not write ${KERNEL_SPEC}`);
  process.stdout.write(`ringlab notebooks: the TypeScript kernel is registered in ${path.relative(ROOT, JUPYTER_PATH)}; open the notebooks with \`npm run notebooks\`\n`);
};

const open = (...args) => {
  if (!fs.existsSync(KERNEL_SPEC)) fail('the notebook kernel is not installed: run `npm run notebooks:setup` first');
  // `jupyter notebook` where its command is installed (Debian: jupyter-notebook), else the module (python3-notebook)
  const hasCommand = spawnSync('jupyter', ['notebook', '--version'], { stdio: 'ignore' }).status === 0;
  const py = jupyterPython();
  if (!hasCommand && py === null) fail('Jupyter Notebook is not installed (Debian: apt-get install jupyter-notebook; elsewhere: pip install notebook)');
  if (hasCommand) run('jupyter', ['notebook', DIR, ...args], { env: jupyterEnv() });
  else run(py, ['-m', 'notebook', DIR, ...args], { env: jupyterEnv() });
};

const execute = (outDir) => {
  if (!hasJupyter()) fail('jupyter nbconvert is not installed (see `npm run notebooks:setup`)');
  if (!fs.existsSync(KERNEL_SPEC)) fail('the notebook kernel is not installed: run `npm run notebooks:setup` first');
  const out = path.resolve(outDir ?? path.join(ROOT, 'out', 'notebooks'));
  fs.mkdirSync(out, { recursive: true });
  const all = notebooks().map((f) => path.join(DIR, f));
  // one process for all: each notebook gets its own kernel; any cell error fails the run
  run('jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=600', '--output-dir', out, ...all], { env: jupyterEnv(), cwd: DIR });
  process.stdout.write(`ringlab notebooks: ${all.length} notebook(s) ran without error; executed copies in ${out}\n`);
};

const COMMANDS = { setup, open, execute };

const [command, ...rest] = process.argv.slice(2);
if (!Object.hasOwn(COMMANDS, command ?? '')) fail(`usage: node tools/notebooks.js setup | open [JUPYTER ARGS] | execute [OUTDIR]`);
COMMANDS[command](...rest);
