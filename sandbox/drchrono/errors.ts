/** A request DrChrono would reject with a 400; `body` is DrChrono's field-error JSON, answered as is by the app. */
export class BadRequest extends Error {
  override readonly name = 'BadRequest';
  constructor(readonly body: Record<string, unknown>) {
    super('bad request');
  }
}

export const NOT_AUTHENTICATED = { detail: 'Authentication credentials were not provided.' };
export const TOKEN_EXPIRED = { detail: 'Authentication credentials were not provided. Access token expired.' };
