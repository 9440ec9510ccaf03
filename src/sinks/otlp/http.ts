/**
 * OTLP/HTTP: each request is POSTed to the metrics endpoint (`application/x-protobuf` or `application/json`,
 * gzip on request); answers are classified and partial successes read as response.ts says.
 */
import { errorMessage } from '../../support/log.js';
import type { HttpAnswer } from '../push/http-post.js';
import { HttpSender, type HttpSenderOptions } from '../push/http-sender.js';
import { classifyOtlp, type PartialSuccess, partialSuccess } from './response.js';

export interface OtlpHttpSenderOptions extends Omit<HttpSenderOptions, 'headers' | 'classify' | 'onAccepted' | 'prepare'> {
  readonly encoding: 'protobuf' | 'json';
  /** User headers (authentication). */
  readonly headers: Readonly<Record<string, string>>;
  readonly userAgent: string;
  /** Gzip each request once, before its first try. */
  readonly gzip?: (body: Uint8Array) => Promise<Uint8Array>;
  readonly onPartialSuccess: (ps: PartialSuccess) => void;
  /** A 2xx answer whose body cannot be read. */
  readonly onUnreadable: (problem: string) => void;
}

export function otlpHttpSender(opts: OtlpHttpSenderOptions): HttpSender {
  const { encoding, headers, userAgent, gzip, onPartialSuccess, onUnreadable, ...rest } = opts;
  return new HttpSender({
    ...rest,
    headers: {
      ...headers,
      'Content-Type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
      'User-Agent': userAgent,
      ...(gzip === undefined ? {} : { 'Content-Encoding': 'gzip' }),
    },
    prepare: gzip,
    classify: classifyOtlp,
    onAccepted: (answer: HttpAnswer) => {
      try {
        const ps = partialSuccess(answer);
        if (ps !== undefined) onPartialSuccess(ps);
      } catch (err) {
        onUnreadable(errorMessage(err));
      }
    },
  });
}
