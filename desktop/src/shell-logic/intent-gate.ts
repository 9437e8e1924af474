// Intents for the UI (a deep link, a notification click) can arrive before the UI can
// hear them: a parley:// link launches the app, and the shell has it long before the
// window has loaded (Electron drops an IPC message sent before the page's preload ran),
// or the web host is asked to open a link before any browser page has connected. The
// gate keeps them until the UI is there, then hands them over in order; afterwards
// intents go straight through. Bounded: a burst of links while nobody listens keeps the
// first few, which is what the user clicked first.
export class IntentGate<T> {
  private queue: T[] = [];
  private deliver: ((intent: T) => void) | null = null;

  constructor(private readonly limit = 16) {}

  /** The UI can hear intents now: delivers the kept ones, then every new one. */
  open(deliver: (intent: T) => void): void {
    this.deliver = deliver;
    for (const intent of this.queue.splice(0)) deliver(intent);
  }

  /** The UI went away (window reloading, last page disconnected): keep intents again. */
  close(): void {
    this.deliver = null;
  }

  get isOpen(): boolean {
    return this.deliver !== null;
  }

  push(intent: T): void {
    if (this.deliver) this.deliver(intent);
    else if (this.queue.length < this.limit) this.queue.push(intent);
  }
}
