/**
 * The attacker-controllable strings of an invocation's event, for every common trigger: API
 * Gateway REST (v1) and HTTP (v2) APIs, Function URLs, ALB, SQS, SNS, EventBridge, S3, DynamoDB
 * Streams, Kinesis, and direct invokes. Each value is decoded the way a function would decode
 * it (JSON and base64 bodies, query strings and forms, cookies, S3 keys, DynamoDB attribute
 * values, SNS inside SQS) and kept with where it came from. Fields the platform sets (ARNs,
 * ids, regions, timestamps, request context) are not input. Pure and bounded.
 */

export interface TaintedValue {
  value: string;
  /** Where in the event: `body.cmd`, `Records[0].s3.object.key`, `headers.x-file` … */
  source: string;
}

export interface TaintedInputs {
  trigger: string;
  values: TaintedValue[];
}

const MAX_VALUES = 2000;
const MAX_DEPTH = 12;
/** Shorter strings carry no attack and match too much by chance. */
const MIN_LENGTH = 3;
const MAX_DECODE = 256 * 1024;
/** Printable runs taken from one binary value. */
const MAX_RUNS = 200;

type Json = unknown;

class Collector {
  readonly values: TaintedValue[] = [];
  private readonly seen = new Set<string>();
  add(value: string, source: string): void {
    if (value.length < MIN_LENGTH || this.values.length >= MAX_VALUES) return;
    const key = value;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.values.push({ value, source });
  }
  /** A string the function may decode: the string itself, and what it decodes to. */
  text(value: string, source: string, depth: number): void {
    this.add(value, source);
    if (depth > MAX_DEPTH || value.length > MAX_DECODE) return;
    const t = value.trim();
    if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
      try {
        this.walk(JSON.parse(t), source, depth + 1);
        return;
      } catch {
        // not JSON after all
      }
    }
    if (/^[^=&\s]+=[^&]*(&[^=&\s]+=[^&]*)*$/.test(t) && t.includes('=')) this.query(t, source, depth);
    else if (/%[0-9a-fA-F]{2}/.test(t)) {
      const d = urlDecode(t);
      if (d !== undefined && d !== t) this.text(d, `${source}(url-decoded)`, depth + 1);
    }
    const b = base64Text(t);
    if (b !== undefined) this.text(b, `${source}(base64)`, depth + 1);
    else this.binaryStrings(t, source);
  }
  /**
   * A base64 value that is binary (an uploaded zip, image, document): the printable runs inside
   * it, as `strings` would list them. Archive entry names and embedded scripts are input too.
   */
  binaryStrings(s: string, source: string): void {
    if (s.length < 24 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) return;
    const bytes = Buffer.from(s, 'base64');
    let run = '';
    let runs = 0;
    for (let i = 0; i <= bytes.length && runs < MAX_RUNS; i++) {
      const c = i < bytes.length ? bytes[i]! : 0;
      if (c >= 0x20 && c < 0x7f) {
        run += String.fromCharCode(c);
        continue;
      }
      if (run.length >= 6) {
        this.add(run, `${source}(binary)`);
        runs++;
      }
      run = '';
    }
  }
  query(q: string, source: string, depth: number): void {
    const s = q.startsWith('?') ? q.slice(1) : q;
    try {
      for (const [k, v] of new URLSearchParams(s)) {
        this.text(v, `${source}.${k}`, depth + 1);
        this.add(k, `${source}(key)`);
      }
    } catch {
      // not a query string
    }
  }
  walk(v: Json, source: string, depth: number): void {
    if (depth > MAX_DEPTH || this.values.length >= MAX_VALUES) return;
    if (typeof v === 'string') this.text(v, source, depth);
    else if (Array.isArray(v))
      v.forEach((x, i) => {
        this.walk(x, `${source}[${i}]`, depth + 1);
      });
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, Json>)) {
        this.add(k, `${source}(key)`);
        this.walk(x, source ? `${source}.${k}` : k, depth + 1);
      }
    }
  }
}

export function urlDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The text a base64 string holds, when it is base64 of mostly printable UTF-8. */
export function base64Text(s: string): string | undefined {
  if (s.length < 8 || s.length % 4 === 1 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) return undefined;
  // A word or number is not base64 data: it needs both cases or digits mixed in.
  if (!/[A-Z]/.test(s) || !/[a-z]/.test(s)) return undefined;
  const text = Buffer.from(s, 'base64').toString('utf8');
  if (!text || text.includes('\uFFFD')) return undefined;
  let printable = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 32 && c < 127) || c === 9 || c === 10 || c === 13 || c > 159) printable++;
  }
  return printable / text.length > 0.95 ? text : undefined;
}

function isObj(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An HTTP body as the function would read it: base64-decoded when flagged, then parsed. */
function httpBody(c: Collector, e: Record<string, Json>): void {
  if (typeof e.body !== 'string') return;
  let body = e.body;
  if (e.isBase64Encoded === true) {
    body = Buffer.from(body, 'base64').toString('utf8');
    c.add(e.body, 'body(raw)');
    if (body.includes('\uFFFD')) c.binaryStrings(e.body, 'body');
  }
  c.text(body, 'body', 0);
  const parts = multipartParts(body);
  for (const [name, value] of parts) c.text(value, `body.${name}`, 1);
}

/** The fields of a multipart/form-data body (names and values; file contents included). */
function multipartParts(body: string): [string, string][] {
  const m = /^--([^\r\n]{1,200})\r?\n/.exec(body);
  if (!m) return [];
  const out: [string, string][] = [];
  for (const part of body.split(`--${m[1]}`)) {
    const split = part.search(/\r?\n\r?\n/);
    if (split < 0) continue;
    const head = part.slice(0, split);
    const name = /name="([^"]*)"/.exec(head)?.[1] ?? 'part';
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    if (filename) out.push([`${name}(filename)`, filename]);
    out.push([
      name,
      part
        .slice(split)
        .replace(/^\r?\n\r?\n/, '')
        .replace(/\r?\n$/, ''),
    ]);
  }
  return out;
}

function httpCommon(c: Collector, e: Record<string, Json>): void {
  const headers = isObj(e.headers) ? e.headers : {};
  for (const [k, v] of Object.entries(headers)) {
    if (typeof v !== 'string') continue;
    if (k.toLowerCase() === 'cookie') cookies(c, v.split(/;\s*/), 'headers.cookie');
    else c.text(v, `headers.${k.toLowerCase()}`, 0);
  }
  if (isObj(e.multiValueHeaders))
    for (const [k, vs] of Object.entries(e.multiValueHeaders))
      if (Array.isArray(vs))
        vs.forEach((v) => {
          if (typeof v === 'string') c.text(v, `multiValueHeaders.${k.toLowerCase()}`, 0);
        });
  for (const key of ['queryStringParameters', 'pathParameters', 'stageVariables'] as const) {
    const q = e[key];
    if (!isObj(q)) continue;
    for (const [k, v] of Object.entries(q)) {
      if (typeof v !== 'string') continue;
      c.text(v, `${key}.${k}`, 0);
      // ALB passes query values still URL-encoded.
      const d = urlDecode(v);
      if (d !== undefined && d !== v) c.text(d, `${key}.${k}(decoded)`, 1);
    }
  }
  if (isObj(e.multiValueQueryStringParameters))
    for (const [k, vs] of Object.entries(e.multiValueQueryStringParameters))
      if (Array.isArray(vs))
        vs.forEach((v) => {
          if (typeof v === 'string') c.text(v, `multiValueQueryStringParameters.${k}`, 0);
        });
  if (Array.isArray(e.cookies))
    cookies(
      c,
      e.cookies.filter((x): x is string => typeof x === 'string'),
      'cookies',
    );
  if (typeof e.rawQueryString === 'string' && e.rawQueryString)
    c.query(e.rawQueryString, 'rawQueryString', 0);
  for (const key of ['path', 'rawPath'] as const) {
    const p = e[key];
    if (typeof p !== 'string') continue;
    c.add(p, key);
    const d = urlDecode(p);
    if (d !== undefined && d !== p) c.add(d, `${key}(decoded)`);
    p.split('/').forEach((seg, i) => {
      const ds = urlDecode(seg);
      if (ds !== undefined) c.add(ds, `${key}[${i}]`);
    });
  }
  const rc = isObj(e.requestContext) ? e.requestContext : {};
  const http = isObj(rc.http) ? rc.http : {};
  const identity = isObj(rc.identity) ? rc.identity : {};
  for (const ua of [http.userAgent, identity.userAgent])
    if (typeof ua === 'string') c.text(ua, 'userAgent', 0);
  httpBody(c, e);
}

function cookies(c: Collector, list: string[], source: string): void {
  for (const kv of list) {
    const at = kv.indexOf('=');
    const name = at < 0 ? kv : kv.slice(0, at);
    const value = at < 0 ? '' : kv.slice(at + 1);
    c.text(value, `${source}.${name}`, 0);
    const d = urlDecode(value);
    if (d !== undefined && d !== value) c.text(d, `${source}.${name}(decoded)`, 1);
  }
}

/** A DynamoDB attribute value (`{S: …}`, `{M: {…}}`, `{L: […]}` …) → its strings. */
function dynamoValue(c: Collector, v: Json, source: string, depth: number): void {
  if (!isObj(v) || depth > MAX_DEPTH) return;
  for (const [type, x] of Object.entries(v)) {
    if ((type === 'S' || type === 'N') && typeof x === 'string') c.text(x, source, depth);
    else if (type === 'B' && typeof x === 'string')
      c.text(Buffer.from(x, 'base64').toString('utf8'), `${source}(B)`, depth);
    else if ((type === 'SS' || type === 'NS') && Array.isArray(x))
      x.forEach((s, i) => {
        if (typeof s === 'string') c.text(s, `${source}[${i}]`, depth);
      });
    else if (type === 'M' && isObj(x))
      for (const [k, y] of Object.entries(x)) {
        c.add(k, `${source}(key)`);
        dynamoValue(c, y, `${source}.${k}`, depth + 1);
      }
    else if (type === 'L' && Array.isArray(x))
      x.forEach((y, i) => {
        dynamoValue(c, y, `${source}[${i}]`, depth + 1);
      });
  }
}

function record(c: Collector, r: Record<string, Json>, at: string): string {
  const source = String(r.eventSource ?? r.EventSource ?? '');
  switch (source) {
    case 'aws:sqs': {
      if (typeof r.body === 'string') {
        // SNS fan-out to SQS: the body is the SNS envelope; its Message is the input.
        c.text(r.body, `${at}.body`, 0);
      }
      if (isObj(r.messageAttributes))
        for (const [k, a] of Object.entries(r.messageAttributes)) {
          if (!isObj(a)) continue;
          if (typeof a.stringValue === 'string') c.text(a.stringValue, `${at}.messageAttributes.${k}`, 0);
          if (typeof a.binaryValue === 'string')
            c.text(
              Buffer.from(a.binaryValue, 'base64').toString('utf8'),
              `${at}.messageAttributes.${k}(binary)`,
              0,
            );
        }
      return 'sqs';
    }
    case 'aws:sns': {
      const sns = isObj(r.Sns) ? r.Sns : {};
      for (const k of ['Message', 'Subject'] as const)
        if (typeof sns[k] === 'string') c.text(sns[k] as string, `${at}.Sns.${k}`, 0);
      if (isObj(sns.MessageAttributes))
        for (const [k, a] of Object.entries(sns.MessageAttributes))
          if (isObj(a) && typeof a.Value === 'string') c.text(a.Value, `${at}.Sns.MessageAttributes.${k}`, 0);
      return 'sns';
    }
    case 'aws:s3': {
      const s3 = isObj(r.s3) ? r.s3 : {};
      const obj = isObj(s3.object) ? s3.object : {};
      if (typeof obj.key === 'string') {
        c.add(obj.key, `${at}.s3.object.key`);
        // Keys arrive URL-encoded, spaces as `+`: what the function decodes is what it uses.
        const d = urlDecode(obj.key);
        if (d !== undefined) c.add(d, `${at}.s3.object.key(decoded)`);
      }
      return 's3';
    }
    case 'aws:dynamodb': {
      const d = isObj(r.dynamodb) ? r.dynamodb : {};
      for (const img of ['NewImage', 'OldImage', 'Keys'] as const)
        if (isObj(d[img]))
          for (const [k, v] of Object.entries(d[img] as Record<string, Json>))
            dynamoValue(c, v, `${at}.dynamodb.${img}.${k}`, 0);
      return 'dynamodb-streams';
    }
    case 'aws:kinesis': {
      const k = isObj(r.kinesis) ? r.kinesis : {};
      if (typeof k.data === 'string')
        c.text(Buffer.from(k.data, 'base64').toString('utf8'), `${at}.kinesis.data`, 0);
      if (typeof k.partitionKey === 'string') c.add(k.partitionKey, `${at}.kinesis.partitionKey`);
      return 'kinesis';
    }
    default:
      c.walk(r, at, 0);
      return 'direct';
  }
}

/** The trigger of an event, by its shape (AWS's documented payloads). */
export function triggerOf(e: Json): string {
  if (!isObj(e)) return 'direct';
  const rc = isObj(e.requestContext) ? e.requestContext : undefined;
  if (rc?.elb !== undefined) return 'alb';
  if (e.version === '2.0' && rc) {
    const domain = typeof rc.domainName === 'string' ? rc.domainName : '';
    return domain.includes('.lambda-url.') ? 'function-url' : 'apigateway-http';
  }
  if (rc && typeof e.httpMethod === 'string') return 'apigateway-rest';
  if (typeof e['detail-type'] === 'string' && 'detail' in e) return 'eventbridge';
  if (Array.isArray(e.Records) && isObj(e.Records[0])) {
    const src = String(e.Records[0].eventSource ?? e.Records[0].EventSource ?? '');
    const t = {
      'aws:sqs': 'sqs',
      'aws:sns': 'sns',
      'aws:s3': 's3',
      'aws:dynamodb': 'dynamodb-streams',
      'aws:kinesis': 'kinesis',
    }[src];
    if (t) return t;
  }
  return 'direct';
}

/** Extracts the attacker-controllable strings of an invocation's event. */
export function taintedInputs(event: Json): TaintedInputs {
  const c = new Collector();
  const trigger = triggerOf(event);
  if (typeof event === 'string') c.text(event, 'event', 0);
  else if (isObj(event)) {
    switch (trigger) {
      case 'apigateway-rest':
      case 'apigateway-http':
      case 'function-url':
      case 'alb':
        httpCommon(c, event);
        break;
      case 'eventbridge':
        c.walk(event.detail, 'detail', 0);
        if (typeof event['detail-type'] === 'string') c.add(event['detail-type'], 'detail-type');
        break;
      case 'sqs':
      case 'sns':
      case 's3':
      case 'dynamodb-streams':
      case 'kinesis':
        (event.Records as Json[]).forEach((r, i) => {
          if (isObj(r)) record(c, r, `Records[${i}]`);
        });
        break;
      default:
        c.walk(event, '', 0);
    }
  } else if (Array.isArray(event)) c.walk(event, '', 0);
  return { trigger, values: c.values };
}
