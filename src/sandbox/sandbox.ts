/**
 * A local Lambda execution environment: one warm sandbox that goes through Lambda's phases
 * (init, invoke…, shutdown) with the real Runtime API 2018-06-01, Extensions API 2020-01-01
 * and Telemetry API 2022-07-01 on one loopback endpoint, the extensions found in the merged
 * layers' `extensions/` directory, the exec wrapper, freeze between invokes, timeouts, crashes
 * and init errors reported as Lambda reports them.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import {
  bootstrapNodeArgs,
  type Credentials,
  canaryCredentials,
  extensionEnvironment,
  type FunctionSettings,
  functionArn,
  lambdaEnvironment,
  logStreamName,
  traceId,
} from './environment';
import { ACCEPTED, header, listen, Router, readBody, sendError, sendJson } from './http';
import { forSchema, type InvokeStatus, platformEvent, round2, type Span, tracing } from './platform-events';
import {
  peakMemoryMb,
  releaseCgroups,
  residentMemoryMb,
  type SandboxProcess,
  signalAll,
  startProcess,
} from './processes';
import type { RuntimeClient } from './runtimes';
import { parseSubscription, SubscriptionError, type TelemetryEvent, TelemetryStream } from './telemetry';

const MAX_RESPONSE = 6 * 1024 * 1024 + 100; // 6291556 bytes, as Lambda counts it
const MAX_STREAMED_RESPONSE = 20 * 1024 * 1024;
const INIT_TIMEOUT_MS = 10_000;
const RUNTIME_SIGTERM_GRACE_MS = 500;
const SHUTDOWN_TIMEOUT_MS = 2_000;

export interface SandboxOptions {
  settings: FunctionSettings;
  taskRoot: string;
  /** The merged layers (Lambda's /opt). */
  optDir: string;
  nodeBin: string;
  client: RuntimeClient;
  execWrapper?: string;
  userEnv: Record<string, string>;
  /** A finding line (OCSF JSON) from any sandbox process. */
  onFinding: (line: string) => void;
  /** A log line of a process ("function", or "extension <name>", or "sandbox"). */
  onLog: (source: string, line: string) => void;
  initTimeoutMs?: number;
  /** The sandbox's /etc/hosts (resolves sandbox.localdomain), when it can be mounted. */
  hostsFile?: string;
  /** Trace the runtime's syscalls to `<prefix>.<tid>` files (learning: syscall-trace.ts). */
  traceSyscalls?: string;
}

export interface InvokeRequest {
  payload: Buffer;
  clientContext?: string;
  cognitoIdentity?: string;
}

export interface InvokeResult {
  requestId: string;
  status: 'success' | 'error' | 'timeout';
  response?: unknown;
  error?: { errorType: string; errorMessage: string };
  durationMs: number;
  initDurationMs?: number;
  /** Time the extensions took after the runtime's response (Lambda's PostRuntimeExtensionsDuration). */
  postRuntimeDurationMs?: number;
  /** The runtime process's own resident memory once the invoke is over (MB). */
  runtimeRssMb?: number;
  /** Resident memory of the external extensions' processes together (MB), after this invoke. */
  extensionsRssMb?: number;
}

interface Extension {
  id: string;
  name: string;
  events: Set<string>;
  external: boolean;
  waiting?: http.ServerResponse;
  pending?: Record<string, unknown>;
  /** Called next since the current phase began. */
  ready: boolean;
}

interface Invocation {
  requestId: string;
  payload: Buffer;
  clientContext?: string;
  cognitoIdentity?: string;
  traceId: string;
  deadline: number;
  start: number;
  delivered: boolean;
  outcome?: { kind: 'response'; body: Buffer } | { kind: 'error'; errorType: string; errorMessage: string };
  responseStart?: number;
  responseEnd?: number;
}

interface InitFailure {
  errorType: string;
  errorMessage: string;
  status: 'error' | 'failure' | 'timeout';
}

function isWardenFinding(line: string): boolean {
  if (!line.startsWith('{') || !line.includes('"class_uid":2004')) return false;
  try {
    const o = JSON.parse(line) as { class_uid?: number; metadata?: { product?: { vendor_name?: string } } };
    return o.class_uid === 2004 && o.metadata?.product?.vendor_name === 'Warden';
  } catch {
    return false;
  }
}

export class Sandbox {
  private readonly changes = new EventEmitter();
  private server?: http.Server;
  private address = '';
  private credentials: Credentials = canaryCredentials();
  private readonly logStream = logStreamName();

  private phase: 'off' | 'init' | 'ready' | 'invoke' | 'shutdown' = 'off';
  private frozen = false;
  private runtime?: SandboxProcess;
  private runtimeWaiting?: http.ServerResponse;
  private readonly launched = new Map<string, SandboxProcess>();
  private readonly extensions = new Map<string, Extension>();
  private readonly streams: TelemetryStream[] = [];
  private history: TelemetryEvent[] = [];
  private current?: Invocation;
  private initFailure?: InitFailure;
  private extensionFailure?: { errorType: string; errorMessage: string };
  /** The last init's duration, until the invoke after it reports it. */
  private pendingInitDurationMs?: number;

  constructor(private readonly o: SandboxOptions) {}

  get runtimeApi(): string {
    return this.address;
  }

  /** The process ids of the runtime and the extensions (for inspection). */
  get processIds(): { runtime?: number; extensions: Record<string, number> } {
    const extensions: Record<string, number> = {};
    for (const [name, p] of this.launched) extensions[name] = p.pid;
    return { runtime: this.runtime?.pid, extensions };
  }

  /** The canary credentials this sandbox gives the function (fresh each run). */
  get canaries(): Credentials {
    return this.credentials;
  }

  private changed(): void {
    this.changes.emit('change');
  }

  /**
   * Waits for pred, or until the deadline (Date ms; `monotonicDeadline`, in performance.now() ms
   * and read each time, when given: the clock the invoke's duration is measured on, from the
   * moment the runtime got the event). A timer that fires before the
   * deadline (timers round to whole ms) is set again for what is left, so a timeout is never
   * reported shorter than it is.
   */
  private until(pred: () => boolean, deadline: number, monotonicDeadline?: () => number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    const left = () =>
      monotonicDeadline !== undefined ? monotonicDeadline() - performance.now() : deadline - Date.now();
    return new Promise((resolve) => {
      const check = () => {
        if (pred()) done(true);
      };
      const expire = () => {
        if (left() > 0) timer = setTimeout(expire, Math.ceil(left()));
        else done(pred());
      };
      let timer = setTimeout(expire, Math.max(0, Math.ceil(left())));
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.changes.off('change', check);
        resolve(v);
      };
      this.changes.on('change', check);
    });
  }

  // ── telemetry ──────────────────────────────────────────────────────────────────────────

  private emit(event: TelemetryEvent): void {
    this.history.push(event);
    if (this.history.length > 10_000) this.history.shift();
    for (const s of this.streams) if (s.wants(event.type)) s.push(forSchema(event, s.sub.schemaVersion));
  }

  private platform(type: string, record: Record<string, unknown>): void {
    this.emit(platformEvent(`platform.${type}`, record));
  }

  private flushTelemetry(): Promise<unknown> {
    return Promise.all(this.streams.map((s) => s.flush()));
  }

  // ── process output ─────────────────────────────────────────────────────────────────────

  private outputLine(source: 'function' | 'extension', name: string, line: string): void {
    // A finding line goes to the findings file instead of the log; like any line of output, it
    // is in the function's (or extension's) telemetry stream, as in Lambda's log stream.
    if (isWardenFinding(line)) this.o.onFinding(line);
    else this.o.onLog(source === 'function' ? 'function' : `extension ${name}`, line);
    this.emit({ time: new Date().toISOString(), type: source, record: logRecord(line) });
  }

  // ── the HTTP API ───────────────────────────────────────────────────────────────────────

  private router(): Router {
    const r = new Router((e) => this.o.onLog('sandbox', `API fault: ${(e as Error)?.stack ?? e}`));
    const rt = '/2018-06-01/runtime';
    r.add('GET', new RegExp(`^${rt}/invocation/next$`), (req, res) => this.runtimeNext(req, res));
    r.add('POST', new RegExp(`^${rt}/invocation/([^/]+)/response$`), (req, res, [id]) =>
      this.runtimeResponse(req, res, id as string),
    );
    r.add('POST', new RegExp(`^${rt}/invocation/([^/]+)/error$`), (req, res, [id]) =>
      this.runtimeError(req, res, id as string),
    );
    r.add('POST', new RegExp(`^${rt}/init/error$`), (req, res) => this.runtimeInitError(req, res));
    const ext = '/2020-01-01/extension';
    r.add('POST', new RegExp(`^${ext}/register$`), (req, res) => this.extRegister(req, res));
    r.add('GET', new RegExp(`^${ext}/event/next$`), (req, res) => this.extNext(req, res));
    r.add('POST', new RegExp(`^${ext}/init/error$`), (req, res) => this.extError(req, res, 'init'));
    r.add('POST', new RegExp(`^${ext}/exit/error$`), (req, res) => this.extError(req, res, 'exit'));
    r.add('PUT', /^\/2022-07-01\/telemetry\/?$/, (req, res) => this.telemetrySubscribe(req, res));
    return r;
  }

  private runtimeNext(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    if (this.current?.delivered && !this.current.outcome) {
      sendError(res, 400, 'InvalidStateTransition', 'the current invocation has no response yet');
      return;
    }
    this.runtimeWaiting = res;
    res.on('close', () => {
      if (this.runtimeWaiting === res) this.runtimeWaiting = undefined;
    });
    this.deliverInvocation();
    this.changed();
  }

  private deliverInvocation(): void {
    const inv = this.current;
    const res = this.runtimeWaiting;
    if (!inv || inv.delivered || !res || this.phase !== 'invoke') return;
    this.runtimeWaiting = undefined;
    inv.delivered = true;
    inv.start = performance.now();
    const headers: Record<string, string> = {
      'Lambda-Runtime-Aws-Request-Id': inv.requestId,
      'Lambda-Runtime-Deadline-Ms': String(inv.deadline),
      'Lambda-Runtime-Invoked-Function-Arn': functionArn(this.o.settings),
      'Lambda-Runtime-Trace-Id': inv.traceId,
    };
    if (inv.clientContext) headers['Lambda-Runtime-Client-Context'] = inv.clientContext;
    if (inv.cognitoIdentity) headers['Lambda-Runtime-Cognito-Identity'] = inv.cognitoIdentity;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': inv.payload.length,
      ...headers,
    });
    res.end(inv.payload);
  }

  private invocationFor(res: http.ServerResponse, id: string): Invocation | undefined {
    const inv = this.current;
    if (this.answered.has(id) || (inv?.requestId === id && inv.outcome)) {
      sendError(
        res,
        403,
        'InvalidStateTransition',
        'State transition from Ready to InvocationResponse failed',
      );
      return undefined;
    }
    if (!inv || inv.requestId !== id || !inv.delivered) {
      sendError(res, 400, 'InvalidRequestID', 'Invalid request ID');
      return undefined;
    }
    return inv;
  }

  private async runtimeResponse(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    id: string,
  ): Promise<void> {
    const inv = this.invocationFor(res, id);
    if (!inv) return void req.resume();
    const streaming = header(req, 'Lambda-Runtime-Function-Response-Mode')?.toLowerCase() === 'streaming';
    inv.responseStart = performance.now();
    const body = await readBody(req, streaming ? MAX_STREAMED_RESPONSE : MAX_RESPONSE);
    inv.responseEnd = performance.now();
    if (inv.outcome) return; // timed out meanwhile
    if (body === undefined) {
      const limit = streaming ? MAX_STREAMED_RESPONSE : MAX_RESPONSE;
      inv.outcome = {
        kind: 'error',
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${limit} bytes).`,
      };
      sendError(res, 413, 'RequestEntityTooLarge', `Exceeded maximum allowed payload size (${limit} bytes).`);
    } else {
      const trailerType = req.trailers['lambda-runtime-function-error-type'];
      if (streaming && trailerType) {
        const encoded = req.trailers['lambda-runtime-function-error-body'];
        let errorMessage = '';
        try {
          const parsed = JSON.parse(Buffer.from(encoded ?? '', 'base64').toString('utf8')) as {
            errorMessage?: string;
          };
          errorMessage = parsed.errorMessage ?? '';
        } catch {
          errorMessage = Buffer.from(encoded ?? '', 'base64').toString('utf8');
        }
        inv.outcome = { kind: 'error', errorType: trailerType, errorMessage };
      } else {
        inv.outcome = { kind: 'response', body };
      }
      sendJson(res, 202, ACCEPTED);
    }
    this.changed();
  }

  private async runtimeError(req: http.IncomingMessage, res: http.ServerResponse, id: string): Promise<void> {
    const inv = this.invocationFor(res, id);
    if (!inv) return void req.resume();
    const body = await readBody(req, 1024 * 1024);
    const err = parseErrorBody(body, header(req, 'Lambda-Runtime-Function-Error-Type'));
    if (!inv.outcome) inv.outcome = { kind: 'error', ...err };
    sendJson(res, 202, ACCEPTED);
    this.changed();
  }

  private async runtimeInitError(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req, 1024 * 1024);
    if (this.phase !== 'init') {
      sendError(res, 403, 'InvalidStateTransition', 'State transition from Ready to InitError failed');
      return;
    }
    const err = parseErrorBody(body, header(req, 'Lambda-Runtime-Function-Error-Type'));
    this.initFailure ??= { ...err, status: 'error' };
    sendJson(res, 202, ACCEPTED);
    this.changed();
  }

  private async extRegister(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req, 64 * 1024);
    const name = header(req, 'Lambda-Extension-Name');
    if (!name) return sendError(res, 400, 'InvalidRequest', 'Lambda-Extension-Name header is required');
    if (this.phase !== 'init')
      return sendError(
        res,
        403,
        'Extension.RegistrationForbidden',
        'extensions register during the init phase only',
      );
    let events: unknown;
    try {
      events = (JSON.parse(body?.toString('utf8') || '{}') as { events?: unknown }).events ?? [];
    } catch {
      return sendError(res, 400, 'InvalidRequest', 'request body is not JSON');
    }
    if (!Array.isArray(events) || !events.every((e) => e === 'INVOKE' || e === 'SHUTDOWN'))
      return sendError(res, 400, 'InvalidEventType', 'events must be a list of INVOKE and SHUTDOWN');
    if ([...this.extensions.values()].some((e) => e.name === name))
      return sendError(res, 409, 'Extension.AlreadyRegistered', `extension ${name} is already registered`);
    const external = this.launched.has(name);
    if (!external && this.runtimeWaiting)
      return sendError(
        res,
        403,
        'Extension.RegistrationForbidden',
        'internal extensions register before the runtime is ready',
      );
    if (!external && events.includes('SHUTDOWN'))
      return sendError(
        res,
        400,
        'ShutdownEventNotSupportedForInternalExtension',
        'internal extensions cannot register for SHUTDOWN',
      );
    const ext: Extension = {
      id: randomUUID(),
      name,
      events: new Set(events as string[]),
      external,
      ready: false,
    };
    this.extensions.set(ext.id, ext);
    this.platform('extension', { name, state: 'Ready', events: [...ext.events] });
    const s = this.o.settings;
    const reply: Record<string, string> = {
      functionName: s.functionName,
      functionVersion: s.functionVersion,
      handler: s.handler,
    };
    if (
      (header(req, 'Lambda-Extension-Accept-Feature') ?? '').split(',').some((f) => f.trim() === 'accountId')
    )
      reply.accountId = s.accountId;
    sendJson(res, 200, reply, { 'Lambda-Extension-Identifier': ext.id });
    this.changed();
  }

  private extensionOf(req: http.IncomingMessage, res: http.ServerResponse): Extension | undefined {
    const id = header(req, 'Lambda-Extension-Identifier');
    if (!id) {
      sendError(
        res,
        403,
        'Extension.MissingExtensionIdentifier',
        'Lambda-Extension-Identifier header is required',
      );
      return undefined;
    }
    const ext = this.extensions.get(id);
    if (!ext)
      sendError(res, 403, 'Extension.UnknownExtensionIdentifier', `unknown extension identifier ${id}`);
    return ext;
  }

  private extNext(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    const ext = this.extensionOf(req, res);
    if (!ext) return;
    ext.waiting = res;
    ext.ready = true;
    res.on('close', () => {
      if (ext.waiting === res) ext.waiting = undefined;
    });
    this.deliverExtensionEvent(ext);
    this.changed();
  }

  private deliverExtensionEvent(ext: Extension): void {
    if (!ext.pending || !ext.waiting) return;
    const res = ext.waiting;
    const event = ext.pending;
    ext.waiting = undefined;
    ext.pending = undefined;
    ext.ready = false;
    sendJson(res, 200, event, { 'Lambda-Extension-Event-Identifier': randomUUID() });
  }

  private async extError(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    kind: 'init' | 'exit',
  ): Promise<void> {
    const body = await readBody(req, 1024 * 1024);
    const ext = this.extensionOf(req, res);
    if (!ext) return;
    const errorType = header(req, 'Lambda-Extension-Function-Error-Type');
    if (!errorType)
      return sendError(res, 400, 'InvalidRequest', 'Lambda-Extension-Function-Error-Type header is required');
    if (kind === 'init' && this.phase !== 'init')
      return sendError(
        res,
        403,
        'InvalidStateTransition',
        'init/error is only accepted during the init phase',
      );
    const detail = parseErrorBody(body, errorType);
    const failure = {
      errorType,
      errorMessage: detail.errorMessage || `extension ${ext.name} reported ${kind} error ${errorType}`,
    };
    if (kind === 'init') this.initFailure ??= { ...failure, status: 'error' };
    else this.extensionFailure ??= failure;
    this.platform('extension', { name: ext.name, state: 'Ready', events: [...ext.events], errorType });
    sendJson(res, 202, ACCEPTED);
    this.changed();
  }

  private async telemetrySubscribe(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req, 64 * 1024);
    const ext = this.extensionOf(req, res);
    if (!ext) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body?.toString('utf8') ?? '');
    } catch {
      return sendError(res, 400, 'ValidationError', 'request body is not JSON');
    }
    try {
      const sub = parseSubscription(ext.name, parsed);
      const stream = new TelemetryStream(
        sub,
        () => this.frozen,
        (m) => this.o.onLog('sandbox', m),
      );
      // A new subscription replaces the extension's earlier one.
      const old = this.streams.findIndex((s) => s.sub.extension === ext.name);
      if (old >= 0) this.streams.splice(old, 1)[0]?.close();
      this.streams.push(stream);
      sendJson(res, 200, 'OK');
      this.platform('telemetrySubscription', { name: ext.name, state: 'Subscribed', types: sub.types });
      // What happened in this environment before the subscription (the init phase) is delivered too.
      for (const e of this.history) if (stream.wants(e.type)) stream.push(forSchema(e, sub.schemaVersion));
    } catch (e) {
      if (e instanceof SubscriptionError) return sendError(res, 400, 'ValidationError', e.message);
      throw e;
    }
  }

  // ── phases ─────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    const { server, address } = await listen(this.router());
    this.server = server;
    this.address = address;
  }

  /** The function's environment variables, as the runtime gets them. */
  functionEnvironment(): Record<string, string> {
    const base: Record<string, string | undefined> = {
      // The runtime client's code is Lambda's /var/runtime: its frames are the runtime's.
      WARDEN_RUNTIME_PATHS: [
        ...new Set([`${this.o.client.dir}/`, `${path.dirname(this.o.client.entry)}/`]),
      ].join(':'),
    };
    return lambdaEnvironment({
      settings: this.o.settings,
      taskRoot: this.o.taskRoot,
      optDir: this.o.optDir,
      runtimeDir: this.o.client.dir,
      runtimeApi: this.address,
      credentials: this.credentials,
      logStream: this.logStream,
      execWrapper: this.o.execWrapper,
      userEnv: this.o.userEnv,
      nodeBinDir: path.dirname(this.o.nodeBin),
      base,
    });
  }

  private extensionFiles(): string[] {
    const dir = path.join(this.o.optDir, 'extensions');
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return [];
    }
    return names.filter((n) => {
      const file = path.join(dir, n);
      try {
        if (!statSync(file).isFile()) return false;
        accessSync(file, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  }

  private allProcesses(): SandboxProcess[] {
    return [...(this.runtime ? [this.runtime] : []), ...this.launched.values()];
  }

  private freeze(): void {
    if (this.frozen) return;
    this.frozen = true;
    signalAll(this.allProcesses(), 'SIGSTOP');
  }

  private thaw(): void {
    if (!this.frozen) return;
    signalAll(this.allProcesses(), 'SIGCONT');
    this.frozen = false;
    for (const s of this.streams) void s.thawed();
  }

  /** Init: extensions, then the runtime; ends when all of them called next. */
  private async init(): Promise<void> {
    this.phase = 'init';
    this.initFailure = undefined;
    this.extensionFailure = undefined;
    const started = performance.now();
    const deadline = Date.now() + (this.o.initTimeoutMs ?? INIT_TIMEOUT_MS);
    const s = this.o.settings;
    this.platform('initStart', {
      initializationType: 'on-demand',
      phase: 'init',
      runtimeVersion: `${s.runtime}.local`,
      functionName: s.functionName,
      functionVersion: s.functionVersion,
    });
    const env = this.functionEnvironment();
    const extEnv = extensionEnvironment(env);
    for (const name of this.extensionFiles()) {
      const proc = startProcess({
        name,
        command: path.join(this.o.optDir, 'extensions', name),
        args: [],
        env: extEnv,
        cwd: this.o.optDir,
        hostsFile: this.o.hostsFile,
        onStdout: (l) => this.outputLine('extension', name, l),
        onStderr: (l) => this.outputLine('extension', name, l),
      });
      this.launched.set(name, proc);
      void proc.exited.then((st) => this.onExtensionExit(name, st));
    }
    // Extension init: every launched extension registers (or dies) before the runtime starts.
    await this.until(
      () =>
        !!this.initFailure ||
        [...this.launched].every(
          ([name, p]) => p.exitStatus || [...this.extensions.values()].some((e) => e.name === name),
        ),
      deadline,
    );
    if (!this.initFailure) this.startRuntime(env);
    const ok = await this.until(
      () =>
        !!this.initFailure ||
        (!!this.runtimeWaiting && [...this.extensions.values()].every((e) => e.ready || e.events.size === 0)),
      deadline,
    );
    if (!ok && !this.initFailure)
      this.initFailure = {
        errorType: 'Sandbox.Timedout',
        errorMessage: `Init phase timed out after ${(this.o.initTimeoutMs ?? INIT_TIMEOUT_MS) / 1000} seconds`,
        status: 'timeout',
      };
    const durationMs = round2(performance.now() - started);
    const status = this.initFailure ? this.initFailure.status : 'success';
    const errorType = this.initFailure?.errorType;
    this.platform('initRuntimeDone', {
      initializationType: 'on-demand',
      phase: 'init',
      status,
      ...(errorType ? { errorType } : {}),
    });
    this.platform('initReport', {
      initializationType: 'on-demand',
      phase: 'init',
      status,
      ...(errorType ? { errorType } : {}),
      metrics: { durationMs },
    });
    this.pendingInitDurationMs = durationMs;
    if (this.initFailure) {
      this.o.onLog('sandbox', `init failed: ${this.initFailure.errorType}: ${this.initFailure.errorMessage}`);
      // A runtime that reported its init error exits on its own (aws-lambda-ric logs, then
      // exits): a moment for that before the reset kills it.
      const rt = this.runtime;
      if (rt && !rt.exitStatus)
        await Promise.race([rt.exited, new Promise((r) => setTimeout(r, RUNTIME_SIGTERM_GRACE_MS))]);
      await this.reset('FAILURE');
      return;
    }
    this.phase = 'ready';
    this.freeze();
  }

  private startRuntime(env: Record<string, string>): void {
    const nodeArgs = [...bootstrapNodeArgs(this.o.settings.memoryMb), this.o.client.entry];
    const wrapper = this.o.execWrapper;
    // Lambda's bootstrap: a missing or non-executable wrapper ends the runtime (127 / 126).
    let command = this.o.nodeBin;
    let args = nodeArgs;
    if (wrapper) {
      command = wrapper;
      args = [this.o.nodeBin, ...nodeArgs];
    }
    this.runtime = startProcess({
      name: 'runtime',
      command,
      args,
      env,
      cwd: this.o.taskRoot,
      hostsFile: this.o.hostsFile,
      ...(this.o.traceSyscalls ? { trace: this.o.traceSyscalls } : {}),
      onStdout: (l) => this.outputLine('function', 'function', l),
      onStderr: (l) => this.outputLine('function', 'function', l),
    });
    const proc = this.runtime;
    void proc.exited.then((st) => {
      this.changed();
      if (this.runtime !== proc || this.phase === 'shutdown' || this.phase === 'off') return;
      const errorMessage = `Runtime exited with error: ${st.signal ? `signal: ${signalName(st.signal)}` : `exit status ${st.code}`}`;
      if (this.phase === 'init')
        this.initFailure ??= { errorType: 'Runtime.ExitError', errorMessage, status: 'error' };
      else if (this.current && !this.current.outcome)
        this.current.outcome = {
          kind: 'error',
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${this.current.requestId} Error: ${errorMessage}`,
        };
      this.runtimeCrashed = true;
      this.changed();
    });
  }

  private runtimeCrashed = false;
  /** Request ids already answered (a second response or error for one is a 403). */
  private readonly answered = new Set<string>();

  private onExtensionExit(name: string, st: { code: number | null; signal: NodeJS.Signals | null }): void {
    this.changed(); // whoever waits on processes (shutdown) re-checks
    if (this.phase === 'shutdown' || this.phase === 'off' || this.launched.get(name)?.exitStatus !== st)
      return;
    const how = st.signal ? `signal ${st.signal}` : `exit status ${st.code}`;
    const failure = { errorType: 'Extension.Crash', errorMessage: `extension ${name} exited (${how})` };
    if (this.phase === 'init') this.initFailure ??= { ...failure, status: 'error' };
    else this.extensionFailure ??= failure;
    this.changed();
  }

  /** One invoke: init first if the environment is not initialized. */
  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    if (this.phase === 'off') await this.init();
    const requestId = randomUUID();
    if (this.phase === 'off') {
      // initFailure stays set from the failed init until the next init begins.
      const f = this.initFailure;
      return {
        requestId,
        status: 'error',
        error: {
          errorType: f?.errorType ?? 'Runtime.Unknown',
          errorMessage: f?.errorMessage ?? 'init failed',
        },
        durationMs: 0,
        initDurationMs: this.takeInitDuration(),
      };
    }
    this.thaw();
    const timeoutMs = this.o.settings.timeoutSec * 1000;
    const inv: Invocation = {
      requestId,
      payload: req.payload,
      clientContext: req.clientContext,
      cognitoIdentity: req.cognitoIdentity,
      traceId: traceId(),
      deadline: Date.now() + timeoutMs,
      start: performance.now(),
      delivered: false,
    };
    this.current = inv;
    this.phase = 'invoke';
    this.platform('start', {
      requestId,
      version: this.o.settings.functionVersion,
      tracing: tracing(inv.traceId),
    });
    for (const ext of this.extensions.values()) {
      if (!ext.events.has('INVOKE')) continue;
      ext.pending = {
        eventType: 'INVOKE',
        deadlineMs: inv.deadline,
        requestId,
        invokedFunctionArn: functionArn(this.o.settings),
        tracing: tracing(inv.traceId),
      };
      this.deliverExtensionEvent(ext);
    }
    this.deliverInvocation();
    const invokeStart = performance.now();
    await this.until(
      () => !!inv.outcome || this.runtimeCrashed,
      inv.deadline,
      () => inv.start + timeoutMs,
    );
    const runtimeDone = performance.now();
    let status: InvokeStatus = 'success';
    let error: InvokeResult['error'];
    if (!inv.outcome) {
      status = 'timeout';
      error = {
        errorType: 'Sandbox.Timedout',
        errorMessage: `Task timed out after ${this.o.settings.timeoutSec.toFixed(2)} seconds`,
      };
      inv.outcome = { kind: 'error', ...error };
    } else if (inv.outcome.kind === 'error') {
      status = inv.outcome.errorType === 'Runtime.ExitError' ? 'failure' : 'error';
      error = { errorType: inv.outcome.errorType, errorMessage: inv.outcome.errorMessage };
    }
    const durationMs = round2(runtimeDone - (inv.delivered ? inv.start : invokeStart));
    const spans: Span[] = [];
    if (inv.responseStart !== undefined && inv.responseEnd !== undefined) {
      const wall = (t: number) => new Date(performance.timeOrigin + t).toISOString();
      spans.push(
        {
          name: 'responseLatency',
          start: wall(inv.start),
          durationMs: round2(inv.responseStart - inv.start),
        },
        {
          name: 'responseDuration',
          start: wall(inv.responseStart),
          durationMs: round2(inv.responseEnd - inv.responseStart),
        },
      );
    }
    const produced = inv.outcome.kind === 'response' ? inv.outcome.body.length : 0;
    this.platform('runtimeDone', {
      requestId,
      status,
      ...(error ? { errorType: error.errorType } : {}),
      metrics: { durationMs, producedBytes: produced },
      tracing: tracing(inv.traceId),
      spans,
    });
    // Post-runtime: the invoke ends when every extension registered for INVOKE called next again.
    let postRuntimeDurationMs: number | undefined;
    if (status === 'success' || status === 'error') {
      await this.until(
        () =>
          !!this.extensionFailure ||
          [...this.extensions.values()].every((e) => !e.events.has('INVOKE') || e.ready),
        inv.deadline,
      );
      postRuntimeDurationMs = round2(performance.now() - runtimeDone);
    }
    const memorySizeMB = this.o.settings.memoryMb;
    const totalMs = round2(performance.now() - (inv.delivered ? inv.start : invokeStart));
    const initDurationMs = this.takeInitDuration();
    this.platform('report', {
      requestId,
      status,
      ...(error ? { errorType: error.errorType } : {}),
      metrics: {
        durationMs: totalMs,
        billedDurationMs: Math.ceil(totalMs),
        memorySizeMB,
        maxMemoryUsedMB: Math.min(memorySizeMB, peakMemoryMb(this.allProcesses())),
        ...(initDurationMs !== undefined ? { initDurationMs } : {}),
        postRuntimeExtensionsDurationMs: postRuntimeDurationMs ?? 0,
      },
      tracing: tracing(inv.traceId),
    });
    this.current = undefined;
    this.answered.add(requestId);
    if (this.answered.size > 1000) this.answered.delete(this.answered.values().next().value as string);
    const result: InvokeResult = {
      requestId,
      status: status === 'failure' ? 'error' : status,
      durationMs,
      ...(initDurationMs !== undefined ? { initDurationMs } : {}),
    };
    if (postRuntimeDurationMs !== undefined && this.extensions.size > 0)
      result.postRuntimeDurationMs = postRuntimeDurationMs;
    const rss = this.runtime && !this.runtime.exitStatus ? residentMemoryMb(this.runtime.pid) : undefined;
    if (rss !== undefined) result.runtimeRssMb = rss;
    const extensionsRss = [...this.launched.values()]
      .filter((p) => !p.exitStatus)
      .map((p) => residentMemoryMb(p.pid))
      .filter((mb): mb is number => mb !== undefined);
    if (extensionsRss.length > 0) result.extensionsRssMb = extensionsRss.reduce((a, b) => a + b, 0);
    if (error) result.error = error;
    else if (inv.outcome.kind === 'response') result.response = parseResponse(inv.outcome.body);
    if (status === 'timeout') await this.reset('TIMEOUT');
    else if (this.runtimeCrashed || this.extensionFailure) {
      if (this.extensionFailure)
        this.o.onLog('sandbox', `${this.extensionFailure.errorType}: ${this.extensionFailure.errorMessage}`);
      await this.reset('FAILURE');
    } else {
      this.phase = 'ready';
      this.freeze();
    }
    return result;
  }

  private takeInitDuration(): number | undefined {
    const ms = this.pendingInitDurationMs;
    this.pendingInitDurationMs = undefined;
    return ms;
  }

  /**
   * Ends the environment: the runtime gets SIGTERM (when extensions are registered) then
   * SIGKILL, extensions registered for SHUTDOWN get it with its deadline, stragglers SIGKILL.
   */
  private async reset(reason: 'SPINDOWN' | 'TIMEOUT' | 'FAILURE'): Promise<void> {
    this.thaw();
    this.phase = 'shutdown';
    const deadline = Date.now() + SHUTDOWN_TIMEOUT_MS;
    const rt = this.runtime;
    const hasExtensions = this.extensions.size > 0;
    if (rt && !rt.exitStatus) {
      if (hasExtensions && reason === 'SPINDOWN') {
        signalAll([rt], 'SIGTERM');
        await Promise.race([rt.exited, new Promise((r) => setTimeout(r, RUNTIME_SIGTERM_GRACE_MS))]);
      }
      signalAll([rt], 'SIGKILL');
      await rt.exited;
    }
    // The last platform.report reaches subscribers before SHUTDOWN.
    await Promise.race([this.flushTelemetry(), new Promise((r) => setTimeout(r, 200))]);
    for (const ext of this.extensions.values()) {
      if (!ext.events.has('SHUTDOWN')) continue;
      ext.pending = { eventType: 'SHUTDOWN', shutdownReason: reason.toLowerCase(), deadlineMs: deadline };
      this.deliverExtensionEvent(ext);
    }
    const external = [...this.launched.values()];
    // Extensions that asked for SHUTDOWN get until the deadline to exit; the others end now.
    const toShutdown = new Set(
      [...this.extensions.values()].filter((e) => e.events.has('SHUTDOWN')).map((e) => e.name),
    );
    signalAll(
      external.filter((p) => !toShutdown.has(p.name)),
      'SIGKILL',
    );
    await this.until(() => external.every((p) => !!p.exitStatus), deadline);
    const stragglers = external.filter((p) => !p.exitStatus);
    for (const p of stragglers)
      this.o.onLog('sandbox', `extension ${p.name} did not exit by the shutdown deadline: killed`);
    signalAll([...external, ...(rt ? [rt] : [])], 'SIGKILL');
    await Promise.all(external.map((p) => p.exited));
    await releaseCgroups([...external, ...(rt ? [rt] : [])]);
    for (const s of this.streams) s.close();
    this.streams.length = 0;
    this.history = [];
    this.launched.clear();
    this.extensions.clear();
    this.runtime = undefined;
    this.runtimeWaiting = undefined;
    this.runtimeCrashed = false;
    this.current = undefined;
    this.phase = 'off';
  }

  /** SHUTDOWN (spindown), then the endpoint closes. */
  async stop(): Promise<void> {
    if (this.phase !== 'off') await this.reset('SPINDOWN');
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  /** Kills everything at once (the CLI's SIGINT path). */
  kill(): void {
    signalAll(this.allProcesses(), 'SIGKILL');
  }

  /** Kills everything and closes the endpoint, whatever phase the sandbox is in. */
  dispose(): void {
    this.kill();
    void releaseCgroups(this.allProcesses());
    for (const s of this.streams) s.close();
    this.server?.closeAllConnections();
    this.server?.close();
  }
}

/** A log line as Lambda's telemetry carries it: the object for JSON log lines, else the text. */
function logRecord(line: string): unknown {
  if (!line.startsWith('{')) return line;
  try {
    const o = JSON.parse(line) as unknown;
    return o && typeof o === 'object' ? o : line;
  } catch {
    return line;
  }
}

function signalName(sig: string): string {
  return sig === 'SIGKILL' ? 'killed' : sig.replace(/^SIG/, '').toLowerCase();
}

function parseErrorBody(
  body: Buffer | undefined,
  headerType: string | undefined,
): { errorType: string; errorMessage: string } {
  let errorType = headerType || 'Unhandled';
  let errorMessage = '';
  try {
    const o = JSON.parse(body?.toString('utf8') ?? '') as { errorType?: unknown; errorMessage?: unknown };
    if (typeof o.errorType === 'string' && o.errorType) errorType = o.errorType;
    if (typeof o.errorMessage === 'string') errorMessage = o.errorMessage;
  } catch {
    errorMessage = body?.toString('utf8') ?? '';
  }
  return { errorType, errorMessage };
}

function parseResponse(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
