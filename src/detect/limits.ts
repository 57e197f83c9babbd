/** Credential values shorter than this are not watched in outbound data (they would match by chance). */
export const MIN_CREDENTIAL_LENGTH = 12;
