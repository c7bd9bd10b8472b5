import ts from 'typescript';

/**
 * How the doc tests compile what a reader would write: strict, ES modules resolved as a bundler
 * does, against the packages' sources (the `@aurum/source` condition), with Node's types.
 */
export const READER_COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  customConditions: ['@aurum/source'],
  types: ['node'],
  skipLibCheck: true,
  esModuleInterop: true,
};
