import { codeInjection, deserialization } from './code-injection';
import { commandInjection } from './command-injection';
import { pathTraversal } from './path-traversal';
import { ssrf } from './ssrf';
import type { Detector } from './types';

/** The built-in detectors a rule can name (`detector: command-injection`). */
export const DETECTORS: Readonly<Record<string, Detector>> = {
  'command-injection': commandInjection,
  'path-traversal': pathTraversal,
  ssrf,
  'code-injection': codeInjection,
  deserialization,
};
