// Undo and redo over the editor's own operations. Each entry knows how to
// replay itself both ways through the API; an entry whose replay fails stays
// where it was (the error is the caller's to show), so the stacks never
// claim a state the server does not have.
export interface Step {
  what: string;
  undo(): Promise<void>;
  redo(): Promise<void>;
}

export class History {
  private done: Step[] = [];
  private undone: Step[] = [];
  private busy = false;
  private listeners = new Set<() => void>();
  private version = 0;

  constructor(private readonly limit = 200) {}

  subscribe = (cb: () => void) => {
    this.listeners.add(cb);
    return () => {
      this.listeners.delete(cb);
    };
  };

  // For useSyncExternalStore: changes whenever the stacks do.
  snapshot = () => this.version;

  private changed() {
    this.version++;
    this.listeners.forEach((cb) => cb());
  }

  push(step: Step) {
    this.done.push(step);
    if (this.done.length > this.limit) this.done.shift();
    this.undone = [];
    this.changed();
  }

  canUndo() {
    return !this.busy && this.done.length > 0;
  }

  canRedo() {
    return !this.busy && this.undone.length > 0;
  }

  nextUndo(): string | null {
    return this.done.length ? this.done[this.done.length - 1].what : null;
  }

  nextRedo(): string | null {
    return this.undone.length ? this.undone[this.undone.length - 1].what : null;
  }

  async undo(): Promise<void> {
    if (!this.canUndo()) return;
    const step = this.done[this.done.length - 1];
    this.busy = true;
    this.changed();
    try {
      await step.undo();
      this.done.pop();
      this.undone.push(step);
    } finally {
      this.busy = false;
      this.changed();
    }
  }

  async redo(): Promise<void> {
    if (!this.canRedo()) return;
    const step = this.undone[this.undone.length - 1];
    this.busy = true;
    this.changed();
    try {
      await step.redo();
      this.undone.pop();
      this.done.push(step);
    } finally {
      this.busy = false;
      this.changed();
    }
  }
}
