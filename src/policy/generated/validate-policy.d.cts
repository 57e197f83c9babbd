/** Generated at build time by scripts/build.mjs (ajv standalone) from src/policy/schema.ts. */
interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
declare function validate(data: unknown): boolean;
declare namespace validate {
  let errors: AjvError[] | null | undefined;
}
export = validate;
