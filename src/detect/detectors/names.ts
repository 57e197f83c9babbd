/** The built-in detectors a rule can name (`detector:`); their code is in ./index.ts. */
export const DETECTOR_NAMES = [
  'command-injection',
  'path-traversal',
  'ssrf',
  'code-injection',
  'deserialization',
] as const;

export type DetectorName = (typeof DETECTOR_NAMES)[number];

export function isDetectorName(name: string): name is DetectorName {
  return (DETECTOR_NAMES as readonly string[]).includes(name);
}
