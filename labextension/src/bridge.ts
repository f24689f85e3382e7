/**
 * The sidebar's end of the "flyte_nb" comm: one comm with the kernel of the active notebook.
 *
 * Like ipywidgets' manager, it registers the comm target on every kernel it follows, so a
 * kernel that loads flyte_nb later (`%load_ext flyte_nb` opens a comm) is picked up; and it
 * opens a comm itself when it starts following a kernel, which a kernel without flyte_nb
 * closes at once: that is the "not loaded" state. A restart drops the comm (the new kernel
 * has not loaded flyte_nb) and the bridge asks again once the kernel is idle.
 */
import type { Kernel, KernelMessage as JupyterMessage } from '@jupyterlab/services';
import type { JSONValue } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';

import { SidebarModel } from './model';
import { KernelMessage, Request, TARGET, VERSION } from './protocol';

/** The part of a kernel connection the bridge uses (a real IKernelConnection in JupyterLab). */
export interface IKernelLike {
  readonly id: string;
  readonly statusChanged: ISignal<any, Kernel.Status>;
  registerCommTarget(
    target: string,
    callback: (comm: Kernel.IComm, msg: JupyterMessage.ICommOpenMsg) => void
  ): void;
  removeCommTarget(
    target: string,
    callback: (comm: Kernel.IComm, msg: JupyterMessage.ICommOpenMsg) => void
  ): void;
  createComm(target: string): Kernel.IComm;
}

export class KernelBridge implements IDisposable {
  constructor(readonly model: SidebarModel) {}

  get kernel(): IKernelLike | null {
    return this._kernel;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Follow another kernel (or none); `source` names where it runs (the notebook path). */
  follow(kernel: IKernelLike | null, source = ''): void {
    if (kernel === this._kernel) {
      this.model.source = source;
      return;
    }
    this._leave();
    this._kernel = kernel;
    if (kernel === null) {
      this.model.setStatus('no-kernel', source);
      return;
    }
    kernel.registerCommTarget(TARGET, this._onKernelComm);
    kernel.statusChanged.connect(this._onStatus, this);
    this.model.source = source;
    this.open();
  }

  /** Ask the kernel for a comm (again): after a restart, or the Refresh command. */
  open(): void {
    if (this._kernel === null) {
      return;
    }
    this._drop();
    this.model.setStatus('connecting');
    const comm = this._kernel.createComm(TARGET);
    this._adopt(comm);
    comm.open({ version: VERSION, type: 'hello' });
  }

  /** Send a request; false when no kernel with flyte_nb is connected. */
  send(request: Request): boolean {
    if (this._comm === null || this.model.status !== 'connected') {
      return false;
    }
    this._comm.send({ version: VERSION, ...request } as unknown as JSONValue);
    return true;
  }

  dispose(): void {
    if (!this._disposed) {
      this._leave();
      this._disposed = true;
    }
  }

  /** A comm the kernel opened: `%load_ext flyte_nb` just ran there. */
  private _onKernelComm = (comm: Kernel.IComm): void => {
    this._drop();
    this._adopt(comm);
    comm.send({ version: VERSION, type: 'hello' });
  };

  private _adopt(comm: Kernel.IComm): void {
    this._comm = comm;
    comm.onMsg = (msg: JupyterMessage.ICommMsgMsg) => {
      if (this._comm === comm) {
        this.model.handle(msg.content.data as unknown as KernelMessage);
      }
    };
    comm.onClose = () => {
      if (this._comm === comm) {
        this._comm = null;
        this.model.setStatus('not-loaded');
      }
    };
  }

  private _onStatus(_: unknown, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting') {
      this._restarting = true;
      this._comm = null; // the kernel connection disposes its comms without closing them
      this.model.setStatus('connecting');
    } else if (status === 'idle' && this._restarting) {
      this._restarting = false;
      this.open();
    } else if (status === 'dead') {
      this._comm = null;
      this.model.setStatus('no-kernel');
    }
  }

  /** Forget the current comm without treating its close as "not loaded". */
  private _drop(): void {
    const comm = this._comm;
    this._comm = null;
    if (comm !== null && !comm.isDisposed) {
      comm.close();
    }
  }

  private _leave(): void {
    this._drop();
    if (this._kernel !== null) {
      this._kernel.removeCommTarget(TARGET, this._onKernelComm);
      this._kernel.statusChanged.disconnect(this._onStatus, this);
    }
    this._kernel = null;
    this._restarting = false;
  }

  private _kernel: IKernelLike | null = null;
  private _comm: Kernel.IComm | null = null;
  private _restarting = false;
  private _disposed = false;
}
