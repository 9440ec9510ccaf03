export * from './types.js';
export * from './define.js';
export { DeclarationError, counterSampleName, RESERVED_SUFFIXES } from './naming.js';
