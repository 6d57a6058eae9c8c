/** Machine-readable reasons a moderation model could not be made ready. */
export type ModelLoadErrorCode = 'MODEL_FILE_MISSING' | 'MODEL_FILE_INVALID' | 'MODEL_LOAD_FAILED' | 'BACKEND_UNAVAILABLE';

/**
 * Thrown when a model (or the tensor backend it needs) cannot be loaded. `file` names the model
 * file at fault when there is one, so an operator can see at once which file is missing.
 */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';

  constructor(
    readonly code: ModelLoadErrorCode,
    message: string,
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
