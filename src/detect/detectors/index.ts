import { codeInjection, deserialization } from './code-injection';
import { commandInjection } from './command-injection';
import type { DetectorName } from './names';
import { pathTraversal } from './path-traversal';
import { ssrf } from './ssrf';
import type { Detector } from './types';

/** The built-in detectors a rule can name (`detector: command-injection`). */
export const DETECTORS: Readonly<Record<DetectorName, Detector>> &
  Readonly<Record<string, Detector | undefined>> = {
  'command-injection': commandInjection,
  'path-traversal': pathTraversal,
  ssrf,
  'code-injection': codeInjection,
  deserialization,
};
