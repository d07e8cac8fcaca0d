/**
 * Every API the broker answers, listed explicitly (no registration by import side effects).
 * ApiVersions advertises exactly these, with each handler's declared version range.
 */
import type { Handler } from '../handler.js';
import { apiVersions } from './api-versions.js';

export const HANDLERS: readonly Handler[] = [apiVersions as Handler];
