/**
 * The export cannot be read as the mapping describes it (not CSV, or a column the comparison needs is absent). Apart
 * from the reader, so that the CLI can name it without loading DuckDB.
 */
export class SourceReadError extends Error {
  override readonly name = "SourceReadError";
}
