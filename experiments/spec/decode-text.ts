/**
 * Spec text to a decoded spec: JSON parsing and an io-ts codec, with every problem in words
 * (the codec's, and each key the codec does not know), for the experiment and host spec loaders.
 * @category Experiments
 */
import { left, right, type Either } from 'fp-ts/Either';
import * as t from 'io-ts';
import { formatValidationErrors } from '../../core/codec/format-errors';
import { unknownKeys } from './json-schema';

/** Spec text decoded with a codec: the parsed JSON, the codec's result, and its problems with every unknown key. */
export interface DecodedText<C extends t.Mixed> {
  readonly json: unknown;
  readonly decoded: t.Validation<t.TypeOf<C>>;
  readonly errors: string[];
}

/** Parse `text` from `origin` as JSON and decode it with `codec`; left (prefixed by the origin) if it is not JSON. */
export const decodeText = <C extends t.Mixed>(codec: C, text: string, origin: string): Either<string[], DecodedText<C>> => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return left([`${origin}: not valid JSON: ${(e as Error).message}`]);
  }
  const decoded = codec.decode(json);
  return right({ json, decoded, errors: [...(decoded._tag === 'Left' ? formatValidationErrors(decoded.left) : []), ...unknownKeys(codec, json)] });
};
