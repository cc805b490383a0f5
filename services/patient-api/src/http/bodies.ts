import { isUtf8 } from 'node:buffer';
import { parse } from 'content-type';
import express, { type RequestHandler } from 'express';
import { HttpProblem } from './HttpProblem.js';

/**
 * Request bodies are UTF-8. A charset parameter naming anything else is refused, not
 * decoded: body-parser would decode UTF-7, turning `+ADw-script+AD4-` into `<script>` past
 * any filter that looked at the bytes. A Content-Type that does not parse is refused too.
 */
export const utf8Bodies: RequestHandler = (req, _res, next) => {
  const header = req.headers['content-type'];
  if (header === undefined) return next();
  let charset: string | undefined;
  try {
    charset = parse(header).parameters['charset'];
  } catch {
    throw new HttpProblem({
      status: 415,
      title: 'Unsupported media type',
      detail: 'Content-Type is not a valid media type',
      reason: 'unsupported_media_type',
    });
  }
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8')
    throw new HttpProblem({
      status: 415,
      title: 'Unsupported charset',
      detail: `bodies are UTF-8; charset=${charset} is not accepted`,
      reason: 'unsupported_charset',
    });
  next();
};

/** POST bodies are application/json. */
export const jsonOnly: RequestHandler = (req, _res, next) => {
  if (req.method === 'POST' && !req.is('application/json'))
    throw new HttpProblem({
      status: 415,
      title: 'Unsupported media type',
      detail: 'send application/json',
      reason: 'unsupported_media_type',
    });
  next();
};

/**
 * The JSON body parser, strict (objects and arrays only) and bounded; bytes that are not
 * UTF-8 are refused (400) instead of silently becoming U+FFFD.
 */
export function jsonBody(limit: number): RequestHandler {
  return express.json({
    limit,
    strict: true,
    verify: (_req, _res, bytes) => {
      if (!isUtf8(bytes)) throw Object.assign(new Error('body is not valid UTF-8'), { type: 'entity.utf8.invalid' });
    },
  });
}
