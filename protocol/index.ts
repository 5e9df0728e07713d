export * from './version.js';
export * from './errors.js';
export * from './common.js';
export * from './messages.js';
export * from './http.js';
export * from './dashboard.js';
export * from './credit.js';
export * from './headers.js';
