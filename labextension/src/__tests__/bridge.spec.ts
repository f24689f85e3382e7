/**
 * The bridge's comm lifecycle against a kernel connection that behaves like JupyterLab's:
 * comm targets, comms opened from either side, a kernel without flyte_nb closing the comm,
 * restarts and kernel changes.
 */
import { Signal } from '@lumino/signaling';
import { describe, expect, it } from 'vitest';

import { IKernelLike, KernelBridge } from '../bridge';
import { SidebarModel } from '../model';
import { TARGET, VERSION } from '../protocol';

class Comm {
  constructor(
    readonly kernel: Kernel,
    readonly commId: string
  ) {}
  readonly targetName = TARGET;
  sent: unknown[] = [];
  opened: unknown = undefined;
  closed = false;
  isDisposed = false;
  onMsg: (msg: any) => void = () => undefined;
  onClose: (msg: any) => void = () => undefined;
  open(data: unknown): any {
    this.opened = data;
    if (!this.kernel.loaded) {
      this.close(); // ipykernel: "No such comm target registered", then comm_close
    }
    return {};
  }
  send(data: unknown): any {
    this.sent.push(data);
    return {};
  }
  close(): any {
    if (!this.closed) {
      this.closed = true;
      this.onClose({});
    }
    return {};
  }
  /** A message from the kernel. */
  receive(data: unknown): void {
    this.onMsg({ content: { comm_id: this.commId, data } });
  }
}

class Kernel implements IKernelLike {
  constructor(readonly id: string) {}
  loaded = false;
  comms: Comm[] = [];
  targets = new Map<string, (comm: any, msg: any) => void>();
  statusChanged = new Signal<any, any>(this);
  registerCommTarget(target: string, callback: (comm: any, msg: any) => void): void {
    this.targets.set(target, callback);
  }
  removeCommTarget(target: string, callback: (comm: any, msg: any) => void): void {
    if (this.targets.get(target) === callback) {
      this.targets.delete(target);
    }
  }
  createComm(): any {
    const comm = new Comm(this, `c${this.comms.length}`);
    this.comms.push(comm);
    return comm;
  }
  /** `%load_ext flyte_nb` in this kernel: it opens a comm on the sidebar's target. */
  loadExtension(): Comm {
    this.loaded = true;
    const comm = new Comm(this, `k${this.comms.length}`);
    this.comms.push(comm);
    this.targets.get(TARGET)!(comm, { content: { data: { version: VERSION, type: 'announce' } } });
    return comm;
  }
}

const HELLO = { version: VERSION, type: 'hello', flyte_nb: '0.1.0', levels: [], parameters: [] };

describe('KernelBridge', () => {
  it('shows "not loaded" when the kernel closes its comm, and connects on %load_ext', () => {
    const model = new SidebarModel();
    const bridge = new KernelBridge(model);
    const kernel = new Kernel('k1');
    bridge.follow(kernel, 'a.ipynb');
    expect(kernel.comms[0].opened).toEqual({ version: VERSION, type: 'hello' });
    expect(model.status).toBe('not-loaded');
    expect(bridge.send({ type: 'hello' })).toBe(false);
    const comm = kernel.loadExtension();
    expect(comm.sent).toEqual([{ version: VERSION, type: 'hello' }]);
    comm.receive(HELLO);
    expect(model.status).toBe('connected');
    expect(bridge.send({ type: 'select', kind: 'task', name: 'e.t' })).toBe(true);
    expect(comm.sent[1]).toEqual({ version: VERSION, type: 'select', kind: 'task', name: 'e.t' });
  });

  it('connects at once to a kernel that has flyte_nb loaded', () => {
    const model = new SidebarModel();
    const bridge = new KernelBridge(model);
    const kernel = new Kernel('k1');
    kernel.loaded = true;
    bridge.follow(kernel);
    expect(model.status).toBe('connecting');
    kernel.comms[0].receive(HELLO);
    expect(model.status).toBe('connected');
  });

  it('re-opens after a restart, and the restarted kernel without flyte_nb is "not loaded"', () => {
    const model = new SidebarModel();
    const bridge = new KernelBridge(model);
    const kernel = new Kernel('k1');
    kernel.loaded = true;
    bridge.follow(kernel);
    kernel.comms[0].receive(HELLO);
    kernel.statusChanged.emit('restarting');
    expect(model.status).toBe('connecting');
    kernel.loaded = false;
    kernel.statusChanged.emit('idle');
    expect(kernel.comms).toHaveLength(2);
    expect(model.status).toBe('not-loaded');
    kernel.statusChanged.emit('idle'); // idle again: no new comm unless it restarted
    expect(kernel.comms).toHaveLength(2);
    kernel.loadExtension().receive(HELLO);
    expect(model.status).toBe('connected');
  });

  it('follows a kernel change: closes the old comm, unregisters its target, ignores its messages', () => {
    const model = new SidebarModel();
    const bridge = new KernelBridge(model);
    const first = new Kernel('k1');
    first.loaded = true;
    bridge.follow(first, 'a.ipynb');
    const old = first.comms[0];
    old.receive(HELLO);
    const second = new Kernel('k2');
    bridge.follow(second, 'b.ipynb');
    expect(old.closed).toBe(true);
    expect(first.targets.size).toBe(0);
    expect(second.targets.has(TARGET)).toBe(true);
    expect(model.status).toBe('not-loaded');
    expect(model.source).toBe('b.ipynb');
    old.receive(HELLO);
    expect(model.status).toBe('not-loaded');
    bridge.follow(null);
    expect(model.status).toBe('no-kernel');
    expect(second.targets.size).toBe(0);
  });

  it('replaces its comm when the kernel opens a new one (%reload_ext)', () => {
    const model = new SidebarModel();
    const bridge = new KernelBridge(model);
    const kernel = new Kernel('k1');
    kernel.loaded = true;
    bridge.follow(kernel);
    const first = kernel.comms[0];
    first.receive(HELLO);
    const second = kernel.loadExtension();
    expect(first.closed).toBe(true);
    second.receive(HELLO);
    expect(model.status).toBe('connected');
    bridge.dispose();
    expect(second.closed).toBe(true);
    expect(bridge.isDisposed).toBe(true);
  });
});
