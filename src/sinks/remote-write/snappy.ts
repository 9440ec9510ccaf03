/**
 * Snappy block format (not framed), as remote_write requires. The compressor is snappyjs: pure JavaScript
 * (no native build), a port of the reference compressor, and measured here faster on our ~800 KB bodies than
 * the native napi-rs `snappy` package, whose call overhead and copies cost more than they save (see
 * docs/push-sinks-otlp.md).
 */
import { createRequire } from 'node:module';

interface SnappyJs {
  compress(input: Uint8Array): Uint8Array;
  uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
}

const snappyjs = createRequire(import.meta.url)('snappyjs') as SnappyJs;

/** Snappy block-compresses `input`. */
export function snappyCompress(input: Uint8Array): Uint8Array {
  return snappyjs.compress(input);
}

/** Decompresses a snappy block, refusing to grow past `maxLength` bytes. */
export function snappyUncompress(input: Uint8Array, maxLength = 64 * 1024 * 1024): Uint8Array {
  return snappyjs.uncompress(input, maxLength);
}
